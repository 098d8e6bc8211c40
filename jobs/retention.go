package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot/store"
)

// HourRollupRetention is how long the analytics rollups keep hour by hour
// figures; older hours are summed into their local day first. Spike warnings
// compare an hour with the same hour of the week over the weeks before, so
// this keeps ten weeks.
const HourRollupRetention = 10 * 7 * 24 * time.Hour

// Retention is the housekeeping job: it deletes tickets resolved longer ago
// than Resolved, and hour rollups older than HourRollupRetention. Every ticket
// change is counted in the rollups in the same Lua step as the change itself,
// so a resolved ticket's figures are already there when it is deleted; the job
// first folds pending opens (store.FoldRollups) so that nothing counted is
// left only in the stream. Run it from the scheduler: each activation runs on
// one replica, and each store call is atomic, so an interrupted run simply
// continues on the next.
type Retention struct {
	Store    *store.Store
	Resolved time.Duration
	// Batch bounds one purge call; the purge repeats until a call returns less.
	Batch int
	Now   func() time.Time
	Log   *slog.Logger
}

// Run runs the job once and returns how many tickets and hour hashes it
// deleted.
func (r *Retention) Run(ctx context.Context) (tickets, hours int, err error) {
	if r.Resolved <= 0 {
		return 0, 0, fmt.Errorf("retention: no retention age set")
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 1000
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if err := r.Store.FoldRollups(ctx); err != nil {
		return 0, 0, fmt.Errorf("retention: %w", err)
	}
	cutoff := now().Add(-r.Resolved)
	for {
		n, err := r.Store.PurgeResolved(ctx, cutoff, batch)
		tickets += n
		if err != nil {
			return tickets, 0, fmt.Errorf("retention: %w", err)
		}
		if n < batch {
			break
		}
	}
	hours, err = r.Store.TrimRollups(ctx, now().Add(-HourRollupRetention))
	if err != nil {
		return tickets, hours, fmt.Errorf("retention: %w", err)
	}
	if r.Log != nil && (tickets > 0 || hours > 0) {
		r.Log.Info("retention deleted old data", "tickets", tickets, "rollup_hours", hours)
	}
	return tickets, hours, nil
}
