package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/dashboard"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [flags]", `Runs the whole product on an embedded default: simulated providers, an in-process
Redis-compatible store (or REDIS_URL) and a local Slack stand-in page to click cards in.
No accounts needed.`, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address (health, metrics, Slack endpoints)")
	speed := fs.Float64("speed", demoSpeed, "time acceleration: 10 makes a 15-minute SLA target pass in 90 seconds")
	seed := fs.Int64("seed", 1, "seed of the simulated shop (same seed, same orders)")
	orders := fs.Int("orders", demoOrdersPerDay, "orders a day in the simulated shop (two weeks of history are there at the start)")
	duration := fs.Duration("for", 0, "stop after this long (0: run until interrupted)")
	pageAddr := fs.String("page-addr", "127.0.0.1:8081", "loopback address of the Slack stand-in page (127.0.0.1:0 picks a free port)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	clock := demo.NewClock(*speed)

	redisURL := os.Getenv(config.EnvRedisURL)
	if redisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return fmt.Errorf("demo: starting the embedded store: %w", err)
		}
		defer mr.Close()
		go expireKeys(ctx, mr)
		redisURL = "redis://" + mr.Addr()
		fmt.Fprintln(stdout, "orderbot demo: using an embedded in-process Redis-compatible store; state is NOT kept after exit (set REDIS_URL to use a real Redis).")
	} else {
		fmt.Fprintln(stdout, "orderbot demo: using the Redis at REDIS_URL.")
	}

	providers := demo.StartProviders(clock.Now, simulatedSources()...)
	defer providers.Close()
	slack := demo.StartSlack()
	defer slack.Close()
	// The dashboard, behind a token made for this run (printed below), so it
	// is never open even when --addr is not loopback.
	dashToken := rand.Text()
	cfg, err := demoConfig(providers, slack, dashToken)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	// Listen first, so the page (which needs the bot's address) is up and its
	// address is on the first lines of output.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: --addr %s: %w", *addr, err)
	}
	defer ln.Close()
	page, err := demo.StartPage(slack, "http://"+ln.Addr().String(), *pageAddr, providers.Notices, clock)
	if err != nil {
		return fmt.Errorf("demo: --page-addr: %w", err)
	}
	defer page.Close()
	fmt.Fprintf(stdout, "orderbot demo: open %s to watch the cards and click them (a local Slack stand-in, acting as %s).\n", page.URL(), slackfake.DemoUser.RealName)

	a, err := buildApp(ctx, cfg, log, appOptions{redisURL: redisURL, now: clock.Now})
	if err != nil {
		return err
	}
	defer a.Close()

	feed := newDemoFeed(*seed, *orders, clock.Now(), clock.Now, providers, log)
	first := make(chan struct{})
	feedErr := make(chan error, 1)
	go func() { feedErr <- feed.Run(ctx, first) }()
	select {
	case <-first:
	case err := <-feedErr:
		return err
	}

	fmt.Fprintf(stdout, "orderbot demo: simulated %s are up; polling every %s, clock x%g (a poll every %s of simulated time).\n",
		strings.Join(providers.Types(), ", "), demoPollEvery, *speed, time.Duration(float64(demoPollEvery)*clock.Speed()))
	fmt.Fprintln(stdout, "orderbot demo: customer notices go to a simulated Twilio (SMS) and SendGrid (email); the page's Notices tab shows what they received.")
	fmt.Fprintf(stdout, "orderbot demo: health http://%s/healthz, metrics http://%s/metrics. Ctrl-C to stop.\n", ln.Addr(), ln.Addr())
	fmt.Fprintf(stdout, "orderbot demo: the manager's dashboard is at http://%s%s?token=%s\n", ln.Addr(), dashboard.PathPage, dashToken)
	depts := make([]string, 0, len(demo.Channels))
	for name := range demo.Channels {
		depts = append(depts, "#"+name)
	}
	sort.Strings(depts)
	fmt.Fprintf(stdout, "orderbot demo: cards go to a local Slack Web API stand-in at %s (channels %s and #escalations).\n", slack.APIURL(), strings.Join(depts, ", "))
	go reportTickets(ctx, a.store, slack, stdout)
	go actOnResolutions(ctx, a.store, feed, log)
	return a.serve(ctx, ln)
}

// The demo's defaults. Speed 10 keeps an SLA clock followable: a 15-minute
// acknowledgement target runs out in 90 seconds, one simulated minute every six
// seconds, while a day of the shop still passes in 2.4 hours. At the old 60 a
// critical ticket breached before anyone had read it.
const (
	demoSpeed        = 10
	demoOrdersPerDay = 500
	demoPollEvery    = 5 * time.Second
	// demoAnomalyRate is the share of orders seeded with a problem: far above a
	// real shop's, so that cards keep arriving (about one every three minutes
	// at the defaults, besides the problems of the last half day that surface
	// as their thresholds pass).
	demoAnomalyRate = 0.1
)

// newDemoFeed builds the simulated shop: two weeks of history before start
// (with problems seeded in its last half day only, so the board does not open
// with two weeks of them) and a day ahead, extended as the clock runs.
func newDemoFeed(seed int64, perDay int, start time.Time, now func() time.Time, p *demo.Providers, log *slog.Logger) *demo.Feed {
	opts := simulate.Options{AnomalyRate: demoAnomalyRate}
	p.ShapeWorld(&opts)
	w := simulate.New(seed, opts)
	return &demo.Feed{
		Timeline:  w.NewTimeline(perDay, start, start.Add(24*time.Hour), start.Add(-12*time.Hour)),
		Providers: p, Now: now, PerDay: perDay, Every: 500 * time.Millisecond, Log: log,
	}
}

// demoConfig is the demo's configuration: the defaults, with every source
// pointed at its simulated service, notices on, and Slack at the stand-in.
// A dashToken other than "" enables the manager's dashboard behind it.
func demoConfig(p *demo.Providers, slack *slackfake.Server, dashToken string) (*config.Config, error) {
	cfg := config.Default()
	cfg.UseProviders(providers())
	cfg.Log.Format = "text"
	p.Configure(cfg, "@every "+demoPollEvery.String())
	p.ConfigureNotices(cfg)
	demo.ConfigureSlack(cfg, slack)
	cfg.SLA.SweepEvery = config.Duration(2 * time.Second)
	if dashToken != "" {
		cfg.Dashboard = config.Dashboard{Enabled: true, Token: config.NewSecret(dashToken)}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo: built-in configuration: %w", err)
	}
	return cfg, nil
}

// actOnResolutions makes the simulated shop do what staff said they did when
// they resolved a ticket ("payment found": the payment appears at the
// simulated Stripe), as the real systems would show it, so the next poll does
// not reopen the ticket. A real deployment needs none of this: there, staff
// change the real systems.
func actOnResolutions(ctx context.Context, st *store.Store, feed *demo.Feed, log *slog.Logger) {
	seen := map[string]time.Time{}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		applyResolutions(ctx, st, feed, seen, log)
	}
}

// applyResolutions passes the staff resolutions not seen yet to the feed.
func applyResolutions(ctx context.Context, st *store.Store, feed *demo.Feed, seen map[string]time.Time, log *slog.Logger) {
	resolved, err := st.List(ctx, store.Filter{State: orderbot.StateResolved, Limit: 200})
	if err != nil {
		return // the next tick tries again
	}
	for _, tk := range resolved {
		r := tk.Resolution
		if r == nil || r.Auto || seen[tk.ID].Equal(r.At) {
			continue
		}
		seen[tk.ID] = r.At
		if feed.Fix(tk.Kind, tk.Subject, r.Code) {
			log.Info("the simulated shop acted on a staff resolution", "ticket", tk.ID, "kind", tk.Kind, "code", r.Code)
		}
	}
}

// expireKeys advances the embedded store's clock with real time, since
// miniredis only expires keys when told that time passed.
func expireKeys(ctx context.Context, mr *miniredis.Miniredis) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			mr.FastForward(time.Second)
		}
	}
}

// reportTickets prints the tickets by kind and state every few seconds.
func reportTickets(ctx context.Context, st *store.Store, slack *slackfake.Server, w io.Writer) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		active, err := st.List(ctx, store.Filter{})
		if err != nil {
			continue
		}
		byKind := map[orderbot.Kind]int{}
		for _, tk := range active {
			byKind[tk.Kind]++
		}
		kinds := make([]string, 0, len(byKind))
		for k, n := range byKind {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(kinds)
		var cards []string
		for _, ch := range slack.Channels() {
			cards = append(cards, fmt.Sprintf("%s=%d", ch, len(slack.Messages(ch))))
		}
		line := fmt.Sprintf("orderbot demo: %d active tickets: %s\norderbot demo: Slack messages per channel: %s",
			len(active), strings.Join(kinds, " "), strings.Join(cards, " "))
		if line != last {
			fmt.Fprintln(w, line)
			last = line
		}
	}
}
