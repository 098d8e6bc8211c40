package jobs

import (
	"context"
	"time"

	"github.com/orderbot/orderbot/store"
)

// postOnce makes the post named name exactly once across replicas: it skips a
// post already marked, takes a lease on the name so one replica posts, checks
// the mark again (another replica may have posted and let go meanwhile), posts,
// and marks the name posted for keep. A replica that dies mid-post leaves the
// lease to expire, so another posts after lease. posted says whether this call
// posted.
func postOnce(ctx context.Context, st *store.Store, name, holder string, lease, keep time.Duration, post func(ctx context.Context) error) (posted bool, err error) {
	if done, err := st.Posted(ctx, name); err != nil || done {
		return false, err
	}
	ok, err := st.AcquireLease(ctx, name, holder, lease)
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		if rerr := st.ReleaseLease(context.WithoutCancel(ctx), name, holder); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if done, err := st.Posted(ctx, name); err != nil || done {
		return false, err
	}
	if err := post(ctx); err != nil {
		return false, err
	}
	if err := st.MarkPosted(ctx, name, keep); err != nil {
		return true, err
	}
	return true, nil
}
