package store

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

func TestCursorNeverMovesBackwards(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	got, err := e.st.Cursor(ctx, "shopify")
	if err != nil || !got.IsZero() {
		t.Fatalf("unpolled cursor %v %v", got, err)
	}
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 123_456_789, time.UTC)
	steps := []struct {
		commit time.Time
		want   time.Time
	}{
		{t0, t0.Truncate(time.Millisecond)},
		{t0.Add(time.Minute), t0.Add(time.Minute).Truncate(time.Millisecond)},
		{t0, t0.Add(time.Minute).Truncate(time.Millisecond)},                       // older: ignored
		{t0.Add(30 * time.Second), t0.Add(time.Minute).Truncate(time.Millisecond)}, // older: ignored
		{t0.Add(2 * time.Minute), t0.Add(2 * time.Minute).Truncate(time.Millisecond)},
	}
	for i, st := range steps {
		if err := e.st.CommitCursor(ctx, "shopify", st.commit); err != nil {
			t.Fatal(err)
		}
		got, err := e.st.Cursor(ctx, "shopify")
		if err != nil || !got.Equal(st.want) {
			t.Fatalf("step %d: cursor %v, want %v (%v)", i, got, st.want, err)
		}
	}
	// Many replicas committing concurrently end at the newest time.
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				e.st.CommitCursor(ctx, "stripe", t0.Add(time.Duration((i*7+g*13)%300)*time.Second))
			}
		}()
	}
	wg.Wait()
	if got, _ := e.st.Cursor(ctx, "stripe"); !got.Equal(t0.Truncate(time.Millisecond).Add(299 * time.Second)) {
		t.Fatalf("concurrent cursor %v", got)
	}
	if err := e.st.CommitCursor(ctx, "", t0); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("empty source: %v", err)
	}
}

func TestRecordPollHealth(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		ok   bool
		msg  string
		want SourceHealth
	}{
		{true, "", SourceHealth{LastSuccess: t0, LastAttempt: t0}},
		{false, "HTTP 503 from shopify", SourceHealth{Failures: 1, LastError: "HTTP 503 from shopify", LastSuccess: t0, LastAttempt: t0.Add(time.Minute)}},
		{false, "timeout\x00", SourceHealth{Failures: 2, LastError: "timeout", LastSuccess: t0, LastAttempt: t0.Add(2 * time.Minute)}},
		{true, "", SourceHealth{LastError: "timeout", LastSuccess: t0.Add(3 * time.Minute), LastAttempt: t0.Add(3 * time.Minute)}},
	}
	for i, st := range steps {
		got, err := e.st.RecordPoll(ctx, "shopify", st.ok, st.msg, t0.Add(time.Duration(i)*time.Minute))
		if err != nil || !reflect.DeepEqual(got, st.want) {
			t.Fatalf("step %d: %+v %v, want %+v", i, got, err, st.want)
		}
	}
	all, err := e.st.SourceHealth(ctx, []string{"shopify", "stripe"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, map[string]SourceHealth{"shopify": steps[3].want, "stripe": {}}) {
		t.Fatalf("health %+v", all)
	}
}

func TestClaimTickExactlyOnce(t *testing.T) {
	e := newEnv(t, Options{})
	other := newStoreOn(t, e.srv, Options{Now: e.clock.Now})
	ctx := context.Background()
	tick0 := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	var wins [3]atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := e.st
			if g%2 == 1 {
				st = other
			}
			for k := 0; k < 3; k++ {
				ok, err := st.ClaimTick(ctx, "poll", tick0.Add(time.Duration(k)*time.Minute), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins[k].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	for k := range wins {
		if n := wins[k].Load(); n != 1 {
			t.Fatalf("tick %d claimed %d times, want once", k, n)
		}
	}
	// Another job's tick is independent.
	if ok, _ := e.st.ClaimTick(ctx, "digest", tick0, time.Minute); !ok {
		t.Fatal("a different job could not claim the same tick")
	}
}

func TestLeases(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"a acquires", func() (bool, error) { return e.st.AcquireLease(ctx, "sweeper", "a", time.Minute) }, true},
		{"b cannot", func() (bool, error) { return e.st.AcquireLease(ctx, "sweeper", "b", time.Minute) }, false},
		{"b cannot renew", func() (bool, error) { return e.st.RenewLease(ctx, "sweeper", "b", time.Minute) }, false},
		{"a renews", func() (bool, error) { return e.st.RenewLease(ctx, "sweeper", "a", time.Minute) }, true},
		{"b's release is ignored", func() (bool, error) { return true, e.st.ReleaseLease(ctx, "sweeper", "b") }, true},
		{"still held", func() (bool, error) { return e.st.AcquireLease(ctx, "sweeper", "b", time.Minute) }, false},
		{"a releases", func() (bool, error) { return true, e.st.ReleaseLease(ctx, "sweeper", "a") }, true},
		{"b acquires", func() (bool, error) { return e.st.AcquireLease(ctx, "sweeper", "b", 30*time.Millisecond) }, true},
		{"expired lease is free", func() (bool, error) {
			time.Sleep(60 * time.Millisecond)
			return e.st.AcquireLease(ctx, "sweeper", "c", time.Minute)
		}, true},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil || got != st.want {
			t.Fatalf("%s: %v %v, want %v", st.name, got, err, st.want)
		}
	}
	if _, err := e.st.AcquireLease(ctx, "", "a", time.Minute); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("lease without name: %v", err)
	}
}

func TestWatchList(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	next := map[string]time.Time{}
	for i := 0; i < 2500; i++ {
		next[fmt.Sprint("O", i)] = t0.Add(time.Duration(i) * time.Minute)
	}
	if err := e.st.Watch(ctx, next); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.st.WatchLen(ctx); n != 2500 {
		t.Fatalf("watch len %d", n)
	}
	due, err := e.st.DueWatch(ctx, t0.Add(2*time.Minute), 10)
	if err != nil || !reflect.DeepEqual(due, []string{"O0", "O1", "O2"}) {
		t.Fatalf("due %v %v", due, err)
	}
	if due, _ := e.st.DueWatch(ctx, t0.Add(time.Hour), 5); len(due) != 5 || due[0] != "O0" {
		t.Fatalf("limited due %v", due)
	}
	// Rescheduling and removal.
	if err := e.st.Watch(ctx, map[string]time.Time{"O0": {}, "O1": t0.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	due, _ = e.st.DueWatch(ctx, t0.Add(2*time.Minute), 10)
	if !reflect.DeepEqual(due, []string{"O2"}) {
		t.Fatalf("due after update %v", due)
	}
	if n, _ := e.st.WatchLen(ctx); n != 2499 {
		t.Fatalf("watch len %d after a removal", n)
	}
}

// TestWatchChecks checks the list form of Watch a poll cycle uses: additions
// and removals mixed in one call, more than one command's worth of each.
func TestWatchChecks(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	var checks []Check
	for i := 0; i < 2500; i++ {
		checks = append(checks, Check{OrderID: fmt.Sprint("O", i), At: t0.Add(time.Duration(i) * time.Minute)})
	}
	if err := e.st.WatchChecks(ctx, checks); err != nil {
		t.Fatal(err)
	}
	// Every other order leaves the list, the rest move a day on; removals of
	// orders never watched are harmless, and 50 new orders join.
	checks = checks[:0]
	for i := 0; i < 2600; i++ {
		c := Check{OrderID: fmt.Sprint("O", i)}
		if i%2 == 1 {
			c.At = t0.Add(24*time.Hour + time.Duration(i)*time.Minute)
		}
		checks = append(checks, c)
	}
	if err := e.st.WatchChecks(ctx, checks); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.st.WatchLen(ctx); n != 1300 {
		t.Fatalf("watch len %d, want 1300", n)
	}
	due, err := e.st.DueWatch(ctx, t0.Add(24*time.Hour+3*time.Minute), 0)
	if err != nil || !reflect.DeepEqual(due, []string{"O1", "O3"}) {
		t.Fatalf("due %v %v", due, err)
	}
	if err := e.st.WatchChecks(ctx, nil); err != nil {
		t.Fatalf("no checks: %v", err)
	}
}
