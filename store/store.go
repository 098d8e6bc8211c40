package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options tune a Store.
type Options struct {
	// Prefix starts every key, so several deployments can share one Redis.
	// Default "ob".
	Prefix string
	// Now is the clock; default time.Now. Tests pass a fake clock.
	Now func() time.Time
}

// Store is orderbot's Redis-backed state. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// Open connects to the Redis at url (redis://, rediss://, or a comma-separated
// list of cluster or sentinel addresses as go-redis's UniversalOptions accept) and
// checks that it answers.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	uo, err := universalOptions(url)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(uo)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store: redis at %s does not answer: %w", redactURL(url), err)
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
	s := &Store{rdb: rdb, prefix: opts.Prefix, now: opts.Now}
	if err := s.loadScripts(ctx); err != nil {
		return nil, fmt.Errorf("store: loading scripts: %w", err)
	}
	return s, nil
}

// Client returns the underlying Redis client (readiness checks, metrics).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Close closes the connection pool.
func (s *Store) Close() error { return s.rdb.Close() }

// key joins the prefix and parts with ':'.
func (s *Store) key(parts ...string) string {
	k := s.prefix
	for _, p := range parts {
		k += ":" + p
	}
	return k
}
