package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// sinceKey holds the start of a source's first committed poll window.
func (s *Store) sinceKey(source string) string { return s.key("since", source) }

// MarkSince records t as the start of the source's first committed poll window,
// unless one is already recorded: records older than it were never asked for.
func (s *Store) MarkSince(ctx context.Context, source string, t time.Time) error {
	if err := s.rdb.SetNX(ctx, s.sinceKey(source), t.UnixMilli(), 0).Err(); err != nil {
		return s.fail("store.mark_since", err)
	}
	return nil
}

// Since returns, per source, the start of its first committed poll window
// (absent for a source never polled).
func (s *Store) Since(ctx context.Context, sources []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(sources))
	if len(sources) == 0 {
		return out, nil
	}
	keys := make([]string, len(sources))
	for i, src := range sources {
		keys[i] = s.sinceKey(src)
	}
	// One GET per key in a pipeline: the keys may live in different cluster slots.
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, s.fail("store.since", err)
	}
	for i, c := range cmds {
		v, err := c.Result()
		if err != nil {
			continue
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		out[sources[i]] = time.UnixMilli(ms).UTC()
	}
	return out, nil
}
