package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

// Options tune a Store. The zero value gives the defaults noted on each field.
type Options struct {
	// Prefix starts every key, so several deployments can share one Redis.
	// Default "ob".
	Prefix string
	// Now is the clock; default time.Now. Tests pass a fake clock. Every ticket
	// script receives the time from here rather than reading Redis's clock, so
	// all replicas and tests agree on "now".
	Now func() time.Time
	// WarnBefore, when positive, makes SweepSLA fire one "warning" event this long
	// before a ticket's ack or resolve target. Default 0: no warnings.
	WarnBefore time.Duration
	// AuditMax caps each ticket's audit history (the newest entries are kept).
	// Default 100.
	AuditMax int
	// OutboxMaxLen bounds every outbox stream approximately; entries a consumer
	// group has not acknowledged are never trimmed (see lua/trim.lua). Default
	// 100,000; negative disables trimming.
	OutboxMaxLen int64
	// InFlightRetention is how long a cached order that may still change (and
	// its payments, contact index entries and unfinished parcels) stays after
	// its last save. An order in flight that nothing has changed for this long
	// leaves the cache, so Redis memory follows the order rate rather than the
	// shop's history. Default 30 days.
	InFlightRetention time.Duration
	// FinishedRetention is how long a finished order (completed or cancelled)
	// and its records, and a parcel whose journey is over, stay cached after
	// their last save: long enough for late payments, refunds and lookups.
	// Default 7 days.
	FinishedRetention time.Duration
	// OutboxGroups lists, per outbox stream, the consumer groups to create when
	// the Store is made (reading from the stream's start), so entries written
	// before a consumer first reads are protected from trimming. Example:
	// {OutboxTicketChanges: {"poster", "notifier"}}.
	OutboxGroups map[string][]string
	// UpsertBatch is how many upserts one script call folds. Default 200 (at most
	// 2,000): large enough to amortise round trips and shared-key writes, small
	// enough that one call blocks Redis for only a few milliseconds.
	UpsertBatch int
	// Location is the business time zone: the analytics rollups count local
	// days and months in it (see rollups.go). Default UTC.
	Location *time.Location
	// Observe, when set, is told of every change Transition and SweepSLA
	// make, with the ticket after it, once on the replica that made it (for
	// process metrics; it must not block). step is an SLA event's escalation
	// step (0 is the breach itself), 0 otherwise.
	Observe func(t orderbot.Ticket, c Change, step int)
}

// Store is orderbot's Redis-backed state. It is safe for concurrent use.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
	// prefix and now are copies of opts fields used on every call.
	prefix string
	now    func() time.Time
	// sums caches the parsed sums of closed rollup days and months, and
	// fields interns their field names.
	sums   sumCache
	fields fieldIDs
	// dimSums caches the parsed top lists of closed days and months, and
	// members interns their members.
	dimSums sumCache
	members names
	// rollupsOff turns the analytics rollups off; only the benchmark that
	// measures their cost sets it.
	rollupsOff bool
	// layout and tkeys are the fixed ARGV head and KEYS of ticket scripts.
	layout []any
	tkeys  []string
	groups groupCache
	// skew is Redis's clock minus the Store's clock, measured when the Store
	// is made. Record expiries are times on the Store's clock (Options.Now)
	// turned into Redis's with it, so a record lives exactly its retention
	// window whatever the two clocks say, and a test driving the clock can
	// tell which records Redis will have expired by a given time.
	skew time.Duration
	// contactTags are the hash tags of the contact index's shards.
	contactTags []string
	// watchTags are the hash tags of the watch list's shards.
	watchTags []string
	urls      urlPrefixes
}

// Open connects to the Redis at url (redis://, rediss://, redis-sentinel:// or
// redis-cluster://, see universalOptions) and checks that it answers.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	uo, err := universalOptions(url)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "store.open", err, "the Redis URL is not valid")
	}
	rdb := redis.NewUniversalClient(uo)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, orderbot.Wrap(orderbot.KindTransient, "store.open", err,
			fmt.Sprintf("redis at %s does not answer", redactURL(url)))
	}
	s, err := New(ctx, rdb, opts)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return s, nil
}

// New wraps an existing client. It loads the Lua scripts so that pipelined
// EVALSHA calls never meet NOSCRIPT.
func New(ctx context.Context, rdb redis.UniversalClient, opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = "ob"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AuditMax <= 0 {
		opts.AuditMax = 100
	}
	if opts.OutboxMaxLen == 0 {
		opts.OutboxMaxLen = 100_000
	}
	if opts.InFlightRetention <= 0 {
		opts.InFlightRetention = DefaultInFlightRetention
	}
	if opts.FinishedRetention <= 0 {
		opts.FinishedRetention = DefaultFinishedRetention
	}
	if opts.UpsertBatch <= 0 {
		opts.UpsertBatch = 200
	}
	// Lua's unpack takes at most 8,000 values; the upsert script unpacks one
	// fingerprint per upsert of a batch.
	opts.UpsertBatch = min(opts.UpsertBatch, 2000)
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.WarnBefore < 0 {
		opts.WarnBefore = 0
	}
	s := &Store{rdb: rdb, opts: opts, prefix: opts.Prefix, now: opts.Now}
	s.layout = s.ticketLayout()
	s.contactTags = shardTags("c", contactShards)
	s.watchTags = shardTags("w", watchShards)
	rt, err := rdb.Time(ctx).Result()
	if err != nil {
		return nil, s.fail("store.new", err)
	}
	s.skew = rt.Sub(s.now())
	s.tkeys = s.ticketKeys(OutboxTicketChanges)
	if err := s.loadScripts(ctx); err != nil {
		return nil, s.fail("store.load_scripts", err)
	}
	if err := s.migrateOutboxes(ctx); err != nil {
		return nil, s.fail("store.new", err)
	}
	for stream, groups := range opts.OutboxGroups {
		if !validStream(stream) {
			return nil, orderbot.Errorf(orderbot.KindInvalid, "store.new", "%q is not an outbox stream name", stream)
		}
		for _, g := range groups {
			if err := s.ensureGroup(ctx, s.outboxKey(stream), g); err != nil {
				return nil, s.fail("store.new", err)
			}
		}
	}
	return s, nil
}

// Client returns the underlying Redis client (readiness checks, metrics).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return s.fail("store.ping", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.rdb.Close() }

// key joins the prefix and parts with ':'.
func (s *Store) key(parts ...string) string {
	n := len(s.prefix)
	for _, p := range parts {
		n += 1 + len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, s.prefix...)
	for _, p := range parts {
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// fail turns a Redis or network error into a transient *orderbot.Error: every
// such failure may succeed on a later attempt, and its message is a sentence
// fit for a Slack user.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *orderbot.Error
	if errors.As(err, &oe) {
		return err
	}
	msg := "the ticket store is unavailable; please try again"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = "the ticket store did not answer in time"
	case errors.Is(err, context.Canceled):
		// Our side gave up (shutdown, a closed request): not the store's fault.
		msg = "the request was cancelled before the ticket store answered"
	}
	return orderbot.Wrap(orderbot.KindTransient, op, err, msg)
}

// isNil reports whether err is Redis's "no such key / no value".
func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// ms is a time as unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMs is the inverse of ms.
func fromMs(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
