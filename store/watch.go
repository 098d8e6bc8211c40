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

// zaddMode is how queueChecks adds an id to its sorted set.
type zaddMode int

const (
	zaddSet     zaddMode = iota // set the time
	zaddNew                     // only ids not in the set (NX)
	zaddEarlier                 // only an earlier time, or a new id (LT)
)

// queueChecks adds to pipe the commands that write checks into the single
// sorted set key (id by check time); a zero time removes the id. The order
// checks of a per-order payment source (orderchecks.go) use it.
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
