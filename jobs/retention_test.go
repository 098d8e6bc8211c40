package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// TestRetentionKeepsFigures resolves more tickets than the old 20,000 limit of
// /ob stats, purges them with the retention job, and reads every one of them
// back from the analytics model.
func TestRetentionKeepsFigures(t *testing.T) {
	const n = 21_000
	var mu sync.Mutex
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ups := make([]store.Upsert, n)
	for i := range ups {
		ups[i] = store.Upsert{Anomaly: orderbot.Anomaly{Kind: orderbot.ShippingStalled, Subject: fmt.Sprint("o", i),
			Source: "aftership", Severity: orderbot.SeverityMedium, Department: "logistics", Summary: "stalled"}}
	}
	res, err := st.UpsertTickets(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	set(now.Add(time.Hour))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				if _, _, err := st.Transition(ctx, res[i].Ticket.ID, store.Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	set(day.AddDate(0, 0, 200))
	job := &Retention{Store: st, Resolved: 180 * 24 * time.Hour, Now: clock}
	purged, _, err := job.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if purged != n {
		t.Fatalf("purged %d tickets, want %d", purged, n)
	}
	if c, _ := st.CountByState(ctx); c[orderbot.StateResolved] != 0 {
		t.Fatalf("%d resolved tickets left", c[orderbot.StateResolved])
	}
	m := &analytics.Model{Rollups: st}
	f, err := m.Figures(ctx, day, day.AddDate(0, 0, 1), analytics.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Opened != n || f.ResolvedAuto != n || f.Resolve.Count != n {
		t.Errorf("after the purge: opened %d, auto-resolved %d, resolve times %d; want %d each", f.Opened, f.ResolvedAuto, f.Resolve.Count, n)
	}
	// A second run finds nothing more to do.
	if purged, _, err := job.Run(ctx); err != nil || purged != 0 {
		t.Errorf("second run purged %d, %v", purged, err)
	}
}
