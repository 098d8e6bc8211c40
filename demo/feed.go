package demo

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/orderbot/orderbot/simulate"
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

// Feed generates batches of orders and loads them into the simulated services,
// so that cards keep arriving while the demo runs.
type Feed struct {
	World     *simulate.World
	Providers *Providers
	Now       func() time.Time
	// Initial is the size of the first batch, loaded before Run returns from its
	// first step; Batch and Every shape the stream after it.
	Initial int
	Batch   int
	Every   time.Duration
	Log     *slog.Logger
}

// Run loads the first batch at once, then a batch every Every (real time) until
// ctx ends or the batch budget is spent (Max batches; 0 = no limit).
func (f *Feed) Run(ctx context.Context, first chan<- struct{}, max int) error {
	load := func(n int) error {
		ds := f.World.Generate(n, f.Now())
		if err := f.Providers.Load(ds); err != nil {
			return err
		}
		if f.Log != nil {
			f.Log.Info("simulated shop received orders", "orders", len(ds.Orders), "payments", len(ds.Payments),
				"parcels", len(ds.Shipments), "seeded_anomalies", len(ds.Expected))
		}
		return nil
	}
	if err := load(f.Initial); err != nil {
		return err
	}
	if first != nil {
		close(first)
	}
	t := time.NewTicker(f.Every)
	defer t.Stop()
	for n := 1; max == 0 || n < max; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := load(f.Batch); err != nil {
				return err
			}
		}
	}
	return nil
}
