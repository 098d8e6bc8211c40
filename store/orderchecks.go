package store

import (
	"context"
	"time"
)

// The order-check queue of a per-order payment source (Alipay): which orders
// to ask it about, and when. One sorted set per source (order id by next query
// time) under the source's own hash tag.
func (s *Store) orderCheckKey(source string) string { return s.key("{q:"+source+"}", "orderchecks") }

// OrderChecks are changes to a per-order source's queue. In every list a
// zero At removes the order.
type OrderChecks struct {
	// Queue adds orders not queued yet; a queued order keeps its time.
	Queue []Check
	// Hurry moves queued orders to an earlier time (and adds new ones): an
	// order that changed is asked again at once.
	Hurry []Check
	// Set sets the time outright: the next query of an order just asked.
	Set []Check
}

// ScheduleOrderChecks applies c to the queue of the per-order source named
// source, Queue first, then Hurry, then Set, in one round trip.
func (s *Store) ScheduleOrderChecks(ctx context.Context, source string, c OrderChecks) error {
	const op = "store.schedule_order_checks"
	if len(c.Queue)+len(c.Hurry)+len(c.Set) == 0 {
		return nil
	}
	key := s.orderCheckKey(source)
	pipe := s.rdb.Pipeline()
	for _, step := range []struct {
		checks []Check
		mode   zaddMode
	}{{c.Queue, zaddNew}, {c.Hurry, zaddEarlier}, {c.Set, zaddSet}} {
		s.queueChecks(ctx, pipe, key, step.checks, step.mode)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DueOrderChecks returns up to limit order ids the source should be asked
// about at now, earliest first. They stay queued until ScheduleOrderChecks
// moves them, so a crash in between only means they are asked again.
func (s *Store) DueOrderChecks(ctx context.Context, source string, now time.Time, limit int) ([]string, error) {
	return s.dueChecks(ctx, "store.due_order_checks", s.orderCheckKey(source), now, limit)
}

// OldestOrderCheck returns the earliest time in the source's queue after its
// first skip entries; ok is false when there is none.
func (s *Store) OldestOrderCheck(ctx context.Context, source string, skip int) (time.Time, bool, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.orderCheckKey(source), int64(skip), int64(skip)).Result()
	if err != nil {
		return time.Time{}, false, s.fail("store.oldest_order_check", err)
	}
	if len(zs) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(zs[0].Score)), true, nil
}
