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
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/bot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/provider"
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
	cfg, err := config.LoadWith(providers(), path, os.LookupEnv)
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
	// analytics reads the manager's figures from the store's rollups.
	analytics *analytics.Model
	now       func() time.Time
	// schedules maps source name → cron spec, for enabled sources.
	schedules map[string]string
}

// appOptions adjust wiring for the demo (an embedded Redis, a fast clock).
type appOptions struct {
	redisURL string           // overrides cfg.Redis.URL when set
	now      func() time.Time // default time.Now
}

// openApp loads the configuration at path and builds the app, logging to
// stderr as the configuration says: how serve and poll start.
func openApp(ctx context.Context, path string, stderr io.Writer) (*config.Config, *app, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	a, err := buildApp(ctx, cfg, newLogger(cfg.Log, stderr), appOptions{})
	if err != nil {
		return nil, nil, err
	}
	return cfg, a, nil
}

func buildApp(ctx context.Context, cfg *config.Config, log *slog.Logger, o appOptions) (*app, error) {
	if o.now == nil {
		o.now = time.Now
	}
	quietRedis(log)
	url := cfg.Redis.URL.Value()
	if o.redisURL != "" {
		url = o.redisURL
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := jobs.NewMetrics(reg)
	sopts := store.Options{Prefix: cfg.Redis.Prefix, Now: o.now, WarnBefore: cfg.SLA.WarnBefore.D(),
		Location: cfg.Location(), Observe: m.ObserveTicket,
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
		sopts.OutboxGroups = map[string][]string{store.OutboxTicketChanges: groups}
	}
	st, err := store.Open(ctx, url, sopts)
	if err != nil {
		return nil, err
	}
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
		analytics: &analytics.Model{Rollups: st, Location: cfg.Location(), Score: analytics.ScoreRule{
			Factor: cfg.Analytics.ScorecardFactor, MinVolume: int64(cfg.Analytics.ScorecardMinVolume), Weeks: cfg.Analytics.ScorecardWeeks}},
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
		httpOpts := func(o *httpclient.Options) { o.Registerer = reg }
		js := jobs.Source{Name: name, Overlap: sc.Overlap.D(), InitialLookback: sc.InitialLookback.D(), RecheckEvery: sc.RecheckEvery.D()}
		provides := map[orderbot.DataSet]bool{}
		for _, ds := range sc.Provides {
			provides[ds] = true
		}
		spec, ok := cfg.Providers().Source(string(sc.Type))
		if !ok {
			return nil, nil, fmt.Errorf("sources.%s: unknown type %q", name, sc.Type)
		}
		links := cfg.OrderLinksOf(name) // nil unless an ERP provides orders beside a shop
		c, err := spec.Build(provider.Common{Name: name, APIURL: sc.APIURL, Provides: sc.Provides, Timeout: sc.Timeout.D(),
			MaxRetries: sc.MaxRetries, RateLimit: sc.RateLimit, TimeZone: cfg.Timezone, Logger: log, HTTP: httpOpts,
			Links: links}, sc.Block)
		if err != nil {
			return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
		}
		if err := assignRoles(&js, c, provides, links); err != nil {
			return nil, nil, fmt.Errorf("sources.%s: %w", name, err)
		}
		out = append(out, js)
		schedules[name] = sc.Schedule
	}
	return out, schedules, nil
}

// assignRoles gives the adapter the roles its provides list asks for, found by
// type assertion on the root interfaces.
func assignRoles(js *jobs.Source, c orderbot.Source, provides map[orderbot.DataSet]bool, links []orderbot.OrderLink) error {
	if e, ok := c.(orderbot.ERPOrderSource); ok && provides[orderbot.DataOrders] && links != nil {
		// Beside a shop an ERP's orders are its view of the shop's orders,
		// never orders of their own.
		js.ERPOrders, js.Links = e, links
		delete(provides, orderbot.DataOrders)
	}
	for _, err := range []error{
		role(c, provides[orderbot.DataOrders], orderbot.DataOrders, &js.Orders),
		paymentRole(c, provides[orderbot.DataPayments], js),
		role(c, provides[orderbot.DataInventory], orderbot.DataInventory, &js.Inventory),
		role(c, provides[orderbot.DataTracking], orderbot.DataTracking, &js.Tracking),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// paymentRole gives a payment adapter its role: listed (Stripe), or asked per
// order (Alipay).
func paymentRole(c orderbot.Source, wanted bool, js *jobs.Source) error {
	if q, ok := c.(orderbot.PaymentQuerier); ok && wanted {
		js.PaymentQueries = q
		return nil
	}
	return role(c, wanted, orderbot.DataPayments, &js.Payments)
}

// role sets *dst to the adapter when it is wanted for data set ds and
// implements the interface T that serves it.
func role[T any](c orderbot.Source, wanted bool, ds orderbot.DataSet, dst *T) error {
	if !wanted {
		return nil
	}
	r, ok := c.(T)
	if !ok {
		return fmt.Errorf("the adapter cannot provide %s", ds)
	}
	*dst = r
	return nil
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
