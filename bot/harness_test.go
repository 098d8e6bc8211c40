package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// Channels of the test workspace.
const (
	chFinance   = "C0FIN"
	chWarehouse = "C0WH"
	chLogistics = "C0LOG"
	chSupport   = "C0SUP"
	chTech      = "C0TECH"
	chEscalate  = "C0ESC"
	leadFinance = "U0LEAD1"
)

// testClock is a business clock tests move by hand; store and bot share it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is one bot against a real redis-server and the fake Slack.
type harness struct {
	t     testing.TB
	redis *redistest.Server
	st    *store.Store
	fake  *slackfake.Server
	bot   *Bot
	srv   *httptest.Server
	clock *testClock
}

func testLogger() *slog.Logger {
	if os.Getenv("BOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testOptions(fake *slackfake.Server, clock *testClock) Options {
	return Options{
		BotToken: fake.Token(), SigningSecret: fake.SigningSecret(), APIURL: fake.APIURL(),
		Departments: map[string]Department{
			"finance":   {Channel: chFinance, Leads: []string{leadFinance}},
			"warehouse": {Channel: chWarehouse, Leads: []string{"U0LEAD2"}},
			"logistics": {Channel: chLogistics},
			"support":   {Channel: chSupport},
			"tech":      {Channel: chTech},
		},
		EscalationChannel: chEscalate,
		Clock:             clock.Now,
		Logger:            testLogger(),
		Instance:          "test",
		ReclaimAfter:      300 * time.Millisecond,
		PostLease:         3 * time.Second,
		PostsPerSecond:    50, // tests that measure pacing set 1
		StormFlushEvery:   200 * time.Millisecond,
		Coalesce:          50 * time.Millisecond,
	}
}

func newHarness(t testing.TB, mutate func(*Options)) *harness {
	t.Helper()
	return newHarnessWith(t, func(_ *harness, o *Options) {
		if mutate != nil {
			mutate(o)
		}
	})
}

// newHarnessWith is newHarness for options that need the harness's store.
func newHarnessWith(t testing.TB, mutate func(*harness, *Options)) *harness {
	t.Helper()
	h := &harness{t: t, clock: &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}
	h.redis = redistest.Start(t)
	var err error
	h.st, err = store.New(context.Background(), h.redis.Client(t), store.Options{Now: h.clock.Now, WarnBefore: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	h.fake = slackfake.New(slackfake.Config{})
	t.Cleanup(h.fake.Close)
	opts := testOptions(h.fake, h.clock)
	mutate(h, &opts)
	h.bot, err = New(opts, h.st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.bot.Handler())
	clicksCtx, stopClicks := context.WithCancel(context.Background())
	clicksDone := make(chan struct{})
	go func() {
		defer close(clicksDone)
		h.bot.RunClicks(clicksCtx)
	}()
	t.Cleanup(func() {
		stopClicks()
		<-clicksDone
		h.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.bot.Close(ctx)
	})
	return h
}

// runPoster runs a poster until the test ends.
func (h *harness) runPoster() *Poster {
	h.t.Helper()
	p := h.bot.Poster()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	h.t.Cleanup(func() {
		cancel()
		<-done
	})
	return p
}

// open upserts anomalies as the ticket engine would (SLA targets from the
// kind's defaults) and returns the tickets.
func (h *harness) open(anomalies ...orderbot.Anomaly) []orderbot.Ticket {
	h.t.Helper()
	now := h.clock.Now()
	ups := make([]store.Upsert, len(anomalies))
	for i, a := range anomalies {
		spec, _ := orderbot.Spec(a.Kind)
		if a.Severity == "" {
			a.Severity = spec.Severity
		}
		if a.Department == "" {
			a.Department = spec.Department
		}
		if a.DetectedAt.IsZero() {
			a.DetectedAt = now
		}
		u := store.Upsert{Anomaly: a}
		if spec.AckSLA > 0 {
			u.AckDue = now.Add(spec.AckSLA)
		}
		if spec.ResolveSLA > 0 {
			u.ResolveDue = now.Add(spec.ResolveSLA)
		}
		ups[i] = u
	}
	res, err := h.st.UpsertTickets(context.Background(), ups)
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]orderbot.Ticket, len(res))
	for i, r := range res {
		out[i] = r.Ticket
	}
	return out
}

func anomaly(kind orderbot.Kind, subject string) orderbot.Anomaly {
	return orderbot.Anomaly{Kind: kind, Subject: subject, OrderID: subject, Source: "shopify",
		Summary: fmt.Sprintf("%s on %s", kind, subject), Facts: []orderbot.Fact{{Label: "Order", Value: subject}}}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// backlog counts entries not yet delivered to the group plus pending ones.
func (h *harness) backlog() int64 {
	rdb := h.st.Client()
	key := "ob:{t}:outbox:" + store.OutboxTicketChanges
	groups, err := rdb.XInfoGroups(context.Background(), key).Result()
	if err != nil {
		return -1
	}
	for _, g := range groups {
		if g.Name == PosterGroup {
			return g.Lag + g.Pending
		}
	}
	return -1
}

// card returns the single top-level card of a ticket in a channel.
func (h *harness) cards(channel string) []slackfake.Message {
	return h.fake.Messages(channel)
}
