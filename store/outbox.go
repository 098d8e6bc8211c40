package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

// OutboxEntry is one event waiting for a consumer (the Slack poster, the
// customer notifier). Ticket changes carry TicketID, Change and Version; the
// Payload holds everything else ("actor", "detail", and "clock"/"step" for SLA
// events).
type OutboxEntry struct {
	ID       string // stream entry id, set when read
	TicketID string
	Change   Change
	Version  int64
	Payload  map[string]string
}

// Reserved field names of outbox entries.
const (
	fieldTicket  = "t"
	fieldChange  = "c"
	fieldVersion = "v"
)

// groupCache remembers which consumer groups this Store has created, so
// ReadOutbox does not send XGROUP CREATE before every read.
type groupCache struct{ m sync.Map }

func (g *groupCache) has(k string) bool { _, ok := g.m.Load(k); return ok }
func (g *groupCache) add(k string)      { g.m.Store(k, struct{}{}) }
func (g *groupCache) drop(k string)     { g.m.Delete(k) }

func validStream(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// EnqueueOutbox appends an entry to an outbox stream (OutboxTicketChanges,
// OutboxClicks) and returns its id. The stream is kept near
// Options.OutboxMaxLen, but entries a consumer group has not acknowledged are
// never trimmed (see lua/trim.lua).
func (s *Store) EnqueueOutbox(ctx context.Context, stream string, e OutboxEntry) (string, error) {
	const op = "store.enqueue_outbox"
	if !validStream(stream) {
		return "", orderbot.Errorf(orderbot.KindInvalid, op, "%q is not an outbox stream name", clip(stream, 64))
	}
	args := make([]any, 0, 7+2*len(e.Payload))
	args = append(args, s.opts.OutboxMaxLen)
	if e.TicketID != "" {
		args = append(args, fieldTicket, e.TicketID)
	}
	if e.Change != "" {
		args = append(args, fieldChange, string(e.Change))
	}
	if e.Version != 0 {
		args = append(args, fieldVersion, e.Version)
	}
	// Fields in a stable order: stream nodes store the field names once when
	// entries repeat the first entry's fields.
	for _, k := range slices.Sorted(maps.Keys(e.Payload)) {
		if k == fieldTicket || k == fieldChange || k == fieldVersion {
			return "", orderbot.Errorf(orderbot.KindInvalid, op, "payload field %q is reserved", k)
		}
		args = append(args, k, e.Payload[k])
	}
	if len(args) == 1 {
		return "", orderbot.Errorf(orderbot.KindInvalid, op, "an outbox entry needs at least one field")
	}
	id, err := s.evalSha(ctx, scriptEnqueue, []string{s.outboxKey(stream)}, args...).Text()
	if err != nil {
		return "", s.fail(op, err)
	}
	return id, nil
}

// ReadOutbox reads up to count new entries (">") for consumer in group, waiting
// up to block for one to arrive; block <= 0 does not wait. It creates the group
// (and the stream) when missing, starting from the stream's first entry so
// nothing written before the first consumer started is missed. Entries stay
// pending until AckOutbox; a consumer that restarts recovers its own and dead
// consumers' entries with ClaimStaleOutbox.
func (s *Store) ReadOutbox(ctx context.Context, stream, group, consumer string, count int, block time.Duration) ([]OutboxEntry, error) {
	const op = "store.read_outbox"
	if !validStream(stream) || group == "" || consumer == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "outbox reads need a stream, a group and a consumer")
	}
	if count <= 0 {
		count = 100
	}
	key := s.outboxKey(stream)
	// go-redis sends BLOCK 0 (wait forever) for a zero Block and omits BLOCK only
	// for a negative one, so the duration is always set explicitly.
	b := block
	if b <= 0 {
		b = -1
	} else if b < time.Millisecond {
		b = time.Millisecond
	}
	for attempt := 0; ; attempt++ {
		if err := s.ensureGroup(ctx, key, group); err != nil {
			return nil, s.fail(op, err)
		}
		res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: []string{key, ">"},
			Count: int64(count), Block: b,
		}).Result()
		if isNil(err) {
			return nil, nil
		}
		if err != nil && redis.HasErrorPrefix(err, "NOGROUP") && attempt == 0 {
			// The stream was deleted (or Redis restarted empty) since the group
			// was created: create it again and retry once.
			s.groups.drop(key + "\x00" + group)
			continue
		}
		if err != nil {
			return nil, s.fail(op, err)
		}
		var out []OutboxEntry
		for _, st := range res {
			for _, m := range st.Messages {
				out = append(out, entryOf(m))
			}
		}
		return out, nil
	}
}

func (s *Store) ensureGroup(ctx context.Context, key, group string) error {
	ck := key + "\x00" + group
	if s.groups.has(ck) {
		return nil
	}
	err := s.rdb.XGroupCreateMkStream(ctx, key, group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return err
	}
	s.groups.add(ck)
	return nil
}

// AckOutbox marks entries processed by group.
func (s *Store) AckOutbox(ctx context.Context, stream, group string, ids ...string) error {
	const op = "store.ack_outbox"
	if len(ids) == 0 {
		return nil
	}
	if !validStream(stream) {
		return orderbot.Errorf(orderbot.KindInvalid, op, "%q is not an outbox stream name", clip(stream, 64))
	}
	if err := s.rdb.XAck(ctx, s.outboxKey(stream), group, ids...).Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ClaimStaleOutbox hands consumer up to count entries that were delivered to
// some consumer of group (a crashed replica, or this consumer before a restart)
// and not acknowledged for at least minIdle (XAUTOCLAIM). Entries trimmed from
// the stream meanwhile are dropped from the pending list by Redis.
func (s *Store) ClaimStaleOutbox(ctx context.Context, stream, group, consumer string, minIdle time.Duration, count int) ([]OutboxEntry, error) {
	const op = "store.claim_stale_outbox"
	if !validStream(stream) || group == "" || consumer == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "outbox claims need a stream, a group and a consumer")
	}
	if count <= 0 {
		count = 100
	}
	key := s.outboxKey(stream)
	if err := s.ensureGroup(ctx, key, group); err != nil {
		return nil, s.fail(op, err)
	}
	var out []OutboxEntry
	start := "0-0"
	// XAUTOCLAIM scans at most 10×COUNT pending entries per call; a few rounds
	// cover a long pending list without looping forever.
	for round := 0; round < 16 && len(out) < count; round++ {
		msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: key, Group: group, Consumer: consumer,
			MinIdle: minIdle, Start: start, Count: int64(count - len(out)),
		}).Result()
		if err != nil {
			if redis.HasErrorPrefix(err, "NOGROUP") {
				s.groups.drop(key + "\x00" + group)
			}
			return out, s.fail(op, err)
		}
		for _, m := range msgs {
			out = append(out, entryOf(m))
		}
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

func entryOf(m redis.XMessage) OutboxEntry {
	e := OutboxEntry{ID: m.ID}
	for k, v := range m.Values {
		sv, _ := v.(string)
		switch k {
		case fieldTicket:
			e.TicketID = sv
		case fieldChange:
			e.Change = Change(sv)
		case fieldVersion:
			e.Version, _ = strconv.ParseInt(sv, 10, 64)
		default:
			if e.Payload == nil {
				e.Payload = make(map[string]string, len(m.Values))
			}
			e.Payload[k] = sv
		}
	}
	return e
}

// migrateOutboxes gives a stream still under an earlier name its current name,
// entries and consumer groups included (RENAME keeps both), so an upgrade
// loses nothing a consumer had not read yet. Both names carry the {t} tag, so
// they share a slot on Redis Cluster. When the new stream already exists
// (another replica moved it first, or a newer replica already wrote to it),
// the old one is left alone.
func (s *Store) migrateOutboxes(ctx context.Context) error {
	for old, cur := range outboxRenamed {
		from, to := s.outboxKey(old), s.outboxKey(cur)
		n, err := s.rdb.Exists(ctx, from).Result()
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		// "no such key": another replica moved it between the two calls.
		if _, err := s.rdb.RenameNX(ctx, from, to).Result(); err != nil && !redis.HasErrorPrefix(err, "no such key") {
			return fmt.Errorf("moving outbox stream %s to %s: %w", old, cur, err)
		}
	}
	return nil
}
