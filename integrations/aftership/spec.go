package aftership

import (
	"slices"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.aftership block.
type Config struct {
	APIKey secret.Secret `yaml:"api_key"`
	// APIVersion is 2024-04, 2023-10 or v4; it picks the auth header and the
	// default api_url.
	APIVersion string `yaml:"api_version"`
}

// ApplyDefaults fills api_version, and api_url from it.
func (c *Config) ApplyDefaults(apiURL *string) {
	if c.APIVersion == "" {
		c.APIVersion = DefaultVersion
	}
	if *apiURL == "" {
		*apiURL = BaseURL(c.APIVersion)
	}
}

// Validate checks the key and the version.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && !c.APIKey.IsSet() {
		p.Required("api_key", "")
	}
	if !slices.Contains(Versions, c.APIVersion) {
		p.Add("api_version", "must be one of %s, got %q", strings.Join(Versions, ", "), provider.Clip(c.APIVersion, 20))
	}
}

// Spec declares the aftership source type. AfterShip allows 10 req/s per
// account; the api_url depends on the API version (Config.ApplyDefaults).
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{RateLimit: 8,
	Provides: []orderbot.DataSet{orderbot.DataTracking}, Allowed: []orderbot.DataSet{orderbot.DataTracking}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings: c.Settings(),
			APIKey:   cfg.APIKey.Value(), APIVersion: cfg.APIVersion,
		})
	})
