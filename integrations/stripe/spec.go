package stripe

import (
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.stripe block.
type Config struct {
	// SecretKey is a secret (sk_…) or restricted (rk_…) key.
	SecretKey secret.Secret `yaml:"secret_key"`
	// OrderIDKey is the PaymentIntent metadata key holding the shop's order id.
	OrderIDKey string `yaml:"order_id_key"`
	// Account, when set, reads a Connect account's data (Stripe-Account header).
	Account string `yaml:"account"`
}

// ApplyDefaults fills order_id_key.
func (c *Config) ApplyDefaults(*string) {
	if c.OrderIDKey == "" {
		c.OrderIDKey = DefaultOrderIDKey
	}
}

// Validate checks the key; a publishable key would be refused by Stripe.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && !c.SecretKey.IsSet() {
		p.Required("secret_key", "")
	}
	if strings.HasPrefix(c.SecretKey.Value(), "pk_") {
		p.Add("secret_key", "is a publishable key; use a secret (sk_) or restricted (rk_) key")
	}
	if c.OrderIDKey == "" {
		p.Required("order_id_key", "(the PaymentIntent metadata key with the order id)")
	}
}

// Spec declares the stripe source type. Stripe allows 25 req/s in test mode and
// on most endpoints.
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{APIURL: DefaultAPIURL, RateLimit: DefaultRateLimit,
	Provides: []orderbot.DataSet{orderbot.DataPayments}, Allowed: []orderbot.DataSet{orderbot.DataPayments}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings:  c.Settings(),
			SecretKey: cfg.SecretKey.Value(), OrderIDKey: cfg.OrderIDKey,
			Account: cfg.Account,
		})
	})
