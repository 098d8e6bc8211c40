package alipay

import (
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.alipay block.
type Config struct {
	// AppID is the merchant app's id on the Alipay open platform.
	AppID string `yaml:"app_id"`
	// PrivateKey is the app's RSA2 private key (PEM or bare base64), which
	// signs every request.
	PrivateKey secret.Secret `yaml:"private_key"`
	// AlipayPublicKey is the Alipay public key from the app's settings (PEM or
	// bare base64), which verifies every answer.
	AlipayPublicKey string `yaml:"alipay_public_key"`
	// AppAuthToken queries for a merchant who authorised a third-party app.
	AppAuthToken secret.Secret `yaml:"app_auth_token"`
}

// ApplyDefaults has nothing to fill.
func (c *Config) ApplyDefaults(*string) {}

// Validate checks that the keys are present and parse; a key is never echoed.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && c.AppID == "" {
		p.Required("app_id", "")
	}
	if !c.PrivateKey.IsSet() {
		if enabled {
			p.Required("private_key", "")
		}
	} else if _, err := ParsePrivateKey(c.PrivateKey.Value()); err != nil {
		p.Add("private_key", "%v", err)
	}
	if c.AlipayPublicKey == "" {
		if enabled {
			p.Required("alipay_public_key", "(the Alipay public key from the app's settings)")
		}
	} else if _, err := ParsePublicKey(c.AlipayPublicKey); err != nil {
		p.Add("alipay_public_key", "%v", err)
	}
}

// Spec declares the alipay source type: payments, by query per order. An order
// in doubt is asked again every 5 minutes, inside payment.unrecorded's 15.
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{APIURL: DefaultAPIURL, RateLimit: DefaultRateLimit,
	RecheckEvery: 5 * time.Minute,
	Provides:     []orderbot.DataSet{orderbot.DataPayments}, Allowed: []orderbot.DataSet{orderbot.DataPayments}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings: c.Settings(),
			AppID:    cfg.AppID, PrivateKey: cfg.PrivateKey.Value(),
			AlipayPublicKey: cfg.AlipayPublicKey, AppAuthToken: cfg.AppAuthToken.Value(),
		})
	})
