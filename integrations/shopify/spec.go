package shopify

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.shopify block: a custom app's credentials.
type Config struct {
	AccessToken secret.Secret `yaml:"access_token"`
	// APIVersion is the Admin API version, YYYY-MM (quarterly).
	APIVersion string `yaml:"api_version"`
	// LocationIDs limits inventory to these locations (ids or names); empty
	// reads every active location of the shop.
	LocationIDs []string `yaml:"location_ids,flow"`
}

var apiVersionPattern = regexp.MustCompile(`^(\d{4}-(01|04|07|10)|unstable)$`)

// ApplyDefaults fills api_version.
func (c *Config) ApplyDefaults(*string) {
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
}

// Validate checks the token, the version and the locations.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && !c.AccessToken.IsSet() {
		p.Required("access_token", "")
	}
	if !apiVersionPattern.MatchString(c.APIVersion) {
		p.Add("api_version", "must be a quarterly version YYYY-01|04|07|10 such as %q (or unstable), got %q",
			DefaultAPIVersion, provider.Clip(c.APIVersion, 20))
	}
	for i, id := range c.LocationIDs {
		if strings.TrimSpace(id) == "" {
			p.Add("location_ids["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
}

// Spec declares the shopify source type. Every shop has its own host, so
// api_url has no default; the standard leaky bucket drains at 2 req/s.
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{Orders: provider.ShopOrders, RateLimit: 1.5,
	Provides: []orderbot.DataSet{orderbot.DataOrders, orderbot.DataInventory},
	Allowed:  []orderbot.DataSet{orderbot.DataOrders, orderbot.DataInventory}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings:    c.Settings(),
			AccessToken: cfg.AccessToken.Value(), APIVersion: cfg.APIVersion,
			Locations: cfg.LocationIDs,
		})
	})
