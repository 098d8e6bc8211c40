package store

import (
	"context"
	"time"

	"github.com/orderbot/orderbot"
)

// AcquireLease takes the named lease for holder for ttl if nobody holds it
// (SET NX PX) and reports whether it did. A holder that already holds it gets
// false too: use RenewLease to extend.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	const op = "store.acquire_lease"
	if name == "" || holder == "" || ttl < time.Millisecond {
		return false, orderbot.Errorf(orderbot.KindInvalid, op, "a lease needs a name, a holder and a ttl of at least 1ms")
	}
	ok, err := s.rdb.SetNX(ctx, s.leaseKey(name), holder, ttl).Result()
	if err != nil {
		return false, s.fail(op, err)
	}
	return ok, nil
}

// RenewLease extends the lease to ttl from now if holder still holds it.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	const op = "store.renew_lease"
	if name == "" || holder == "" || ttl < time.Millisecond {
		return false, orderbot.Errorf(orderbot.KindInvalid, op, "a lease needs a name, a holder and a ttl of at least 1ms")
	}
	n, err := s.evalSha(ctx, scriptLease, []string{s.leaseKey(name)}, holder, "renew", ttl.Milliseconds()).Int()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if holder still holds it. It is a
// compare-and-delete in Lua, so a holder whose lease already expired cannot
// delete its successor's lease; releasing a lease one does not hold is not an
// error.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := s.evalSha(ctx, scriptLease, []string{s.leaseKey(name)}, holder, "release", 0).Err(); err != nil {
		return s.fail("store.release_lease", err)
	}
	return nil
}

// ClaimTick reports true to exactly one caller per (job, tick): every replica's
// scheduler fires at the same tick, and only the caller that claims it runs the
// job. The claim is kept for ttl, which must outlast the spread of the
// replicas' clocks and schedulers (a minute is plenty for schedules of minutes).
func (s *Store) ClaimTick(ctx context.Context, job string, tick time.Time, ttl time.Duration) (bool, error) {
	const op = "store.claim_tick"
	if job == "" || tick.IsZero() || ttl < time.Millisecond {
		return false, orderbot.Errorf(orderbot.KindInvalid, op, "a tick claim needs a job, a tick time and a ttl")
	}
	ok, err := s.rdb.SetNX(ctx, s.tickKey(job, tick.UnixMilli()), "1", ttl).Result()
	if err != nil {
		return false, s.fail(op, err)
	}
	return ok, nil
}

// RenewNotice moves the sending lease of notice id to deadline while attempt is
// still being sent: the lease stays short, so a sender killed mid-call has its
// notice turned "unknown" by RecoverNotices soon, while a slow provider call
// keeps it. It reports false when the attempt no longer holds the notice (it
// finished, or its lease already ran out and it was declared unknown).
func (s *Store) RenewNotice(ctx context.Context, id string, attempt int, deadline time.Time) (bool, error) {
	const op = "store.renew_notice"
	n, err := s.evalSha(ctx, scriptNoticeRenew, []string{s.noticeKey(id), s.noticeSendingKey()}, attempt, deadline.UnixMilli()).Int()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}
