package demo

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/simulate"
)

// Clock is the demo's time: it starts at the real time and runs Speed times
// faster, so SLA targets of hours pass in minutes. Every part of the demo (the
// store, the poller, the simulated services) reads this clock.
type Clock struct {
	start time.Time
	speed float64
	mu    sync.Mutex
	real  func() time.Time
}

// NewClock returns a clock running speed times faster than real time (speed
// below 1 counts as 1).
func NewClock(speed float64) *Clock {
	if speed < 1 {
		speed = 1
	}
	return &Clock{start: time.Now(), speed: speed, real: time.Now}
}

// Now returns the accelerated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	elapsed := c.real().Sub(c.start)
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}

// Speed is how many times faster than real time the clock runs.
func (c *Clock) Speed() float64 { return c.speed }

// Feed keeps the simulated services in step with a simulated shop: every step
// it loads what changed in the shop since the last step (new orders, payments
// as they are captured, parcels as they are scanned, stock as it moves), each
// dated within that step, so nothing lands behind a poll cursor that already
// passed its time. The timeline is extended a day at a time as the clock
// approaches its end.
type Feed struct {
	Timeline  *simulate.Timeline
	Providers *Providers
	Now       func() time.Time
	// PerDay is the order rate of extensions.
	PerDay int
	// Every is the real time between steps; keep it well under the sources'
	// overlap divided by the clock's speed.
	Every time.Duration
	Log   *slog.Logger

	mu     sync.Mutex
	loaded time.Time // the clock of the last step
}

// Step loads what changed after the previous step up to now and returns it.
func (f *Feed) Step(now time.Time) (simulate.Reveal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !now.After(f.loaded) && !f.loaded.IsZero() {
		return simulate.Reveal{}, nil
	}
	if end := f.Timeline.End(); now.Add(24 * time.Hour).After(end) {
		f.Timeline.Extend(f.PerDay, end.Add(24*time.Hour), time.Time{})
	}
	r := f.Timeline.Between(f.loaded, now)
	if err := f.Providers.LoadChanges(r, now); err != nil {
		return r, err
	}
	if f.loaded.IsZero() && f.Log != nil {
		f.Log.Info("simulated shop opened with its history", "orders", len(r.Orders), "payments", len(r.Payments),
			"parcels", len(r.Shipments), "skus", len(r.ERPStock))
	}
	f.loaded = now
	return r, nil
}

// Run loads the shop's history at once (closing first when done), then steps
// every Every until ctx ends.
func (f *Feed) Run(ctx context.Context, first chan<- struct{}) error {
	if _, err := f.Step(f.Now()); err != nil {
		return err
	}
	if first != nil {
		close(first)
	}
	t := time.NewTicker(f.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := f.Step(f.Now()); err != nil {
				return err
			}
		}
	}
}

// Fix makes the simulated shop do what a staff resolution says was done
// (see simulate.Timeline.Fix), from the next step on. It reports whether the
// shop changed.
func (f *Feed) Fix(kind orderbot.Kind, subject, code string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := f.Now()
	if !at.After(f.loaded) {
		at = f.loaded.Add(time.Millisecond)
	}
	return f.Timeline.Fix(kind, subject, code, at)
}
