package tickets

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

type movableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movableClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movableClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestStatsSummarize(t *testing.T) {
	clk := &movableClock{t: t0.Add(-48 * time.Hour)}
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func(kind orderbot.Kind, subject, dept string) string {
		now := clk.Now()
		res, err := st.UpsertTickets(ctx, []store.Upsert{{Anomaly: orderbot.Anomaly{Kind: kind, Subject: subject, OrderID: subject,
			Severity: orderbot.SeverityMedium, Department: dept, Summary: subject}, AckDue: now.Add(15 * time.Minute),
			ResolveDue: now.Add(2 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Ticket.ID
	}
	act := func(at time.Duration, id string, tr store.Transition) {
		clk.Set(t0.Add(at))
		tr.Actor = "U1"
		if _, _, err := st.Transition(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	open(orderbot.ShippingStalled, "old", "logistics") // before the window: only counted as active
	clk.Set(t0)
	o1 := open(orderbot.ShippingStalled, "o1", "logistics")
	o2 := open(orderbot.ShippingStalled, "o2", "logistics")
	open(orderbot.ShippingStalled, "o3", "logistics")
	o4 := open(orderbot.ShippingStalled, "o4", "logistics")
	open(orderbot.PaymentDuplicate, "p1", "finance")
	act(10*time.Minute, o1, store.Transition{Action: orderbot.ActClaim})
	act(30*time.Minute, o2, store.Transition{Action: orderbot.ActClaim})
	act(time.Hour, o1, store.Transition{Action: orderbot.ActResolve, Resolution: &orderbot.Resolution{Code: "moving_again"}})
	act(3*time.Hour, o2, store.Transition{Action: orderbot.ActResolve, Resolution: &orderbot.Resolution{Code: "reshipped"}})
	// Cleared by itself within minutes: counted apart, and not a resolve time.
	act(5*time.Minute, o4, store.Transition{Action: orderbot.ActAutoResolve, Resolution: &orderbot.Resolution{Code: AutoResolveCode, Auto: true}})

	sum, err := (&Stats{Store: st}).Summarize(ctx, t0.Add(-time.Hour), t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Opened != 5 || sum.Active != 3 || sum.Truncated {
		t.Fatalf("opened %d active %d truncated %v, want 5, 3, false", sum.Opened, sum.Active, sum.Truncated)
	}
	if len(sum.Kinds) != 2 || sum.Kinds[0] != (KindCount{orderbot.ShippingStalled, 4}) || sum.Kinds[1] != (KindCount{orderbot.PaymentDuplicate, 1}) {
		t.Fatalf("kinds %+v", sum.Kinds)
	}
	want := DeptStats{Department: "logistics", Opened: 4, Active: 1, Resolved: 2, AutoResolved: 1, Breached: 1,
		ClaimP50: 10 * time.Minute, ClaimP90: 30 * time.Minute, ResolveP50: time.Hour, ResolveP90: 3 * time.Hour}
	if len(sum.Departments) != 2 || sum.Departments[0] != want {
		t.Fatalf("departments %+v\nwant first %+v", sum.Departments, want)
	}
	if fin := sum.Departments[1]; fin.Department != "finance" || fin.Opened != 1 || fin.Active != 1 || fin.ClaimP50 != 0 {
		t.Fatalf("finance %+v", fin)
	}
	if _, err := (&Stats{Store: st}).Summarize(ctx, t0, t0); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("empty window: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	ds := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n)
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{ds(7), 90, 7},
		{ds(4, 1, 3, 2), 50, 2},
		{ds(4, 1, 3, 2), 90, 4},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 100, 10},
	} {
		if got := percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %d) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
}
