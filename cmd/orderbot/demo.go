package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/bot/slackfake"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/dashboard"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/simulate"
	"github.com/orderbot/orderbot/store"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [flags]", `Runs the whole product on an embedded default: simulated providers, an in-process
Redis-compatible store (or REDIS_URL) and a local Slack stand-in page to click cards in.
No accounts needed.`, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address (health, metrics, Slack endpoints)")
	speed := fs.Float64("speed", 60, "time acceleration: 60 makes an hour of SLA pass in a minute")
	seed := fs.Int64("seed", 1, "seed of the simulated shop (same seed, same orders)")
	orders := fs.Int("orders", 400, "orders in the first simulated batch")
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

	cfg := config.Default()
	cfg.UseProviders(providers())
	cfg.Log.Format = "text"
	log := newLogger(cfg.Log, stderr)
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
	providers.Configure(cfg, "@every 5s")
	providers.ConfigureNotices(cfg)
	slack := demo.StartSlack()
	defer slack.Close()
	demo.ConfigureSlack(cfg, slack)
	for name, s := range cfg.Sources {
		// Re-read the whole simulated history on every poll: the simulated shop
		// back-dates what it generates, which a real shop never does.
		s.Overlap = config.Duration(30 * 24 * time.Hour)
		cfg.Sources[name] = s
	}
	cfg.SLA.SweepEvery = config.Duration(2 * time.Second)
	// The dashboard, behind a token made for this run (printed below), so it
	// is never open even when --addr is not loopback.
	dashToken := rand.Text()
	cfg.Dashboard = config.Dashboard{Enabled: true, Token: config.NewSecret(dashToken)}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo: built-in configuration: %w", err)
	}

	// Listen first, so the page (which needs the bot's address) is up and its
	// address is on the first lines of output.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: --addr %s: %w", *addr, err)
	}
	defer ln.Close()
	page, err := demo.StartPage(slack, "http://"+ln.Addr().String(), *pageAddr, providers.Notices)
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

	worldOptions := simulate.Options{AnomalyRate: 0.05}
	providers.ShapeWorld(&worldOptions)
	feed := &demo.Feed{
		World:     simulate.New(*seed, worldOptions),
		Providers: providers, Now: clock.Now, Initial: *orders, Batch: 40, Every: 20 * time.Second, Log: log,
	}
	first := make(chan struct{})
	feedErr := make(chan error, 1)
	go func() { feedErr <- feed.Run(ctx, first, 0) }()
	select {
	case <-first:
	case err := <-feedErr:
		return err
	}

	fmt.Fprintf(stdout, "orderbot demo: simulated Shopify, Stripe, ERPNext, AfterShip and Kuaidi100 are up; polling every 5s, clock x%g.\n", *speed)
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
	return a.serve(ctx, ln)
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
