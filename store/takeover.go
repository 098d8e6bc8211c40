package store

import (
	"context"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

// Outbox consumers and their liveness. A consumer holds the entries it read
// until it acknowledges them; when it dies they must be taken over quickly, but
// a live consumer may hold entries for long (the Slack poster paces a backlog
// one post a second per channel). Idle time per entry (XAUTOCLAIM) cannot tell
// the two apart without renewing every held entry, which costs in proportion to
// the backlog. So each consumer keeps a liveness lease instead, one key renewed
// by HeartbeatConsumer, and TakeOverOutbox moves to itself the entries of
// consumers whose lease ran out: one heartbeat per consumer, one takeover per
// dead consumer, whatever the backlog.

func (s *Store) consumerLeaseKey(stream, group, consumer string) string {
	return s.leaseKey("consumer:" + stream + ":" + group + ":" + consumer)
}

// HeartbeatConsumer marks consumer of group on stream as alive for ttl. Call it
// before the first read and then well within ttl (a third of it), from the loop
// that reads, so a stalled loop counts as dead.
func (s *Store) HeartbeatConsumer(ctx context.Context, stream, group, consumer string, ttl time.Duration) error {
	const op = "store.heartbeat_consumer"
	if !validStream(stream) || group == "" || consumer == "" || ttl < time.Millisecond {
		return orderbot.Errorf(orderbot.KindInvalid, op, "a consumer heartbeat needs a stream, a group, a consumer and a ttl")
	}
	if err := s.rdb.Set(ctx, s.consumerLeaseKey(stream, group, consumer), "1", ttl).Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// TakeOverOutbox moves to consumer up to count entries pending for consumers of
// group that are dead: no live heartbeat and no contact with Redis for at least
// ttl (XINFO CONSUMERS idle; this also covers consumers of versions that kept
// no heartbeat). With self set, consumer's own pending entries are returned too:
// a process restarted under the same name picks up what its predecessor held.
// A dead consumer left with nothing pending is removed from the group, so the
// list does not grow with every restart. Entries trimmed meanwhile are left out.
func (s *Store) TakeOverOutbox(ctx context.Context, stream, group, consumer string, ttl time.Duration, count int, self bool) ([]OutboxEntry, error) {
	const op = "store.take_over_outbox"
	if !validStream(stream) || group == "" || consumer == "" || ttl < time.Millisecond {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "an outbox takeover needs a stream, a group, a consumer and a ttl")
	}
	if count <= 0 {
		count = 100
	}
	key := s.outboxKey(stream)
	if err := s.ensureGroup(ctx, key, group); err != nil {
		return nil, s.fail(op, err)
	}
	cs, err := s.rdb.XInfoConsumers(ctx, key, group).Result()
	if err != nil {
		if redis.HasErrorPrefix(err, "NOGROUP") {
			s.groups.drop(key + "\x00" + group)
		}
		return nil, s.fail(op, err)
	}
	var others []redis.XInfoConsumer
	for _, c := range cs {
		if c.Name != consumer && c.Idle >= ttl {
			others = append(others, c)
		}
	}
	alive := make([]*redis.IntCmd, len(others))
	if len(others) > 0 {
		pipe := s.rdb.Pipeline()
		for i, c := range others {
			alive[i] = pipe.Exists(ctx, s.consumerLeaseKey(stream, group, c.Name))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, s.fail(op, err)
		}
	}
	var dead []redis.XInfoConsumer
	for i, c := range others {
		if alive[i].Val() == 0 {
			dead = append(dead, c)
		}
	}
	if self {
		for _, c := range cs {
			if c.Name == consumer && c.Pending > 0 {
				dead = append(dead, c)
			}
		}
	}
	var out []OutboxEntry
	for _, c := range dead {
		if c.Pending == 0 {
			if c.Name != consumer {
				if err := s.rdb.XGroupDelConsumer(ctx, key, group, c.Name).Err(); err != nil {
					return out, s.fail(op, err)
				}
			}
			continue
		}
		if len(out) >= count {
			break
		}
		ps, err := s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: group, Start: "-", End: "+",
			Count: int64(count - len(out)), Consumer: c.Name}).Result()
		if err != nil {
			return out, s.fail(op, err)
		}
		if len(ps) == 0 {
			continue
		}
		ids := make([]string, len(ps))
		for i, p := range ps {
			ids[i] = p.ID
		}
		// The entries of a dead consumer have been idle at least as long as it
		// has; claiming with that threshold means that when two replicas take
		// over at once, only the first gets each entry.
		minIdle := ttl
		if c.Name == consumer {
			minIdle = 0
		}
		msgs, err := s.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: key, Group: group, Consumer: consumer, MinIdle: minIdle, Messages: ids}).Result()
		if err != nil {
			return out, s.fail(op, err)
		}
		for _, m := range msgs {
			out = append(out, entryOf(m))
		}
		if len(msgs) < len(ids) {
			// Claimed ids whose entries were trimmed come back without a body in
			// Redis < 7; drop them from the pending list so they are not met again.
			got := make(map[string]bool, len(msgs))
			for _, m := range msgs {
				got[m.ID] = true
			}
			var gone []string
			for _, id := range ids {
				if !got[id] {
					gone = append(gone, id)
				}
			}
			if err := s.rdb.XAck(ctx, key, group, gone...).Err(); err != nil {
				return out, s.fail(op, err)
			}
		}
	}
	return out, nil
}

// Liveness drives HeartbeatConsumer and TakeOverOutbox from a consumer's read
// loop: call Beat every round; every third of TTL it renews the consumer's
// liveness lease and returns the entries it took over from dead consumers, so
// a replica killed mid-work has its entries picked up within about TTL + TTL/3
// by the survivors or its own restart. Until a pass finds fewer than Count, it
// also takes back the entries held under its own name, left by the previous
// process of that name. Not safe for concurrent use.
type Liveness struct {
	Stream, Group, Consumer string
	TTL                     time.Duration
	Count                   int

	last    time.Time
	tookOwn bool
}

// Beat renews and takes over when due; it returns nothing otherwise.
func (l *Liveness) Beat(ctx context.Context, s *Store) ([]OutboxEntry, error) {
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.TTL/3 {
		return nil, nil
	}
	l.last = now
	if err := s.HeartbeatConsumer(ctx, l.Stream, l.Group, l.Consumer, l.TTL); err != nil {
		return nil, err
	}
	took, err := s.TakeOverOutbox(ctx, l.Stream, l.Group, l.Consumer, l.TTL, l.Count, !l.tookOwn)
	if err == nil {
		l.tookOwn = len(took) < l.Count
	}
	return took, err
}
