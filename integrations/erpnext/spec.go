package erpnext

import (
	"strconv"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config/secret"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the sources.NAME.erpnext block: an API user's key pair and filters.
type Config struct {
	APIKey    secret.Secret `yaml:"api_key"`
	APISecret secret.Secret `yaml:"api_secret"`
	// Warehouses limits stock (Bin) reads to these warehouses; empty reads all.
	Warehouses []string `yaml:"warehouses,flow"`
	// Company limits Sales Orders to one company (Bin has no company, so
	// stock is limited by Warehouses only); empty reads all.
	Company string `yaml:"company"`
}

// ApplyDefaults has nothing to fill.
func (c *Config) ApplyDefaults(*string) {}

// Validate checks the key pair and the warehouse names.
func (c *Config) Validate(p provider.Problems, enabled bool) {
	if enabled && !c.APIKey.IsSet() {
		p.Required("api_key", "")
	}
	if enabled && !c.APISecret.IsSet() {
		p.Required("api_secret", "")
	}
	if c.Company != "" && strings.TrimSpace(c.Company) != c.Company {
		p.Add("company", "must not start or end with whitespace (ERPNext compares the name exactly)")
	}
	for i, w := range c.Warehouses {
		if strings.TrimSpace(w) == "" {
			p.Add("warehouses["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
}

// Spec declares the erpnext source type. Every site has its own host; ERPNext
// has no rate limit unless the site configures one.
var Spec = provider.NewSourceSpec(DefaultName, provider.Defaults{Orders: provider.ERPOrders, RateLimit: 5,
	Provides: []orderbot.DataSet{orderbot.DataInventory},
	Allowed:  []orderbot.DataSet{orderbot.DataInventory, orderbot.DataOrders}},
	func(c provider.Common, cfg *Config) (orderbot.Source, error) {
		return New(Options{
			Settings: c.Settings(),
			APIKey:   cfg.APIKey.Value(), APISecret: cfg.APISecret.Value(),
			Warehouses: cfg.Warehouses, Company: cfg.Company, TimeZone: c.TimeZone,
			Links: c.Links})
	})
