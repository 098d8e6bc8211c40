package config

import (
	"time"

	"github.com/orderbot/orderbot"
	"go.yaml.in/yaml/v3"
)

// SourceType is the kind of system a source polls.
type SourceType string

// Source types.
const (
	SourceStripe    SourceType = "stripe"
	SourceShopify   SourceType = "shopify"
	SourceERPNext   SourceType = "erpnext"
	SourceAfterShip SourceType = "aftership"
	SourceKuaidi100 SourceType = "kuaidi100"
)

// SourceTypes lists the valid source types.
var SourceTypes = []SourceType{SourceStripe, SourceShopify, SourceERPNext, SourceAfterShip, SourceKuaidi100}

// typeInfo is what differs between source types: the base URL of the public API
// (empty when every customer has their own host), the data sets it provides by
// default and may provide, and a polling rate safely below the provider's limit
// (docs/providers.md).
type typeInfo struct {
	apiURL    string
	provides  []orderbot.DataSet
	allowed   []orderbot.DataSet
	rateLimit float64
}

var sourceTypeInfo = map[SourceType]typeInfo{
	// Stripe allows 25 req/s in test mode and on most endpoints.
	SourceStripe: {apiURL: "https://api.stripe.com", provides: []orderbot.DataSet{orderbot.DataPayments},
		allowed: []orderbot.DataSet{orderbot.DataPayments}, rateLimit: 20},
	// Shopify's standard leaky bucket drains at 2 req/s.
	SourceShopify: {provides: []orderbot.DataSet{orderbot.DataOrders, orderbot.DataInventory},
		allowed: []orderbot.DataSet{orderbot.DataOrders, orderbot.DataInventory}, rateLimit: 1.5},
	// ERPNext has no limit unless the site configures one.
	SourceERPNext: {provides: []orderbot.DataSet{orderbot.DataInventory},
		allowed: []orderbot.DataSet{orderbot.DataInventory, orderbot.DataOrders}, rateLimit: 5},
	// AfterShip allows 10 req/s per account. Its api_url depends on the API
	// version (applyDefaults).
	SourceAfterShip: {provides: []orderbot.DataSet{orderbot.DataTracking},
		allowed: []orderbot.DataSet{orderbot.DataTracking}, rateLimit: 8},
	// Kuaidi100 publishes no rate; its quota is per query, so stay modest.
	SourceKuaidi100: {apiURL: "https://poll.kuaidi100.com", provides: []orderbot.DataSet{orderbot.DataTracking},
		allowed: []orderbot.DataSet{orderbot.DataTracking}, rateLimit: 5},
}

// DefaultShopifyAPIVersion is the Shopify Admin API version used when none is set.
const DefaultShopifyAPIVersion = "2025-10"

// DefaultSchedule is how often a source is polled when it sets no schedule.
const DefaultSchedule = "@every 1m"

// Source is one polled system. Exactly one type-specific block (the one named
// like Type) holds its credentials and options.
type Source struct {
	// Type is stripe, shopify, erpnext, aftership or kuaidi100. It may be left
	// out when the source's name is a type ("shopify:").
	Type SourceType `yaml:"type"`
	// Enabled: a disabled source is not polled and needs no credentials.
	Enabled bool `yaml:"enabled"`
	// Schedule is a cron spec (seconds optional) or a descriptor such as
	// "@every 1m" or "@hourly".
	Schedule string `yaml:"schedule"`
	// APIURL is the base URL of the provider's API (the adapter appends paths),
	// so a sandbox or a local fake can stand in.
	APIURL string `yaml:"api_url"`
	// Provides lists the data sets this source is polled for.
	Provides []orderbot.DataSet `yaml:"provides,flow"`
	// OrderLinks say, for an ERP source that provides orders next to a shop,
	// which ERP field holds the shop's order id or name (see erplinks.go).
	OrderLinks []OrderLink `yaml:"order_links,omitempty"`
	// Overlap is the look-back: each poll asks for records updated since the
	// last cursor minus Overlap, to catch updates committed late.
	Overlap Duration `yaml:"overlap"`
	// InitialLookback is how far back the very first poll of a source reaches
	// (there is no cursor yet). Later polls start at their cursor.
	InitialLookback Duration `yaml:"initial_lookback"`
	// RecheckEvery is how often a per-parcel tracker (Kuaidi100) is asked again
	// about a parcel that is still moving.
	RecheckEvery Duration `yaml:"recheck_every"`
	// Timeout bounds one HTTP request.
	Timeout Duration `yaml:"timeout"`
	// MaxRetries is how often a failed idempotent request is retried.
	MaxRetries int `yaml:"max_retries"`
	// RateLimit is requests per second to this provider.
	RateLimit float64 `yaml:"rate_limit"`

	Stripe    *StripeSource    `yaml:"stripe,omitempty"`
	Shopify   *ShopifySource   `yaml:"shopify,omitempty"`
	ERPNext   *ERPNextSource   `yaml:"erpnext,omitempty"`
	AfterShip *AfterShipSource `yaml:"aftership,omitempty"`
	Kuaidi100 *Kuaidi100Source `yaml:"kuaidi100,omitempty"`
}

// StripeSource holds Stripe's credentials.
type StripeSource struct {
	// SecretKey is a secret (sk_…) or restricted (rk_…) key.
	SecretKey Secret `yaml:"secret_key"`
	// OrderIDKey is the PaymentIntent metadata key holding the shop's order id.
	OrderIDKey string `yaml:"order_id_key"`
	// Account, when set, reads a Connect account's data (Stripe-Account header).
	Account string `yaml:"account"`
}

// ShopifySource holds a Shopify custom app's credentials.
type ShopifySource struct {
	AccessToken Secret `yaml:"access_token"`
	// APIVersion is the Admin API version, YYYY-MM (quarterly).
	APIVersion string `yaml:"api_version"`
	// LocationIDs limits inventory to these locations (ids or names); empty
	// reads every active location of the shop.
	LocationIDs []string `yaml:"location_ids,flow"`
}

// ERPNextSource holds an ERPNext user's API key pair and filters.
type ERPNextSource struct {
	APIKey    Secret `yaml:"api_key"`
	APISecret Secret `yaml:"api_secret"`
	// Warehouses limits stock (Bin) reads to these warehouses; empty reads all.
	Warehouses []string `yaml:"warehouses,flow"`
	// Company limits Sales Orders to one company; empty reads all.
	Company string `yaml:"company"`
}

// AfterShipSource holds AfterShip's API key and the API version spoken.
type AfterShipSource struct {
	APIKey Secret `yaml:"api_key"`
	// APIVersion is 2024-04, 2023-10 or v4; it picks the auth header and the
	// default api_url.
	APIVersion string `yaml:"api_version"`
}

// AfterShip API versions the adapter speaks.
var afterShipVersions = []string{"2024-04", "2023-10", "v4"}

// DefaultAfterShipAPIVersion is the AfterShip API version used when none is set.
const DefaultAfterShipAPIVersion = "2024-04"

// afterShipURL is AfterShip's base URL for an API version.
func afterShipURL(version string) string {
	if version == "v4" {
		return "https://api.aftership.com/v4"
	}
	return "https://api.aftership.com/tracking/" + version
}

// Kuaidi100Source holds Kuaidi100's customer code and key, which sign each query.
type Kuaidi100Source struct {
	Customer Secret `yaml:"customer"`
	Key      Secret `yaml:"key"`
	// CarrierCodes maps orderbot's carrier slugs to Kuaidi100 company codes
	// where they differ (e.g. sf: shunfeng), on top of the adapter's table.
	CarrierCodes map[string]string `yaml:"carrier_codes"`
	// Phone is the shop's sender phone; SF Express and ZTO require its last
	// four digits for privacy waybills, and only those are sent.
	Phone string `yaml:"phone"`
}

// NewSource returns a source of type t with every default applied, enabled,
// for code that builds a Config without a file (the demo, tests).
func NewSource(t SourceType) Source {
	s := genericSourceDefaults()
	s.Type = t
	s.applyDefaults(string(t))
	return s
}

// genericSourceDefaults are the defaults that do not depend on the type.
func genericSourceDefaults() Source {
	return Source{
		Enabled:         true,
		Schedule:        DefaultSchedule,
		Overlap:         Duration(10 * time.Minute),
		InitialLookback: Duration(72 * time.Hour),
		RecheckEvery:    Duration(2 * time.Hour),
		Timeout:         Duration(15 * time.Second),
		MaxRetries:      3,
	}
}

// UnmarshalYAML starts a source from the defaults that a zero value cannot
// express (enabled: true, max_retries: 3, overlap: 10m), so that leaving a key
// out and writing false or 0 stay different.
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	type plain Source
	p := plain(genericSourceDefaults())
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Source(p)
	return nil
}

// applyDefaults fills the type-dependent defaults. A source without a type
// named after a type gets that type.
func (s *Source) applyDefaults(name string) {
	if s.Type == "" {
		if _, ok := sourceTypeInfo[SourceType(name)]; ok {
			s.Type = SourceType(name)
		}
	}
	if s.Schedule == "" {
		s.Schedule = DefaultSchedule
	}
	info, ok := sourceTypeInfo[s.Type]
	if !ok {
		return
	}
	if s.APIURL == "" {
		s.APIURL = info.apiURL
	}
	if len(s.Provides) == 0 {
		s.Provides = append([]orderbot.DataSet(nil), info.provides...)
	}
	if s.RateLimit == 0 {
		s.RateLimit = info.rateLimit
	}
	switch s.Type {
	case SourceStripe:
		if s.Stripe == nil {
			s.Stripe = &StripeSource{}
		}
		if s.Stripe.OrderIDKey == "" {
			s.Stripe.OrderIDKey = "order_id"
		}
	case SourceShopify:
		if s.Shopify == nil {
			s.Shopify = &ShopifySource{}
		}
		if s.Shopify.APIVersion == "" {
			s.Shopify.APIVersion = DefaultShopifyAPIVersion
		}
	case SourceERPNext:
		if s.ERPNext == nil {
			s.ERPNext = &ERPNextSource{}
		}
	case SourceAfterShip:
		if s.AfterShip == nil {
			s.AfterShip = &AfterShipSource{}
		}
		if s.AfterShip.APIVersion == "" {
			s.AfterShip.APIVersion = DefaultAfterShipAPIVersion
		}
		if s.APIURL == "" {
			s.APIURL = afterShipURL(s.AfterShip.APIVersion)
		}
	case SourceKuaidi100:
		if s.Kuaidi100 == nil {
			s.Kuaidi100 = &Kuaidi100Source{}
		}
	}
}

// Has reports whether the source provides data set d.
func (s Source) Has(d orderbot.DataSet) bool {
	for _, p := range s.Provides {
		if p == d {
			return true
		}
	}
	return false
}
