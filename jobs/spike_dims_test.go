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

// TestSpikeWatchSKUsAndCouriers runs the spike job after every hour of four
// simulated weeks with a normal weekly cycle (busy weekday office hours,
// quiet nights, calmer weekends, uneven hour to hour) for one SKU and two
// couriers, spread over five kinds: nothing is posted. Then 40 tickets for one
// SKU in a quiet hour post one SKU spike, and 30 for a courier in another one
// courier spike, each once across three replicas, with links to their
// tickets; no kind spikes, as each kind's share stays under the minimum.
func TestSpikeWatchSKUsAndCouriers(t *testing.T) {
	const channel = "C0MANAGERS"
	var mu sync.Mutex
	now := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(at time.Time) { mu.Lock(); now = at; mu.Unlock() }
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
		watches = append(watches, &SpikeWatch{Store: s, Poster: testBot(t, fake, s, clock, nil), Channel: channel,
			Rule: analytics.SpikeRule{Factor: 3, MinCount: 10, Weeks: 4}, Holder: fmt.Sprint("replica-", i), Now: clock})
	}
	kinds := []orderbot.Kind{orderbot.ShippingStalled, orderbot.ShippingOverdue, orderbot.ShippingException,
		orderbot.ShippingNoPickup, orderbot.ShippingLateDispatch}
	seq := 0
	open := func(n int, sku, courier string) {
		var ups []store.Upsert
		for range n {
			seq++
			a := orderbot.Anomaly{Kind: kinds[seq%len(kinds)], Subject: fmt.Sprint("o", seq), Source: "aftership",
				Severity: orderbot.SeverityMedium, Department: "logistics", Summary: "sim",
				Dims: orderbot.Dims{SKU: sku, Courier: courier}}
			if courier != "" {
				a.Facts = append(a.Facts, orderbot.Fact{Label: "Parcel", Value: courier + " 1Z" + fmt.Sprint(seq)})
			}
			if sku != "" {
				a.Facts = append(a.Facts, orderbot.Fact{Label: "Items", Value: "2× " + sku + ", 1× SKU-AB"})
			}
			ups = append(ups, store.Upsert{Anomaly: a})
		}
		if _, err := st.UpsertTickets(ctx, ups); err != nil {
			t.Fatal(err)
		}
	}
	// usual is an hour's tickets: 9 to 14 in weekday office hours, 4 to 6
	// on weekend days, 1 to 3 at night, varying by a fixed pattern.
	usual := func(at time.Time, salt int) int {
		jitter := (at.Hour()*7 + at.Day()*3 + salt) % 6
		switch {
		case at.Weekday() == time.Saturday || at.Weekday() == time.Sunday:
			if at.Hour() >= 9 && at.Hour() < 18 {
				return 4 + jitter%3
			}
			return 1 + jitter%3
		case at.Hour() >= 9 && at.Hour() < 18:
			return 9 + jitter
		}
		return 1 + jitter%3
	}
	start := now
	for h := range 4 * 168 {
		at := start.Add(time.Duration(h) * time.Hour)
		set(at.Add(10 * time.Minute))
		open(usual(at, 0), "SKU-A", "dhl")
		open(usual(at, 1), "", "ups")
		set(at.Add(65 * time.Minute))
		if n, err := watches[h%3].Run(ctx); err != nil || n != 0 {
			t.Fatalf("hour %d (%s): %d spikes posted in a normal week (%v): %v", h, at.Format("Mon 15:04"), n, err, fake.Messages(channel))
		}
	}
	runAll := func() int {
		return runReplicas(t, watches, func(w *SpikeWatch) (int, error) { return w.Run(ctx) })
	}
	// Week five, Wednesday 03:00: 40 tickets for SKU-A, no courier.
	wed := start.AddDate(0, 0, 30).Add(3 * time.Hour)
	set(wed.Add(10 * time.Minute))
	open(40, "SKU-A", "")
	set(wed.Add(65 * time.Minute))
	if n := runAll(); n != 1 {
		t.Fatalf("%d alerts for the SKU spike, want 1: %v", n, fake.Messages(channel))
	}
	// Wednesday 04:00: 30 tickets for UPS parcels without a SKU.
	set(wed.Add(70 * time.Minute))
	open(30, "", "ups")
	set(wed.Add(125 * time.Minute))
	if n := runAll(); n != 1 {
		t.Fatalf("%d alerts for the courier spike, want 1: %v", n, fake.Messages(channel))
	}
	if n := runAll(); n != 0 {
		t.Fatalf("posted again: %d", n)
	}
	msgs := fake.Messages(channel)
	if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "Spike: 40 tickets for SKU SKU-A") ||
		!strings.Contains(msgs[1].Text, "Spike: 30 tickets for courier ups") {
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Text)
		}
		t.Fatalf("messages %q", texts)
	}
	// Twenty links and the rest counted: every ticket of the hour names it.
	for i, more := range []string{"and 20 more", "and 10 more"} {
		if txt := string(mustJSON(t, msgs[i].Blocks)); strings.Count(txt, ", T") < 19 || !strings.Contains(txt, more) {
			t.Errorf("alert %d does not list its tickets: %s", i, txt)
		}
	}
}
