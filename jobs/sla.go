package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// Sweeper is the SLA job body: it asks the store for tickets whose acknowledge
// or resolve target passed and whose next escalation step is due, and for
// snoozes that expired. The store advances each ticket atomically and writes the
// event to the Slack outbox in the same step, so each escalation step fires
// exactly once however many replicas sweep at the same moment.
type Sweeper struct {
	Store *store.Store
	// Steps are the delays after breach at which escalation steps fire (step 1
	// usually at 0: mention the leads; step 2 later: the escalation channel).
	Steps []time.Duration
	// Batch bounds one store call; the sweep repeats until a call returns less.
	Batch int
	Now   func() time.Time
	Log   *slog.Logger
}

// Sweep runs one sweep and returns the events it fired.
func (s *Sweeper) Sweep(ctx context.Context) ([]store.SLAEvent, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = 200
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var all []store.SLAEvent
	for {
		evs, err := tickets.NewLifecycle(s.Store).Sweep(ctx, now(), s.Steps, batch)
		if err != nil {
			return all, fmt.Errorf("sla sweep: %w", err)
		}
		all = append(all, evs...)
		if len(evs) < batch {
			break
		}
	}
	if len(all) > 0 && s.Log != nil {
		s.Log.Info("sla sweep fired events", "events", len(all))
	}
	return all, nil
}
