package store

import (
	"context"
	"time"
)

// postedKey marks a once-only post (a date's digest, an hour's spike alert) as
// made.
func (s *Store) postedKey(what string) string { return s.key("posted", what) }

// Posted reports whether the once-only post named what was made.
func (s *Store) Posted(ctx context.Context, what string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.postedKey(what)).Result()
	if err != nil {
		return false, s.fail("store.posted", err)
	}
	return n == 1, nil
}

// MarkPosted records that the once-only post named what was made, for keep.
// Callers take a lease on what first (AcquireLease), so that one replica
// posts.
func (s *Store) MarkPosted(ctx context.Context, what string, keep time.Duration) error {
	if err := s.rdb.Set(ctx, s.postedKey(what), "1", keep).Err(); err != nil {
		return s.fail("store.mark_posted", err)
	}
	return nil
}
