package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec     string
		wantErr  bool
		gran     time.Duration
		interval time.Duration
	}{
		{"@every 1m", false, time.Minute, time.Minute},
		{"@every 90s", false, 90 * time.Second, 90 * time.Second},
		{"*/5 * * * *", false, time.Minute, 5 * time.Minute},
		{"30 */2 * * * *", false, time.Second, 2 * time.Minute},
		{"@hourly", false, time.Minute, time.Hour},
		{"@every 100ms", true, 0, 0},
		{"@every soon", true, 0, 0},
		{"61 * * * *", true, 0, 0},
		{"TZ=Nowhere/Bogus 0 * * * *", true, 0, 0},
		{"", true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if s.Granularity != tt.gran || s.Interval != tt.interval {
				t.Fatalf("granularity %v interval %v, want %v %v", s.Granularity, s.Interval, tt.gran, tt.interval)
			}
		})
	}
}

func TestAlignedEveryFiresOnTheSameInstantsEverywhere(t *testing.T) {
	s, err := ParseSchedule("@every 1m")
	if err != nil {
		t.Fatal(err)
	}
	a := s.Next(time.Date(2026, 3, 1, 10, 0, 7, 0, time.UTC))
	b := s.Next(time.Date(2026, 3, 1, 10, 0, 41, 0, time.UTC))
	want := time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC)
	if !a.Equal(want) || !b.Equal(want) {
		t.Fatalf("next = %v, %v; want %v for both", a, b, want)
	}
	if got := s.Tick(want.Add(35 * time.Millisecond)); !got.Equal(want) {
		t.Fatalf("tick of a late fire = %v, want %v", got, want)
	}
}

func newStore(t *testing.T, srv *redistest.Server) *store.Store {
	t.Helper()
	st, err := store.New(context.Background(), srv.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSchedulerRecoversPanicsAndKeepsRunning(t *testing.T) {
	var runs atomic.Int32
	s := NewScheduler(SchedulerOptions{})
	if err := s.Add(Job{Name: "boom", Spec: "@every 1m", Run: func(context.Context) error {
		if runs.Add(1) == 1 {
			panic("bad record")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := s.Activate(context.Background(), "boom", tick); got != OutcomePanicked {
		t.Fatalf("first activation = %s, want %s", got, OutcomePanicked)
	}
	if got := s.Activate(context.Background(), "boom", tick.Add(time.Minute)); got != OutcomeOK {
		t.Fatalf("second activation = %s, want ok: a panic must not stop the job for good", got)
	}
	if err := s.Add(Job{Name: "boom", Spec: "@every 1m", Run: func(context.Context) error { return nil }}); err == nil {
		t.Fatal("a second job with the same name was accepted")
	}
	if err := s.Add(Job{Name: "bad", Spec: "every minute", Run: func(context.Context) error { return nil }}); err == nil {
		t.Fatal("a bad spec was accepted")
	}
}

func TestSchedulerOverlapGuard(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	s := NewScheduler(SchedulerOptions{})
	s.Add(Job{Name: "slow", Spec: "@every 1m", Run: func(ctx context.Context) error {
		close(started)
		<-release
		return nil
	}})
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	done := make(chan Outcome)
	go func() { done <- s.Activate(context.Background(), "slow", tick) }()
	<-started
	if got := s.Activate(context.Background(), "slow", tick.Add(time.Minute)); got != OutcomeOverlap {
		t.Fatalf("overlapping activation = %s, want %s", got, OutcomeOverlap)
	}
	close(release)
	if got := <-done; got != OutcomeOK {
		t.Fatalf("first activation = %s", got)
	}
}

// Two schedulers (two replicas) on one Redis fire every tick at about the same
// moment, as two replicas with synchronised clocks do: each tick's job runs
// exactly once, whichever replica wins.
func TestTwoSchedulersRunEachTickOnce(t *testing.T) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	ran := map[time.Time]int{}
	var current atomic.Int64
	body := func(context.Context) error {
		tick := time.UnixMilli(current.Load()).UTC()
		mu.Lock()
		ran[tick]++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	}
	replicas := make([]*Scheduler, 2)
	for r := range replicas {
		replicas[r] = NewScheduler(SchedulerOptions{Coordinator: newStore(t, srv), Holder: []string{"a", "b"}[r]})
		if err := replicas[r].Add(Job{Name: "poll:shop", Spec: "@every 1m", Run: body}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const ticks = 40
	wins := make([]int, 2)
	for i := 0; i < ticks; i++ {
		tick := base.Add(time.Duration(i) * time.Minute)
		current.Store(tick.UnixMilli())
		var wg sync.WaitGroup
		outs := make([]Outcome, 2)
		for r := range replicas {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				outs[r] = replicas[r].Activate(context.Background(), "poll:shop", tick)
			}(r)
		}
		wg.Wait()
		if ran[tick] != 1 {
			t.Fatalf("tick %v ran %d times (outcomes %v), want exactly 1", tick, ran[tick], outs)
		}
		for r, o := range outs {
			if o == OutcomeOK {
				wins[r]++
			} else if o != OutcomeOtherRan {
				t.Fatalf("replica %d: outcome %s", r, o)
			}
		}
	}
	if wins[0]+wins[1] != ticks {
		t.Fatalf("wins %v, want %d in total", wins, ticks)
	}
	// A replica that fires late (its clock behind) finds the tick already run.
	late := replicas[1].Activate(context.Background(), "poll:shop", base)
	if late != OutcomeOtherRan || ran[base] != 1 {
		t.Fatalf("late activation of a run tick = %s, ran %d times", late, ran[base])
	}
}

// A job still running on one replica keeps the other replica out even for the
// next tick (the lease), and a failed run reports failed.
func TestLeaseKeepsSecondReplicaOutWhileRunning(t *testing.T) {
	srv := redistest.Start(t)
	a := NewScheduler(SchedulerOptions{Coordinator: newStore(t, srv), Holder: "a"})
	b := NewScheduler(SchedulerOptions{Coordinator: newStore(t, srv), Holder: "b"})
	release, started := make(chan struct{}), make(chan struct{})
	a.Add(Job{Name: "j", Spec: "@every 1m", Run: func(context.Context) error { close(started); <-release; return nil }})
	b.Add(Job{Name: "j", Spec: "@every 1m", Run: func(context.Context) error { return errors.New("source said no") }})
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	done := make(chan Outcome)
	go func() { done <- a.Activate(context.Background(), "j", tick) }()
	<-started
	if got := b.Activate(context.Background(), "j", tick.Add(time.Minute)); got != OutcomeOtherRan {
		t.Fatalf("b during a's run = %s, want %s", got, OutcomeOtherRan)
	}
	close(release)
	<-done
	if got := b.Activate(context.Background(), "j", tick.Add(2*time.Minute)); got != OutcomeFailed {
		t.Fatalf("b after a finished = %s, want %s", got, OutcomeFailed)
	}
}
