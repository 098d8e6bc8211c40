package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// TestSpikeWatchPostsOnce opens three tickets an hour for two days, then 30 in
// one hour: three replicas' spike jobs post one alert for that hour, linking
// its tickets, and nothing for the quiet hours before.
func TestSpikeWatchPostsOnce(t *testing.T) {
	const channel = "C0MANAGERS"
	var mu sync.Mutex
	now := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	srv := redistest.Start(t)
	fake := slackfake.New(slackfake.Config{Channels: []string{channel}})
	t.Cleanup(fake.Close)
	ctx := context.Background()
	var watches []*SpikeWatch
	var st *store.Store
	for i := range 3 {
		s, err := store.New(ctx, srv.Client(t), store.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		st = s
		b := testBot(t, fake, s, clock, nil)
		watches = append(watches, &SpikeWatch{Store: s, Poster: b, Channel: channel, Rule: analytics.SpikeRule{Factor: 3, MinCount: 10},
			Holder: fmt.Sprint("replica-", i), Now: clock})
	}
	open := func(n int) {
		var ups []store.Upsert
		for range n {
			ups = append(ups, store.Upsert{Anomaly: orderbot.Anomaly{Kind: orderbot.PaymentUnrecorded,
				Subject: fmt.Sprint("o", clock().UnixNano(), "-", len(ups)), Source: "stripe", Severity: orderbot.SeverityHigh,
				Department: "finance", Summary: "unrecorded"}})
		}
		if _, err := st.UpsertTickets(ctx, ups); err != nil {
			t.Fatal(err)
		}
	}
	runAll := func() int {
		return runReplicas(t, watches, func(w *SpikeWatch) (int, error) { return w.Run(ctx) })
	}
	start := now
	for h := range 48 {
		set(start.Add(time.Duration(h)*time.Hour + 10*time.Minute))
		open(3)
		set(start.Add(time.Duration(h+1)*time.Hour + 5*time.Minute))
		if n := runAll(); n != 0 {
			t.Fatalf("hour %d: %d spikes posted for a quiet hour", h, n)
		}
	}
	set(start.Add(48*time.Hour + 20*time.Minute))
	open(30)
	set(start.Add(49*time.Hour + 5*time.Minute))
	if n := runAll(); n != 1 {
		t.Fatalf("%d spike alerts, want 1", n)
	}
	if n := runAll(); n != 0 {
		t.Fatalf("the spike was posted again (%d)", n)
	}
	msgs := fake.Messages(channel)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Spike: 30 Payment not recorded tickets") {
		t.Fatalf("messages %+v", msgs)
	}
	if txt := string(mustJSON(t, msgs[0].Blocks)); strings.Count(txt, "T1") < 20 {
		t.Errorf("the alert does not list the spike's tickets: %s", txt)
	}
}
