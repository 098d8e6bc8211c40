package alipayfake

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/internal/simulate"
)

// Simulated is the demo's Alipay: a gateway holding the simulated shop's
// payments whose provider is "alipay", with generated keys.
func Simulated(func() time.Time) demo.Simulated { return sim{New(Options{})} }

type sim struct{ *Server }

func (sim) Type() string { return alipay.Provider }

func (s sim) LoadChanges(r simulate.Reveal, _ time.Time) error {
	if err := s.AddPayments(demo.PaymentsOf(r, alipay.Provider)...); err != nil {
		return fmt.Errorf("demo: loading Alipay trades: %w", err)
	}
	return nil
}

// ShapeWorld sends the Chinese wallet payments of the simulated shop here.
func (sim) ShapeWorld(o *simulate.Options) { o.ChinaWalletSource = alipay.Provider }

func (s sim) Configure(src *config.Source) {
	b := src.Block.(*alipay.Config)
	b.AppID, b.PrivateKey, b.AlipayPublicKey = s.AppID(), secret.New(s.AppPrivateKeyPEM()), s.AlipayPublicKeyPEM()
}

func (s sim) YAML() (string, []string) {
	return fmt.Sprintf(`alipay: {app_id: %q, private_key: "${OB_ALIPAY_PRIVATE_KEY}", alipay_public_key: "${OB_ALIPAY_PUBLIC_KEY}"}`, s.AppID()),
		[]string{"OB_ALIPAY_PRIVATE_KEY=" + s.AppPrivateKeyPEM(), "OB_ALIPAY_PUBLIC_KEY=" + s.AlipayPublicKeyPEM()}
}
