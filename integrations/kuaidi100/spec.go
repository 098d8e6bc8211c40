package kuaidi100

import (
	"maps"
	"slices"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.kuaidi100 block: the customer code and key that
// sign each query.
type Config struct {
	Customer secret.Secret `yaml:"customer"`
	Key      secret.Secret `yaml:"key"`
	// CarrierCodes maps orderbot's carrier slugs to Kuaidi100 company codes
	// where they differ (e.g. sf: shunfeng), on top of the adapter's table.
	CarrierCodes map[string]string `yaml:"carrier_codes"`
	// Phone is the shop's sender phone; SF Express and ZTO require its last
	// four digits for privacy waybills, and only those are sent.
	Phone string `yaml:"phone"`
}

// ApplyDefaults has nothing to fill.
func (c *Config) ApplyDefaults(*string) {}

// Validate checks the credentials and the carrier table.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && !c.Customer.IsSet() {
		p.Required("customer", "")
	}
	if enabled && !c.Key.IsSet() {
		p.Required("key", "")
	}
	for _, k := range slices.Sorted(maps.Keys(c.CarrierCodes)) {
		if k == "" || strings.TrimSpace(c.CarrierCodes[k]) == "" {
			p.Add("carrier_codes."+k, "carrier slug and Kuaidi100 code must both be non-empty")
		}
	}
}

// Spec declares the kuaidi100 source type. Kuaidi100 publishes no rate; its
// quota is per query, so stay modest.
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{APIURL: DefaultAPIURL, RateLimit: 5,
	Provides: []orderbot.DataSet{orderbot.DataTracking}, Allowed: []orderbot.DataSet{orderbot.DataTracking}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings: c.Settings(),
			Customer: cfg.Customer.Value(), Key: cfg.Key.Value(),
			Carriers: cfg.CarrierCodes, Phone: cfg.Phone,
		})
	})
