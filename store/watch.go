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
	const op = "store.watch"
	if len(checks) == 0 {
		return nil
	}
	key := s.watchKey()
	pipe := s.rdb.Pipeline()
	var add []redis.Z
	var del []any
	flush := func() {
		if len(add) > 0 {
			pipe.ZAdd(ctx, key, add...)
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
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DueWatch returns up to limit order ids whose check time is at or before now,
// earliest first. It does not remove them: the caller re-Watches each with its
// next check time (or zero) after evaluating it, so a crash in between only
// means the order is evaluated again.
func (s *Store) DueWatch(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 10_000
	}
	ids, err := s.rdb.ZRangeByScore(ctx, s.watchKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, s.fail("store.due_watch", err)
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
