package demo

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/internal/fakes/sendgridfake"
	"github.com/orderbot/orderbot/internal/fakes/twiliofake"
	"github.com/orderbot/orderbot/internal/simulate"
)

// Providers are the simulated services, each an httptest server on loopback.
type Providers struct {
	// Sources are the simulated sources, in the order they were listed.
	Sources []Simulated
	// Twilio and SendGrid receive the customer notices (see ConfigureNotices).
	Twilio   *twiliofake.Server
	SendGrid *sendgridfake.Server
}

// StartProviders starts the simulated sources listed (one per source type) and
// the notice providers. now is the clock their "current time" follows (the
// demo's accelerated clock, or time.Now).
func StartProviders(now func() time.Time, sources ...NewSimulated) *Providers {
	if now == nil {
		now = time.Now
	}
	p := &Providers{
		Twilio:   twiliofake.New(twiliofake.Options{Now: now}),
		SendGrid: sendgridfake.New(sendgridfake.Options{Now: now}),
	}
	for _, start := range sources {
		p.Sources = append(p.Sources, start(now))
	}
	return p
}

// Source returns the simulated source of a type ("shopify"), nil when none
// was started.
func (p *Providers) Source(typ string) Simulated {
	for _, s := range p.Sources {
		if s.Type() == typ {
			return s
		}
	}
	return nil
}

// Types are the types of the simulated sources, in the order they were listed.
func (p *Providers) Types() []string {
	out := make([]string, len(p.Sources))
	for i, s := range p.Sources {
		out[i] = s.Type()
	}
	return out
}

// Close stops every service.
func (p *Providers) Close() {
	for _, s := range p.Sources {
		s.Close()
	}
	p.Twilio.Close()
	p.SendGrid.Close()
}

// Load puts a generated batch into the services it belongs to; each takes its
// part (orders and shop stock to Shopify, payments to the provider simulate
// assigned them to, parcels to their tracker). Its records are dated up to two
// weeks before ds.Now: load it before anything polls (the acceptance tests
// do), never into services a poller already reads; the demo loads a
// simulate.Timeline step by step instead (see Feed).
func (p *Providers) Load(ds simulate.Dataset) error {
	return p.LoadChanges(simulate.Reveal{Orders: ds.Orders, Payments: ds.Payments, Shipments: ds.Shipments,
		ShopStock: ds.ShopStock, ERPStock: ds.ERPStock}, ds.Now)
}

// LoadChanges adds or replaces the given records in the services they belong
// to, each taking its part; now stamps records a service dates itself but r
// leaves undated (AfterShip trackings with no checkpoint yet).
func (p *Providers) LoadChanges(r simulate.Reveal, now time.Time) error {
	for _, s := range p.Sources {
		if err := s.LoadChanges(r, now); err != nil {
			return err
		}
	}
	return nil
}

// WorldShaper is a Simulated that changes what the simulated shop generates
// (the Alipay stand-in takes the Chinese wallet payments).
type WorldShaper interface {
	ShapeWorld(o *simulate.Options)
}

// ShapeWorld lets each simulated source that needs it adjust the simulated
// shop's options before the world is created.
func (p *Providers) ShapeWorld(o *simulate.Options) {
	for _, s := range p.Sources {
		if ws, ok := s.(WorldShaper); ok {
			ws.ShapeWorld(o)
		}
	}
}

// Configure points cfg's sources at the simulated services, each enabled with
// the given schedule (a cron spec or "@every 10s"). Everything else in cfg is
// left as it is; cfg must know the source types (config.UseProviders).
func (p *Providers) Configure(cfg *config.Config, schedule string) {
	if cfg.Sources == nil {
		cfg.Sources = map[string]config.Source{}
	}
	for _, sim := range p.Sources {
		s := cfg.NewSource(config.SourceType(sim.Type()))
		s.APIURL, s.Schedule = sim.URL(), schedule
		if s.Block == nil {
			panic(fmt.Sprintf("demo: source type %q is not registered with the configuration", sim.Type()))
		}
		// The simulated services have no rate limits; the providers' own
		// (Shopify's 2 calls a second, Kuaidi100's few queries a second)
		// would keep the accelerated clock's first polls of two weeks of
		// history running for minutes.
		s.RateLimit = 200
		sim.Configure(&s)
		cfg.Sources[sim.Type()] = s
	}
}
