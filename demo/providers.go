package demo

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/integrations/aftership/aftershipfake"
	"github.com/orderbot/orderbot/integrations/erpnext/erpnextfake"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/kuaidi100/kuaidi100fake"
	"github.com/orderbot/orderbot/integrations/sendgrid/sendgridfake"
	"github.com/orderbot/orderbot/integrations/shopify/shopifyfake"
	"github.com/orderbot/orderbot/integrations/stripe/stripefake"
	"github.com/orderbot/orderbot/integrations/twilio/twiliofake"
	"github.com/orderbot/orderbot/simulate"
)

// Source names the demo configures; simulate's defaults use the same names.
const (
	SourceShopify   = "shopify"
	SourceStripe    = "stripe"
	SourceERPNext   = "erpnext"
	SourceAfterShip = "aftership"
	SourceKuaidi100 = "kuaidi100"
)

// Credentials of the simulated services. They are not secrets: they exist only
// on loopback for the life of the process.
const (
	erpKey         = "demo-erp-key"
	erpSecret      = "demo-erp-secret"
	afterShipKey   = "demo-aftership-key"
	kuaidiCustomer = "DEMOCUSTOMER0001"
	kuaidiKey      = "demokuaidikey"
)

// Providers are the simulated services, each an httptest server on loopback.
type Providers struct {
	Shopify   *shopifyfake.Server
	Stripe    *stripefake.Server
	ERPNext   *erpnextfake.Server
	AfterShip *aftershipfake.Server
	Kuaidi100 *kuaidi100fake.Server
	// Twilio and SendGrid receive the customer notices (see ConfigureNotices).
	Twilio   *twiliofake.Server
	SendGrid *sendgridfake.Server

	kuaidiCodes map[string]string // carrier slug → Kuaidi100 company code
}

// StartProviders starts every simulated service. now is the clock their
// "current time" follows (the demo's accelerated clock, or time.Now).
func StartProviders(now func() time.Time) *Providers {
	if now == nil {
		now = time.Now
	}
	return &Providers{
		Shopify:     shopifyfake.New(shopifyfake.Options{}),
		Stripe:      stripefake.New(stripefake.Options{}),
		ERPNext:     erpnextfake.New(erpnextfake.Options{APIKey: erpKey, APISecret: erpSecret, Now: now}),
		AfterShip:   aftershipfake.New(aftershipfake.Options{APIKey: afterShipKey, Now: now}),
		Kuaidi100:   kuaidi100fake.New(kuaidi100fake.Options{Customer: kuaidiCustomer, Key: kuaidiKey, Now: now}),
		Twilio:      twiliofake.New(twiliofake.Options{Now: now}),
		SendGrid:    sendgridfake.New(sendgridfake.Options{Now: now}),
		kuaidiCodes: kuaidi100.DefaultCarriers(),
	}
}

// Close stops every service.
func (p *Providers) Close() {
	p.Shopify.Close()
	p.Stripe.Close()
	p.ERPNext.Close()
	p.AfterShip.Close()
	p.Kuaidi100.Close()
	p.Twilio.Close()
	p.SendGrid.Close()
}

// Load puts a generated batch into the services it belongs to: orders and shop
// stock into Shopify, payments into Stripe, ERP stock into ERPNext, parcels into
// AfterShip or Kuaidi100 by the source simulate assigned them. Its records are
// dated up to two weeks before ds.Now: load it before anything polls (the
// acceptance tests do), never into services a poller already reads; the demo
// loads a simulate.Timeline step by step instead (see Feed).
func (p *Providers) Load(ds simulate.Dataset) error {
	return p.LoadChanges(simulate.Reveal{Orders: ds.Orders, Payments: ds.Payments, Shipments: ds.Shipments,
		ShopStock: ds.ShopStock, ERPStock: ds.ERPStock}, ds.Now)
}

// LoadChanges adds or replaces the given records in the services they belong
// to; now stamps AfterShip trackings that have no checkpoint yet.
func (p *Providers) LoadChanges(r simulate.Reveal, now time.Time) error {
	if err := p.Shopify.AddOrders(r.Orders...); err != nil {
		return fmt.Errorf("demo: loading orders: %w", err)
	}
	if err := p.Stripe.AddPayments(r.Payments...); err != nil {
		return fmt.Errorf("demo: loading payments: %w", err)
	}
	if len(r.ShopStock) > 0 {
		if err := p.Shopify.SetStock(r.ShopStock...); err != nil {
			return fmt.Errorf("demo: loading shop stock: %w", err)
		}
	}
	if err := p.ERPNext.SetStock(r.ERPStock...); err != nil {
		return fmt.Errorf("demo: loading ERP stock: %w", err)
	}
	for _, sh := range r.Shipments {
		switch sh.Source {
		case SourceKuaidi100:
			if code, ok := p.kuaidiCodes[sh.Carrier]; ok {
				sh.Carrier = code
			}
			if err := p.Kuaidi100.AddShipments(sh); err != nil {
				return fmt.Errorf("demo: loading parcels: %w", err)
			}
		default:
			if err := p.AfterShip.AddShipments(lastEvent(sh, now), sh); err != nil {
				return fmt.Errorf("demo: loading parcels: %w", err)
			}
		}
	}
	return nil
}

// lastEvent is when AfterShip would have last updated the tracking.
func lastEvent(sh orderbot.Shipment, now time.Time) time.Time {
	if !sh.LastEventAt.IsZero() {
		return sh.LastEventAt
	}
	return now
}

// Configure points cfg's sources at the simulated services, each enabled with
// the given schedule (a cron spec or "@every 10s"). Everything else in cfg is
// left as it is.
func (p *Providers) Configure(cfg *config.Config, schedule string) {
	if cfg.Sources == nil {
		cfg.Sources = map[string]config.Source{}
	}
	add := func(name string, t config.SourceType, url string, set func(*config.Source)) {
		s := config.NewSource(t)
		s.APIURL, s.Schedule = url, schedule
		// The simulated services have no rate limits; the providers' own
		// (Shopify's 2 calls a second, Kuaidi100's few queries a second)
		// would keep the accelerated clock's first polls of two weeks of
		// history running for minutes.
		s.RateLimit = 200
		set(&s)
		cfg.Sources[name] = s
	}
	add(SourceShopify, config.SourceShopify, p.Shopify.URL(), func(s *config.Source) {
		s.Shopify.AccessToken = config.NewSecret(p.Shopify.AccessToken())
	})
	add(SourceStripe, config.SourceStripe, p.Stripe.URL(), func(s *config.Source) {
		s.Stripe.SecretKey = config.NewSecret(p.Stripe.APIKey())
	})
	add(SourceERPNext, config.SourceERPNext, p.ERPNext.URL(), func(s *config.Source) {
		s.ERPNext.APIKey, s.ERPNext.APISecret = config.NewSecret(erpKey), config.NewSecret(erpSecret)
	})
	add(SourceAfterShip, config.SourceAfterShip, p.AfterShip.URL(), func(s *config.Source) {
		s.AfterShip.APIKey = config.NewSecret(afterShipKey)
	})
	add(SourceKuaidi100, config.SourceKuaidi100, p.Kuaidi100.URL(), func(s *config.Source) {
		s.Kuaidi100.Customer, s.Kuaidi100.Key = config.NewSecret(kuaidiCustomer), config.NewSecret(kuaidiKey)
	})
}
