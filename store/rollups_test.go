package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// TestRollupFoldCountsOnce opens tickets in many batches and lets three
// replicas fold the rollup stream at once: every open counts exactly once.
func TestRollupFoldCountsOnce(t *testing.T) {
	e := newEnv(t, Options{UpsertBatch: 7})
	ctx := context.Background()
	const n = 500
	ups := rollupUpserts(n, 0, e.clock.Now())
	if _, err := e.st.UpsertTickets(ctx, ups); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		st := newStoreOn(t, e.srv, Options{Now: e.clock.Now})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.FoldRollups(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	day := e.clock.Now().Truncate(24 * time.Hour)
	r, err := e.st.ReadRollup(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var opened, minor int64
	for k, v := range r.Counters {
		switch k.Metric {
		case MetricOpened:
			opened += v
		case MetricAtRisk:
			minor += v
		}
	}
	var want int64
	for i := range ups {
		want += ups[i].Anomaly.AtRisk.Minor
	}
	if opened != n || minor != want {
		t.Errorf("opened %d at risk %d, want %d and %d\n%s", opened, minor, n, want, r)
	}
	top, err := e.st.TopDims(ctx, DimCourier, day, day.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var couriers int64
	for _, c := range top {
		couriers += c.Count
	}
	if len(top) != 6 || couriers != n {
		t.Errorf("couriers %v, want 6 couriers over %d tickets", top, n)
	}
}

// TestTrimRollupsKeepsFigures deletes old hour hashes and reads the same
// figures from the day sums.
func TestTrimRollupsKeepsFigures(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	h0 := unixHour(e.clock.Now())
	res, err := e.st.UpsertTickets(ctx, rollupUpserts(20, 0, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	skus := func() int {
		c, err := e.st.DimHourCounts(ctx, DimSKU, []int64{h0}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(c)
	}
	if skus() != 20 {
		t.Fatalf("%d SKUs counted in the hour, want 20", skus())
	}
	e.clock.Advance(30 * time.Minute)
	if _, _, err := e.st.Transition(ctx, res[0].Ticket.ID, Transition{Action: orderbot.ActClaim, Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	day := e.clock.Now().Truncate(24 * time.Hour)
	read := func() Rollup {
		r, err := e.st.ReadRollup(ctx, day, day.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before := read()
	e.clock.Advance(10 * 24 * time.Hour)
	n, err := e.st.TrimRollups(ctx, e.clock.Now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("nothing trimmed")
	}
	if left := e.srv.Universal(t).Exists(ctx, e.st.hourRollupKey(tagTickets, unixHour(day.Add(10*time.Hour)))).Val(); left != 0 {
		t.Fatal("the hour hash is still there")
	}
	if n := skus(); n != 0 {
		t.Errorf("%d SKUs' hourly counts outlived their hour", n)
	}
	after := read()
	if before.String() != after.String() || len(after.Counters) == 0 {
		t.Errorf("figures changed by the trim:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// TestRollupCountsNotices counts a sent and a failed notice per kind.
func TestRollupCountsNotices(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	for i, state := range []NoticeState{NoticeSent, NoticeFailed} {
		n := testNotice("T1", "o"+string(rune('1'+i)))
		if _, _, err := e.st.CreateNotice(ctx, n, "orderbot"); err != nil {
			t.Fatal(err)
		}
		out, got, err := e.st.BeginNotice(ctx, n.ID, e.clock.Now(), time.Minute, "", 0, time.Time{})
		if err != nil || out != BeginOK {
			t.Fatalf("begin: %v %v", out, err)
		}
		if _, err := e.st.FinishNotice(ctx, n.ID, got.Attempts, NoticeResult{State: state}); err != nil {
			t.Fatal(err)
		}
	}
	day := e.clock.Now().Truncate(24 * time.Hour)
	r, err := e.st.ReadRollup(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kind := testNotice("T1", "o1").Kind
	sent := r.Counters[RollupKey{Metric: MetricNoticeSent, Kind: kind}]
	failed := r.Counters[RollupKey{Metric: MetricNoticeFailed, Kind: kind}]
	if sent != 1 || failed != 1 {
		t.Errorf("sent %d failed %d, want 1 and 1\n%s", sent, failed, r)
	}
}
