package bot

import (
	"context"
	"time"
)

// holdLease keeps a lease while work runs: every third of lease it calls renew,
// and when a renewal reports the lease lost (it ran out, another holder took
// it) the returned context is cancelled so the work stops. A renewal that fails
// on a Redis error is tried again at the next tick. Leases stay short (a few
// seconds), so work a killed process held is taken over quickly, while work
// that is slow (a 429 wait, a retry) keeps its lease for as long as it runs.
// Call stop when the work ends.
func holdLease(ctx context.Context, lease time.Duration, renew func(context.Context) (bool, error)) (held context.Context, stop func()) {
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-held.Done():
				return
			case <-t.C:
				rctx, rcancel := context.WithTimeout(held, max(lease/3, time.Millisecond))
				ok, err := renew(rctx)
				rcancel()
				if err == nil && !ok {
					cancel()
					return
				}
			}
		}
	}()
	return held, func() {
		close(done)
		<-finished
		cancel()
	}
}
