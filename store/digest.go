package store

import (
	"context"
	"time"
)

// digestKey marks the daily digest of one local date as posted.
func (s *Store) digestKey(date string) string { return s.key("digest", date) }

// DigestPosted reports whether the digest of date (yyyy-mm-dd) was posted.
func (s *Store) DigestPosted(ctx context.Context, date string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.digestKey(date)).Result()
	if err != nil {
		return false, s.fail("store.digest_posted", err)
	}
	return n == 1, nil
}

// MarkDigestPosted records that the digest of date was posted, for keep.
func (s *Store) MarkDigestPosted(ctx context.Context, date string, keep time.Duration) error {
	if err := s.rdb.Set(ctx, s.digestKey(date), "1", keep).Err(); err != nil {
		return s.fail("store.mark_digest_posted", err)
	}
	return nil
}
