package analytics

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// history seeds a small ticket history through the real store scripts, in
// Shanghai time (UTC+8, so local days differ from UTC days):
//
//	Mon 3 Mar 09:00  open A1 payment.unrecorded/finance/stripe, SKU-1, stripe, CN-Zhejiang, 199.00 CNY
//	                 open A2 payment.unrecorded/finance/stripe, SKU-2, stripe, 50.00 CNY
//	                 open B1 shipping.stalled/logistics/aftership, SKU-1, courier sf, CN-Guangdong
//	Mon 09:10        claim A1 (10 min; ack due 09:15: in time)
//	Mon 09:40        claim A2 (40 min; ack due 09:15: missed)
//	Mon 10:00        staff resolve A1 (1 h; resolve due 11:00: in time)
//	Mon 10:30        auto-resolve B1 (1 h 30 min)
//	Tue 4 Mar 09:00  open C1 payment.unrecorded/finance/stripe, SKU-1, 10.00 CNY
//	Tue 09:30        SLA sweep: C1's ack target (09:15) missed, and A2's resolve
//	                 target (Mon 11:00), A2 already counted as breached
func history(t *testing.T) (*store.Store, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 3, 9, 0, 0, 0, shanghai)}
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: clk.Now, Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids := map[string]string{}
	open := func(name string, kind orderbot.Kind, dept, source string, dims orderbot.Dims, risk int64, ack, res time.Duration) {
		now := clk.Now()
		a := orderbot.Anomaly{Kind: kind, Subject: name, OrderID: name, Source: source, Severity: orderbot.SeverityHigh,
			Department: dept, Summary: name, Dims: dims, DetectedAt: now}
		if risk != 0 {
			a.AtRisk = orderbot.Money{Minor: risk, Currency: "CNY"}
		}
		r, err := st.UpsertTickets(ctx, []store.Upsert{{Anomaly: a, AckDue: now.Add(ack), ResolveDue: now.Add(res)}})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = r[0].Ticket.ID
	}
	act := func(at time.Time, name string, tr store.Transition) {
		clk.Set(at)
		tr.Actor = "U1"
		if _, _, err := st.Transition(ctx, ids[name], tr); err != nil {
			t.Fatal(err)
		}
	}
	mon := func(h, m int) time.Time { return time.Date(2025, 3, 3, h, m, 0, 0, shanghai) }
	open("A1", orderbot.PaymentUnrecorded, "finance", "stripe",
		orderbot.Dims{SKU: "SKU-1", Channel: "stripe", Region: "CN-Zhejiang"}, 19900, 15*time.Minute, 2*time.Hour)
	open("A2", orderbot.PaymentUnrecorded, "finance", "stripe", orderbot.Dims{SKU: "SKU-2", Channel: "stripe"}, 5000,
		15*time.Minute, 2*time.Hour)
	open("B1", orderbot.ShippingStalled, "logistics", "aftership",
		orderbot.Dims{SKU: "SKU-1", Courier: "sf", Region: "CN-Guangdong"}, 0, 4*time.Hour, 48*time.Hour)
	act(mon(9, 10), "A1", store.Transition{Action: orderbot.ActClaim})
	act(mon(9, 40), "A2", store.Transition{Action: orderbot.ActClaim})
	act(mon(10, 0), "A1", store.Transition{Action: orderbot.ActResolve, Resolution: &orderbot.Resolution{Code: "order_marked_paid"}})
	clk.Set(mon(10, 30))
	act(mon(10, 30), "B1", store.Transition{Action: orderbot.ActAutoResolve})
	clk.Set(time.Date(2025, 3, 4, 9, 0, 0, 0, shanghai))
	open("C1", orderbot.PaymentUnrecorded, "finance", "stripe", orderbot.Dims{SKU: "SKU-1", Channel: "stripe"}, 1000,
		15*time.Minute, 2*time.Hour)
	sweepAt := time.Date(2025, 3, 4, 9, 30, 0, 0, shanghai)
	clk.Set(sweepAt)
	ev, err := st.SweepSLA(ctx, sweepAt, []time.Duration{0}, 100)
	if err != nil {
		t.Fatal(err)
	}
	// C1 misses its ack target; A2, claimed late on Monday and still open,
	// misses its resolve target too, but a ticket counts as breached once.
	if len(ev) != 2 || ev[0].Kind != store.SLAAckBreach || ev[1].Kind != store.SLAResolveBreach {
		t.Fatalf("sweep events %+v, want C1's ack breach and A2's resolve breach", ev)
	}
	return st, clk
}

// bound is the upper bound of the latency bucket of d, worked out by hand from
// the bucket rule 2^((b-1)/4) ≤ seconds < 2^(b/4).
func bound(b int) time.Duration { return store.LatencyBucketBound(b) }

// TestFiguresEqualHandComputation reads Monday's figures (a closed local day,
// summed from its hours) and Monday-Tuesday's (a closed day plus Tuesday's
// hours) and compares them with what the history above gives by hand.
func TestFiguresEqualHandComputation(t *testing.T) {
	st, clk := history(t)
	ctx := context.Background()
	m := &Model{Rollups: st, Location: shanghai}
	// Hand-computed latency buckets: 10 min = 600 s, 4·log2(600) = 36.9 → 37;
	// 40 min = 2400 s → 44.9 → 45; 1 h = 3600 s → 47.3 → 48; 1.5 h = 5400 s →
	// 49.6 → 50.
	for d, b := range map[time.Duration]int{10 * time.Minute: 37, 40 * time.Minute: 45, time.Hour: 48, 90 * time.Minute: 50} {
		if got := store.LatencyBucket(d); got != b {
			t.Fatalf("LatencyBucket(%s) = %d, want %d", d, got, b)
		}
	}

	clk.Set(time.Date(2025, 3, 6, 12, 0, 0, 0, shanghai)) // Monday is closed: read as a day sum
	monday := time.Date(2025, 3, 3, 0, 0, 0, 0, shanghai)
	f, err := m.Figures(ctx, monday, monday.AddDate(0, 0, 1), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("opened", f.Opened, int64(3))
	check("claimed", f.Claimed, int64(2))
	check("resolved by staff", f.ResolvedStaff, int64(1))
	check("auto-resolved", f.ResolvedAuto, int64(1))
	check("breached", f.Breached, int64(1))
	check("breach rate", f.BreachRate(), 1.0/3)
	// Two claims (buckets 37, 45): p50 is rank ceil(0.5·2)=1, p90 rank 2.
	check("claim", [3]any{f.Claim.Count, f.Claim.P50, f.Claim.P90}, [3]any{int64(2), bound(37), bound(45)})
	check("resolve", [3]any{f.Resolve.Count, f.Resolve.P50, f.Resolve.P90}, [3]any{int64(2), bound(48), bound(50)})
	check("by kind", names(f.ByKind), []Count{{"payment.unrecorded", 2}, {"shipping.stalled", 1}})
	check("by dept", names(f.ByDept), []Count{{"finance", 2}, {"logistics", 1}})
	check("by stage", f.ByStage, []Count{{"order", 0}, {"payment", 2}, {"fulfilment", 0}, {"delivery", 1}, {"after-sale", 0}})
	check("by source", f.BySource, []Count{{"stripe", 2}, {"aftership", 1}})
	check("at risk", f.AtRisk, []orderbot.Money{{Minor: 24900, Currency: "CNY"}})
	check("recovered", f.Recovered, []orderbot.Money{{Minor: 19900, Currency: "CNY"}})
	check("hour 09", f.ByHour[9], int64(3))
	check("monday", f.ByWeekday[0], int64(3))
	check("top skus", f.Top[store.DimSKU], []Count{{"SKU-1", 2}, {"SKU-2", 1}})
	check("top couriers", f.Top[store.DimCourier], []Count{{"sf", 1}})
	check("top channels", f.Top[store.DimChannel], []Count{{"stripe", 2}})
	check("top regions", f.Top[store.DimRegion], []Count{{"CN-Guangdong", 1}, {"CN-Zhejiang", 1}})
	fin := f.ByDept[0]
	check("finance breaches", fin.Breached, int64(1))
	check("finance claim p90", fin.Claim.P90, bound(45))
	check("finance staff/auto", [2]int64{fin.ResolvedStaff, fin.ResolvedAuto}, [2]int64{1, 0})
	log := f.ByDept[1]
	check("logistics staff/auto", [2]int64{log.ResolvedStaff, log.ResolvedAuto}, [2]int64{0, 1})

	// The same day read from its hours (the day is not closed yet) gives the
	// same figures.
	clk.Set(time.Date(2025, 3, 3, 23, 30, 0, 0, shanghai))
	g, err := m.Figures(ctx, monday, monday.AddDate(0, 0, 1), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	check("from hours: opened", g.Opened, f.Opened)
	check("from hours: claim", g.Claim.P90, f.Claim.P90)
	check("from hours: hour 09", g.ByHour[9], int64(3))

	// Monday and Tuesday: the sweep's breach and C1 join.
	clk.Set(time.Date(2025, 3, 4, 12, 0, 0, 0, shanghai))
	r, err := m.Report(ctx, Period{Since: monday, Until: clk.Now(), PrevSince: monday.AddDate(0, 0, -7), PrevUntil: monday}, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	check("two days: opened", r.Current.Opened, int64(4))
	check("two days: breached", r.Current.Breached, int64(2))
	check("two days: at risk", r.Current.AtRisk, []orderbot.Money{{Minor: 25900, Currency: "CNY"}})
	check("two days: top skus", r.Current.Top[store.DimSKU], []Count{{"SKU-1", 3}, {"SKU-2", 1}})
	check("previous week", r.Previous.Opened, int64(0))
	check("change", Change(r.Current.Opened, r.Previous.Opened), "new")

	// A filter narrows every counter.
	fl, err := m.Figures(ctx, monday, clk.Now(), Filter{Department: "logistics"})
	if err != nil {
		t.Fatal(err)
	}
	check("logistics opened", fl.Opened, int64(1))
	check("logistics breached", fl.Breached, int64(0))
	check("logistics resolve p50", fl.Resolve.P50, bound(50))
}

// TestPurgeKeepsFigures purges every resolved ticket and reads the same figures.
func TestPurgeKeepsFigures(t *testing.T) {
	st, clk := history(t)
	ctx := context.Background()
	m := &Model{Rollups: st, Location: shanghai}
	monday := time.Date(2025, 3, 3, 0, 0, 0, 0, shanghai)
	clk.Set(time.Date(2025, 3, 6, 12, 0, 0, 0, shanghai))
	before, err := m.Figures(ctx, monday, clk.Now(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.PurgeResolved(ctx, clk.Now(), 100)
	if err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	after, err := m.Figures(ctx, monday, clk.Now(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Opened != before.Opened || after.Resolved() != before.Resolved() || after.Resolve.P90 != before.Resolve.P90 {
		t.Errorf("after the purge: opened %d resolved %d p90 %s; before %d %d %s", after.Opened, after.Resolved(),
			after.Resolve.P90, before.Opened, before.Resolved(), before.Resolve.P90)
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2025, 3, 5, 15, 0, 0, 0, shanghai) // a Wednesday
	for _, tc := range []struct {
		name        string
		since, prev time.Time
	}{
		{"today", time.Date(2025, 3, 5, 0, 0, 0, 0, shanghai), time.Date(2025, 3, 4, 0, 0, 0, 0, shanghai)},
		{"7d", now.Add(-7 * 24 * time.Hour), now.Add(-14 * 24 * time.Hour)},
		{"week", time.Date(2025, 3, 3, 0, 0, 0, 0, shanghai), time.Date(2025, 2, 24, 0, 0, 0, 0, shanghai)},
		{"month", time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai), time.Date(2025, 2, 1, 0, 0, 0, 0, shanghai)},
	} {
		p, err := ParsePeriod(tc.name, now, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Since.Equal(tc.since) || !p.PrevSince.Equal(tc.prev) {
			t.Errorf("%s: since %s prev %s, want %s %s", tc.name, p.Since, p.PrevSince, tc.since, tc.prev)
		}
	}
	if _, err := ParsePeriod("year", now, shanghai); err == nil {
		t.Error("year: no error")
	}
}

func names(gs []Group) []Count {
	out := make([]Count, len(gs))
	for i, g := range gs {
		out[i] = Count{Name: g.Name, Count: g.Opened}
	}
	return out
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case []Count:
		return slices.Equal(x, b.([]Count))
	case []orderbot.Money:
		return slices.Equal(x, b.([]orderbot.Money))
	}
	return a == b
}
