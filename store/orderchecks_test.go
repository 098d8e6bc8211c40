package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestOrderChecks: Queue keeps a queued order's time, Hurry only moves it
// earlier, Set sets it, a zero time removes; queues of two sources are apart.
func TestOrderChecks(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	step := func(c OrderChecks) {
		t.Helper()
		if err := e.st.ScheduleOrderChecks(ctx, "alipay", c); err != nil {
			t.Fatal(err)
		}
	}
	due := func(now time.Time, want ...string) {
		t.Helper()
		got, err := e.st.DueOrderChecks(ctx, "alipay", now, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("due at %v = %v, want %v", now, got, want)
		}
	}
	step(OrderChecks{Queue: []Check{{"A", at(10)}, {"B", at(20)}}})
	step(OrderChecks{Queue: []Check{{"A", at(0)}}, Hurry: []Check{{"B", at(30)}}}) // neither moves
	due(at(15), "A")
	step(OrderChecks{Hurry: []Check{{"B", at(5)}}, Set: []Check{{"A", at(60)}}})
	due(at(15), "B")
	if oldest, ok, err := e.st.OldestOrderCheck(ctx, "alipay", 0); err != nil || !ok || !oldest.Equal(at(5)) {
		t.Fatalf("oldest = %v %v %v, want B's time", oldest, ok, err)
	}
	if oldest, ok, _ := e.st.OldestOrderCheck(ctx, "alipay", 1); !ok || !oldest.Equal(at(60)) {
		t.Fatalf("oldest after one = %v %v, want A's time", oldest, ok)
	}
	step(OrderChecks{Set: []Check{{OrderID: "B"}}})
	due(at(100), "A")
	if got, _ := e.st.DueOrderChecks(ctx, "other", at(100), 0); len(got) != 0 {
		t.Fatalf("another source's queue holds %v", got)
	}
	if _, ok, _ := e.st.OldestOrderCheck(ctx, "other", 0); ok {
		t.Fatal("empty queue has an oldest entry")
	}
}
