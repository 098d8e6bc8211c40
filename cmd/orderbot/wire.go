package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/bot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/jobs"
	"github.com/orderbot/orderbot/notify"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// defaultConfigPath is where --config points when not given.
const defaultConfigPath = "orderbot.yaml"

// loadConfig reads and validates the configuration; the error lists every
// problem by key path.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		if orderbot.IsKind(err, orderbot.KindNotFound) {
			return nil, fmt.Errorf("%s: not found (copy orderbot.example.yaml to %s, or pass --config)", path, defaultConfigPath)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// newLogger builds the process logger from log.level and log.format.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// app is the wired process: everything serve, poll and demo share.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	reg      *prometheus.Registry
	store    *store.Store
	detector *detect.Detector
	engine   *tickets.Engine
	poller   *jobs.Poller
	metrics  *jobs.Metrics
	sweeper  *jobs.Sweeper
	bot      *bot.Bot         // nil when Slack is not configured
	notifier *notify.Notifier // nil when customer notices are off
	now      func() time.Time
	// schedules maps source name → cron spec, for enabled sources.
	schedules map[string]string
}

// appOptions adjust wiring for the demo (an embedded Redis, a fast clock).
type appOptions struct {
	redisURL string           // overrides cfg.Redis.URL when set
	now      func() time.Time // default time.Now
}

func buildApp(ctx context.Context, cfg *config.Config, log *slog.Logger, o appOptions) (*app, error) {
	if o.now == nil {
		o.now = time.Now
	}
	url := cfg.Redis.URL.Value()
	if o.redisURL != "" {
		url = o.redisURL
	}
	sopts := store.Options{Prefix: cfg.Redis.Prefix, Now: o.now, WarnBefore: cfg.SLA.WarnBefore.D(),
		InFlightRetention: cfg.Redis.Retention.InFlight.D(), FinishedRetention: cfg.Redis.Retention.Finished.D()}
	// Consumer groups are created at start so outbox trimming never drops
	// what the poster or the notifier has not read yet.
	var groups []string
	if cfg.Slack.Configured() {
		groups = append(groups, bot.PosterGroup)
	}
	if cfg.Notices.Enabled {
		groups = append(groups, notify.Group)
	}
	if len(groups) > 0 {
		sopts.OutboxGroups = map[string][]string{store.OutboxSlack: groups}
	}
	st, err := store.Open(ctx, url, sopts)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := jobs.NewMetrics(reg)
	reg.MustRegister(jobs.NewTicketStateCollector(st), jobs.NewRecordMemoryCollector(st))

	settings := cfg.KindSettings()
	det := detect.New(settings, detect.Options{})
	eng := tickets.New(st, tickets.Options{Settings: settings, ReopenWindow: cfg.Tickets.ReopenWindow.D(), Now: o.now})
	srcs, schedules, err := buildSources(cfg, log, reg)
	if err != nil {
		st.Close()
		return nil, err
	}
	steps := make([]time.Duration, len(cfg.SLA.Escalation))
	for i, s := range cfg.SLA.Escalation {
		steps[i] = s.After.D()
	}
	a := &app{
		cfg: cfg, log: log, reg: reg, store: st, detector: det, engine: eng, metrics: m,
		poller:    &jobs.Poller{Store: st, Detector: det, Engine: eng, Sources: srcs, Now: o.now, Log: log, Metrics: m},
		sweeper:   &jobs.Sweeper{Store: st, Steps: steps, Now: o.now, Log: log},
		schedules: schedules,
		now:       o.now,
	}
	if a.notifier, err = buildNotifier(cfg, st, orderSources(srcs), log, reg, o.now); err != nil {
		st.Close()
		return nil, err
	}
	if a.bot, err = a.buildBot(); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) Close() { a.store.Close() }

// buildSources creates one adapter per enabled source, in name order, with the
// roles its `provides` list asks for.
func buildSources(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) ([]jobs.Source, map[string]string, error) {
	names := make([]string, 0, len(cfg.Sources))
	for n := range cfg.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []jobs.Source
	schedules := map[string]string{}
	for _, name := range names {
		sc := cfg.Sources[name]
		if !sc.Enabled {
			continue
		}
		slog := log.With("source", name)
		httpOpts := func(o *httpclient.Options) { o.Registerer = reg }
		js := jobs.Source{Name: name, Overlap: sc.Overlap.D(), InitialLookback: sc.InitialLookback.D(), RecheckEvery: sc.RecheckEvery.D()}
		provides := map[orderbot.DataSet]bool{}
		for _, ds := range sc.Provides {
			provides[ds] = true
		}
		switch sc.Type {
		case config.SourceStripe:
			c, err := stripe.New(stripe.Options{Name: name, APIURL: sc.APIURL, SecretKey: sc.Stripe.SecretKey.Value(),
				OrderIDKey: sc.Stripe.OrderIDKey, Timeout: sc.Timeout.D(), MaxRetries: sc.MaxRetries,
				RateLimit: sc.RateLimit, Logger: slog, Registerer: reg})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
			}
			js.Payments = c
		case config.SourceShopify:
			locs := make([]string, len(sc.Shopify.LocationIDs))
			for i, id := range sc.Shopify.LocationIDs {
				locs[i] = fmt.Sprint(id)
			}
			c, err := shopify.New(shopify.Options{Name: name, APIURL: sc.APIURL, AccessToken: sc.Shopify.AccessToken.Value(),
				APIVersion: sc.Shopify.APIVersion, Locations: locs, Timeout: sc.Timeout.D(), MaxRetries: sc.MaxRetries,
				RateLimit: sc.RateLimit, Logger: slog, Registerer: reg})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
			}
			if provides[orderbot.DataOrders] {
				js.Orders = c
			}
			if provides[orderbot.DataInventory] {
				js.Inventory = c
			}
		case config.SourceERPNext:
			c, err := erpnext.New(erpnext.Options{Name: name, APIURL: sc.APIURL, APIKey: sc.ERPNext.APIKey.Value(),
				APISecret: sc.ERPNext.APISecret.Value(), Warehouses: sc.ERPNext.Warehouses, TimeZone: cfg.Timezone,
				Timeout: sc.Timeout.D(), MaxRetries: sc.MaxRetries, RateLimit: sc.RateLimit, Logger: slog, HTTPOptions: httpOpts})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
			}
			if provides[orderbot.DataOrders] {
				js.Orders = c
			}
			if provides[orderbot.DataInventory] {
				js.Inventory = c
			}
		case config.SourceAfterShip:
			c, err := aftership.New(aftership.Options{Name: name, APIURL: sc.APIURL, APIKey: sc.AfterShip.APIKey.Value(),
				Timeout: sc.Timeout.D(), MaxRetries: sc.MaxRetries, RateLimit: sc.RateLimit, Logger: slog, HTTPOptions: httpOpts})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
			}
			js.Tracking = c
		case config.SourceKuaidi100:
			c, err := kuaidi100.New(kuaidi100.Options{Name: name, APIURL: sc.APIURL, Customer: sc.Kuaidi100.Customer.Value(),
				Key: sc.Kuaidi100.Key.Value(), Carriers: sc.Kuaidi100.CarrierCodes,
				Timeout: sc.Timeout.D(), MaxRetries: sc.MaxRetries, RateLimit: sc.RateLimit, Logger: slog, HTTPOptions: httpOpts})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
			}
			js.Tracking = c
		default:
			return nil, nil, fmt.Errorf("sources.%s: unknown type %q", name, sc.Type)
		}
		out = append(out, js)
		schedules[name] = sc.Schedule
	}
	return out, schedules, nil
}

// orderSources are the sources that provide orders, for lookups by id.
func orderSources(srcs []jobs.Source) []orderbot.OrderSource {
	var out []orderbot.OrderSource
	for _, s := range srcs {
		if s.Orders != nil {
			out = append(out, s.Orders)
		}
	}
	return out
}

// sourceNames lists the configured, enabled source names for messages.
func sourceNames(srcs []jobs.Source) string {
	n := make([]string, len(srcs))
	for i, s := range srcs {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}
