package provider

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// SourceSpec declares one source type.
type SourceSpec interface {
	// Type is the name under sources.NAME.type and of the type's block
	// ("stripe"); lower-case.
	Type() string
	// Defaults are what a source of this type assumes when the configuration
	// leaves a key out.
	Defaults() Defaults
	// NewBlock returns a pointer to a fresh, zero configuration block: a struct
	// with yaml tags, decoded from the mapping under the key named like the
	// type. The config package checks its keys against the struct, decodes it,
	// then calls ApplyDefaults and Validate.
	NewBlock() Block
	// Build creates the adapter. The result implements the root interfaces of
	// the data sets it provides (orderbot.OrderSource, PaymentSource,
	// PaymentQuerier, InventorySource, TrackingSource); the wiring finds them
	// by type assertion.
	Build(c Common, b Block) (orderbot.Source, error)
}

// Defaults of a source type. The config package applies them to the keys the
// file leaves out, so each is written once, here, by the adapter.
type Defaults struct {
	// APIURL is the public API's base URL; empty when every customer has their
	// own host (Shopify, ERPNext), which makes api_url required.
	APIURL string
	// Provides are the data sets polled when the source lists none.
	Provides []orderbot.DataSet
	// Allowed are the data sets the type can provide at all.
	Allowed []orderbot.DataSet
	// RateLimit is requests per second, safely below the provider's limit.
	RateLimit float64
	// Overlap and InitialLookback replace the generic defaults (10m, 72h) when
	// set: a source whose records settle late needs a wider overlap.
	Overlap         time.Duration
	InitialLookback time.Duration
	// RecheckEvery replaces the generic 2h for a source asked one record at a
	// time: a payment source asked per order needs minutes, not hours.
	RecheckEvery time.Duration
	// Orders says what the type's orders are, when it provides orders.
	Orders OrderRole
}

// OrderRole says what a source type's orders are to the other systems.
type OrderRole int

// Order roles.
const (
	// OwnOrders are orders of their own, not linked to another system's.
	OwnOrders OrderRole = iota
	// ShopOrders are the storefront's orders, which an ERP may mirror.
	ShopOrders
	// ERPOrders are an ERP's records; beside a shop that provides orders they
	// are its view of the shop's orders, linked through order_links, and
	// orders of their own otherwise.
	ERPOrders
)

// Block is a source type's own configuration block.
type Block interface {
	// ApplyDefaults fills keys left out. apiURL is the source's api_url, for
	// types whose default URL depends on a block key (AfterShip's API version).
	ApplyDefaults(apiURL *string)
	// Validate reports every problem, with paths relative to the block
	// ("secret_key"). enabled is false for a disabled source, which needs no
	// credentials.
	Validate(p Problems, enabled bool)
}

// Problems collects what is wrong with a block.
type Problems interface {
	// Add reports a problem at path, relative to the block.
	Add(path, format string, args ...any)
	// Required reports a missing required value; the message says why it is
	// needed and names the environment variable that left it empty, if any.
	Required(path, why string)
}

// Common is what every source has, whatever its type, as the adapter needs it.
type Common struct {
	// Name is the source's name in the configuration (sources.NAME).
	Name string
	// APIURL is the base URL, defaults applied.
	APIURL string
	// Provides are the data sets the source is polled for.
	Provides []orderbot.DataSet
	// Timeout, MaxRetries and RateLimit are the HTTP policy of the source.
	Timeout    time.Duration
	MaxRetries int
	RateLimit  float64
	// TimeZone is the operator's business zone (timezone), for providers whose
	// times carry no offset.
	TimeZone string
	// Logger has the source's name attached.
	Logger *slog.Logger
	// HTTP adjusts the shared HTTP policy after the adapter filled it in; the
	// wiring adds the metrics registry here.
	HTTP func(*httpclient.Options)
	// Links say how an ERP's order records name the shop's orders
	// (sources.NAME.order_links with defaults applied); nil when the source
	// is no ERP view of a shop's orders.
	Links []orderbot.OrderLink
}

// Registry is the set of source types, in registration order. The zero value is
// empty and ready to use.
type Registry struct {
	sources []SourceSpec
	byType  map[string]SourceSpec
}

// NewRegistry registers specs in order; it panics on a duplicate or empty type,
// which is a programming error in the list cmd/orderbot keeps.
func NewRegistry(specs ...SourceSpec) *Registry {
	r := &Registry{}
	for _, s := range specs {
		if err := r.AddSource(s); err != nil {
			panic(err)
		}
	}
	return r
}

// AddSource registers a source type. It refuses an empty or duplicate type.
func (r *Registry) AddSource(s SourceSpec) error {
	t := s.Type()
	if t == "" {
		return fmt.Errorf("provider: source spec %T has an empty type", s)
	}
	if _, dup := r.byType[t]; dup {
		return fmt.Errorf("provider: source type %q registered twice", t)
	}
	if r.byType == nil {
		r.byType = map[string]SourceSpec{}
	}
	r.byType[t] = s
	r.sources = append(r.sources, s)
	return nil
}

// Source returns the spec of a source type. A nil registry knows no type.
func (r *Registry) Source(typ string) (SourceSpec, bool) {
	if r == nil {
		return nil, false
	}
	s, ok := r.byType[typ]
	return s, ok
}

// SourceTypes lists the registered source types in registration order.
func (r *Registry) SourceTypes() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.sources))
	for i, s := range r.sources {
		out[i] = s.Type()
	}
	return out
}

// Sources lists the registered specs in registration order.
func (r *Registry) Sources() []SourceSpec {
	if r == nil {
		return nil
	}
	return append([]SourceSpec(nil), r.sources...)
}

// Clip shortens outside text echoed in a problem, so a pasted key or a long
// value never floods the message.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NewSourceSpec declares a source type from its parts: B is the block struct
// (its pointer implements Block), build calls the adapter's New.
func NewSourceSpec[B any, PB interface {
	*B
	Block
}](typ string, d Defaults, build func(Common, PB) (orderbot.Source, error)) SourceSpec {
	return sourceSpec[B, PB]{typ: typ, defaults: d, build: build}
}

type sourceSpec[B any, PB interface {
	*B
	Block
}] struct {
	typ      string
	defaults Defaults
	build    func(Common, PB) (orderbot.Source, error)
}

func (s sourceSpec[B, PB]) Type() string       { return s.typ }
func (s sourceSpec[B, PB]) Defaults() Defaults { return s.defaults }
func (s sourceSpec[B, PB]) NewBlock() Block    { return PB(new(B)) }

func (s sourceSpec[B, PB]) Build(c Common, b Block) (orderbot.Source, error) {
	pb, ok := b.(PB)
	if !ok {
		return nil, fmt.Errorf("provider: %s: block is %T, not %T", s.typ, b, PB(nil))
	}
	return s.build(c, pb)
}

// Settings are the adapter settings of the source (httpclient.Settings, which
// every adapter's Options embeds): name, API URL, HTTP policy and logger.
func (c Common) Settings() httpclient.Settings {
	return httpclient.Settings{Name: c.Name, APIURL: c.APIURL, Timeout: c.Timeout, MaxRetries: c.MaxRetries,
		RateLimit: c.RateLimit, Logger: c.Logger, HTTPOptions: c.HTTP}
}
