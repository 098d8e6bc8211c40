package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Watch sets the next check time of in-flight orders (by order id); a zero time
// removes the order from the watch list. Time-based rules (stalled, overdue,
// late dispatch, stuck) must fire for orders that did not change, so the poll
// cycle re-evaluates the orders DueWatch returns.
func (s *Store) Watch(ctx context.Context, next map[string]time.Time) error {
	checks := make([]Check, 0, len(next))
	for id, t := range next {
		checks = append(checks, Check{OrderID: id, At: t})
	}
	return s.WatchChecks(ctx, checks)
}

// Check is the next time an order must be evaluated again; a zero At takes the
// order off the watch list.
type Check struct {
	OrderID string
	At      time.Time
}

// WatchChecks is Watch for a list, which a poll cycle fills by position
// without a map keyed by order id. The order ids must be distinct (a poll
// cycle's are): removals and additions are batched separately, so for an id
// listed twice either entry may win.
func (s *Store) WatchChecks(ctx context.Context, checks []Check) error {
	return s.scheduleChecks(ctx, "store.watch", s.watchKey(), checks, zaddSet)
}

// zaddMode is how scheduleChecks adds an id to its sorted set.
type zaddMode int

const (
	zaddSet     zaddMode = iota // set the time
	zaddNew                     // only ids not in the set (NX)
	zaddEarlier                 // only an earlier time, or a new id (LT)
)

// scheduleChecks writes checks into the sorted set key (order id by check
// time) in one round trip; a zero time removes the id.
func (s *Store) scheduleChecks(ctx context.Context, op, key string, checks []Check, mode zaddMode) error {
	if len(checks) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	s.queueChecks(ctx, pipe, key, checks, mode)
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// queueChecks adds the commands of scheduleChecks to pipe.
func (s *Store) queueChecks(ctx context.Context, pipe redis.Pipeliner, key string, checks []Check, mode zaddMode) {
	var add []redis.Z
	var del []any
	flush := func() {
		if len(add) > 0 {
			switch mode {
			case zaddNew:
				pipe.ZAddNX(ctx, key, add...)
			case zaddEarlier:
				pipe.ZAddLT(ctx, key, add...)
			default:
				pipe.ZAdd(ctx, key, add...)
			}
			add = nil // the command keeps the slice
		}
		if len(del) > 0 {
			pipe.ZRem(ctx, key, del...)
			del = nil
		}
	}
	for _, c := range checks {
		if c.At.IsZero() {
			del = append(del, c.OrderID)
		} else {
			add = append(add, redis.Z{Score: float64(c.At.UnixMilli()), Member: c.OrderID})
		}
		if len(add)+len(del) >= 1000 {
			flush()
		}
	}
	flush()
}

// DueWatch returns up to limit order ids whose check time is at or before now,
// earliest first. It does not remove them: the caller re-Watches each with its
// next check time (or zero) after evaluating it, so a crash in between only
// means the order is evaluated again.
func (s *Store) DueWatch(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.dueChecks(ctx, "store.due_watch", s.watchKey(), now, limit)
}

// dueChecks returns up to limit ids of the sorted set key whose time is at or
// before now, earliest first; limit ≤ 0 means 10,000.
func (s *Store) dueChecks(ctx context.Context, op, key string, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 10_000
	}
	ids, err := s.rdb.ZRangeByScore(ctx, key, &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, s.fail(op, err)
	}
	return ids, nil
}

// WatchLen is the number of orders on the watch list.
func (s *Store) WatchLen(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.watchKey()).Result()
	if err != nil {
		return 0, s.fail("store.watch_len", err)
	}
	return n, nil
}
