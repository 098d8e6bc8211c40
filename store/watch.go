package store

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
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
// listed twice either entry may win. The watch list is split over
// watchShards sorted sets by order id, so Redis Cluster spreads it; each
// shard gets one ZADD and one ZREM per thousand checks.
func (s *Store) WatchChecks(ctx context.Context, checks []Check) error {
	const op = "store.watch"
	if len(checks) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	var add [watchShards][]redis.Z
	var del [watchShards][]any
	flush := func(k int) {
		if len(add[k]) > 0 {
			pipe.ZAdd(ctx, s.watchKey(k), add[k]...)
			add[k] = nil // the command keeps the slice
		}
		if len(del[k]) > 0 {
			pipe.ZRem(ctx, s.watchKey(k), del[k]...)
			del[k] = nil
		}
	}
	for _, c := range checks {
		k := shardOf(c.OrderID, watchShards)
		if c.At.IsZero() {
			del[k] = append(del[k], c.OrderID)
		} else {
			add[k] = append(add[k], redis.Z{Score: float64(c.At.UnixMilli()), Member: c.OrderID})
		}
		if len(add[k])+len(del[k]) >= 1000 {
			flush(k)
		}
	}
	for k := range add {
		flush(k)
	}
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
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, watchShards)
	for k := range cmds {
		cmds[k] = pipe.ZRangeByScoreWithScores(ctx, s.watchKey(k), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
		})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.fail("store.due_watch", err)
	}
	var due []redis.Z
	for _, c := range cmds {
		due = append(due, c.Val()...)
	}
	// The earliest of every shard's earliest: the same ids, in the same
	// order, as one sorted set would give.
	slices.SortStableFunc(due, func(a, b redis.Z) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Member.(string), b.Member.(string))
	})
	if len(due) > limit {
		due = due[:limit]
	}
	ids := make([]string, len(due))
	for i, z := range due {
		ids[i] = z.Member.(string)
	}
	return ids, nil
}

// WatchLen is the number of orders on the watch list.
func (s *Store) WatchLen(ctx context.Context) (int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, watchShards)
	for k := range cmds {
		cmds[k] = pipe.ZCard(ctx, s.watchKey(k))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, s.fail("store.watch_len", err)
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}
