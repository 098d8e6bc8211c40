package demo

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/internal/fakes/aftershipfake"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
	"github.com/orderbot/orderbot/internal/fakes/kuaidi100fake"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
	"github.com/orderbot/orderbot/internal/fakes/stripefake"
	"github.com/orderbot/orderbot/internal/simulate"
)

// Simulated is the simulated counterpart of a source type: a local server that
// speaks the provider's wire format, fed with the part of the simulated shop it
// would hold. The demo configures one source per Simulated, named like its
// type, which is also the name package simulate gives that provider's records.
type Simulated interface {
	// Type is the source type it stands in for, and the demo's source name.
	Type() string
	// LoadChanges adds or replaces the records of r this provider holds (its
	// part of the simulated shop); now stamps records the provider dates
	// itself but r leaves undated (an AfterShip tracking with no checkpoint).
	LoadChanges(r simulate.Reveal, now time.Time) error
	// Configure sets the credentials of a source of its type (s.Block is the
	// type's block); api_url is set by the caller from URL.
	Configure(s *config.Source)
	// URL is the base URL the source's api_url points at.
	URL() string
	// YAML is the type's block as a configuration file writes it, secrets as
	// ${VARS}, and the NAME=value environment that sets them.
	YAML() (block string, env []string)
	Close()
}

// NewSimulated starts a simulated counterpart; now is the clock its "current
// time" follows. cmd/orderbot lists one per source type next to its spec.
type NewSimulated func(now func() time.Time) Simulated

// Credentials of the simulated services. They are not secrets: they exist only
// on loopback for the life of the process.
const (
	erpKey         = "demo-erp-key"
	erpSecret      = "demo-erp-secret"
	afterShipKey   = "demo-aftership-key"
	kuaidiCustomer = "DEMOCUSTOMER0001"
	kuaidiKey      = "demokuaidikey"
)

// SimulatedShopify holds the simulated orders and the shop's stock.
func SimulatedShopify(func() time.Time) Simulated {
	return simShopify{shopifyfake.New(shopifyfake.Options{})}
}

type simShopify struct{ *shopifyfake.Server }

func (simShopify) Type() string { return shopify.DefaultName }
func (s simShopify) LoadChanges(r simulate.Reveal, _ time.Time) error {
	if err := s.AddOrders(r.Orders...); err != nil {
		return fmt.Errorf("demo: loading orders: %w", err)
	}
	if len(r.ShopStock) > 0 {
		if err := s.SetStock(r.ShopStock...); err != nil {
			return fmt.Errorf("demo: loading shop stock: %w", err)
		}
	}
	return nil
}
func (s simShopify) Configure(src *config.Source) {
	src.Block.(*shopify.Config).AccessToken = secret.New(s.AccessToken())
}
func (s simShopify) YAML() (string, []string) {
	return `shopify: {access_token: "${OB_SHOPIFY_TOKEN}"}`, []string{"OB_SHOPIFY_TOKEN=" + s.AccessToken()}
}

// SimulatedStripe holds the simulated card payments.
func SimulatedStripe(func() time.Time) Simulated {
	return simStripe{stripefake.New(stripefake.Options{})}
}

type simStripe struct{ *stripefake.Server }

func (simStripe) Type() string { return stripe.DefaultName }
func (s simStripe) LoadChanges(r simulate.Reveal, _ time.Time) error {
	if err := s.AddPayments(PaymentsOf(r, stripe.DefaultName)...); err != nil {
		return fmt.Errorf("demo: loading payments: %w", err)
	}
	return nil
}
func (s simStripe) Configure(src *config.Source) {
	src.Block.(*stripe.Config).SecretKey = secret.New(s.APIKey())
}
func (s simStripe) YAML() (string, []string) {
	return `stripe: {secret_key: "${OB_STRIPE_KEY}"}`, []string{"OB_STRIPE_KEY=" + s.APIKey()}
}

// PaymentsOf are the payments of r at the provider named source.
func PaymentsOf(r simulate.Reveal, source string) []orderbot.Payment {
	var out []orderbot.Payment
	for _, p := range r.Payments {
		if p.Provider == source {
			out = append(out, p)
		}
	}
	return out
}

// SimulatedERPNext holds the ERP's stock.
func SimulatedERPNext(now func() time.Time) Simulated {
	return simERPNext{erpnextfake.New(erpnextfake.Options{APIKey: erpKey, APISecret: erpSecret, Now: now})}
}

type simERPNext struct{ *erpnextfake.Server }

func (simERPNext) Type() string { return erpnext.DefaultName }
func (s simERPNext) LoadChanges(r simulate.Reveal, _ time.Time) error {
	if err := s.SetStock(r.ERPStock...); err != nil {
		return fmt.Errorf("demo: loading ERP stock: %w", err)
	}
	return nil
}
func (simERPNext) Configure(src *config.Source) {
	b := src.Block.(*erpnext.Config)
	b.APIKey, b.APISecret = secret.New(erpKey), secret.New(erpSecret)
}
func (simERPNext) YAML() (string, []string) {
	return `erpnext: {api_key: "${OB_ERPNEXT_KEY}", api_secret: "${OB_ERPNEXT_SECRET}"}`,
		[]string{"OB_ERPNEXT_KEY=" + erpKey, "OB_ERPNEXT_SECRET=" + erpSecret}
}

// SimulatedAfterShip tracks the parcels simulate assigned to AfterShip.
func SimulatedAfterShip(now func() time.Time) Simulated {
	return simAfterShip{aftershipfake.New(aftershipfake.Options{APIKey: afterShipKey, Now: now})}
}

type simAfterShip struct{ *aftershipfake.Server }

func (simAfterShip) Type() string { return aftership.DefaultName }
func (s simAfterShip) LoadChanges(r simulate.Reveal, now time.Time) error {
	for _, sh := range r.Shipments {
		if sh.Source != aftership.DefaultName && sh.Source != "" {
			continue
		}
		if err := s.AddShipments(lastEvent(sh, now), sh); err != nil {
			return fmt.Errorf("demo: loading parcels: %w", err)
		}
	}
	return nil
}
func (simAfterShip) Configure(src *config.Source) {
	src.Block.(*aftership.Config).APIKey = secret.New(afterShipKey)
}
func (simAfterShip) YAML() (string, []string) {
	return `aftership: {api_key: "${OB_AFTERSHIP_KEY}"}`, []string{"OB_AFTERSHIP_KEY=" + afterShipKey}
}

// lastEvent is when AfterShip would have last updated the tracking.
func lastEvent(sh orderbot.Shipment, now time.Time) time.Time {
	if !sh.LastEventAt.IsZero() {
		return sh.LastEventAt
	}
	return now
}

// SimulatedKuaidi100 tracks the Chinese parcels, by Kuaidi100 company code.
func SimulatedKuaidi100(now func() time.Time) Simulated {
	return simKuaidi100{kuaidi100fake.New(kuaidi100fake.Options{Customer: kuaidiCustomer, Key: kuaidiKey, Now: now}),
		kuaidi100.DefaultCarriers()}
}

type simKuaidi100 struct {
	*kuaidi100fake.Server
	codes map[string]string // carrier slug → Kuaidi100 company code
}

func (simKuaidi100) Type() string { return kuaidi100.DefaultName }
func (s simKuaidi100) LoadChanges(r simulate.Reveal, _ time.Time) error {
	for _, sh := range r.Shipments {
		if sh.Source != kuaidi100.DefaultName {
			continue
		}
		if code, ok := s.codes[sh.Carrier]; ok {
			sh.Carrier = code
		}
		if err := s.AddShipments(sh); err != nil {
			return fmt.Errorf("demo: loading parcels: %w", err)
		}
	}
	return nil
}
func (simKuaidi100) Configure(src *config.Source) {
	b := src.Block.(*kuaidi100.Config)
	b.Customer, b.Key = secret.New(kuaidiCustomer), secret.New(kuaidiKey)
}
func (simKuaidi100) YAML() (string, []string) {
	return `kuaidi100: {customer: "${OB_KUAIDI100_CUSTOMER}", key: "${OB_KUAIDI100_KEY}"}`,
		[]string{"OB_KUAIDI100_CUSTOMER=" + kuaidiCustomer, "OB_KUAIDI100_KEY=" + kuaidiKey}
}
