package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot/store"
)

// liveness is an outbox consumer's side of store.HeartbeatConsumer and
// store.TakeOverOutbox, driven from the consumer's read loop: every third of
// ttl it renews its own liveness lease and takes over what dead consumers held,
// so a replica killed mid-work has its entries picked up within about
// ttl + ttl/3 by the survivors or by its own restart. The first pass also takes
// back the entries held under this consumer's own name, left by the previous
// process of that name.
type liveness struct {
	last      time.Time
	tookOwn   bool
	beatFails int
}

func (l *liveness) beat(ctx context.Context, st *store.Store, log *slog.Logger, stream, group, consumer string, ttl time.Duration, count int) []store.OutboxEntry {
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < ttl/3 {
		return nil
	}
	l.last = now
	if err := st.HeartbeatConsumer(ctx, stream, group, consumer, ttl); err != nil {
		if ctx.Err() == nil {
			log.Warn("renewing the consumer's liveness failed", slog.String("stream", stream), slog.String("error", err.Error()))
		}
		return nil
	}
	took, err := st.TakeOverOutbox(ctx, stream, group, consumer, ttl, count, !l.tookOwn)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("taking over a dead consumer's entries failed", slog.String("stream", stream), slog.String("error", err.Error()))
		}
		return took
	}
	l.tookOwn = len(took) < count // more of its own may wait beyond count
	if len(took) > 0 {
		log.Info("took over outbox entries of a stopped consumer", slog.String("stream", stream), slog.Int("entries", len(took)))
	}
	return took
}
