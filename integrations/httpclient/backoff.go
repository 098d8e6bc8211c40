package httpclient

import (
	"math/rand/v2"
	"time"
)

// Backoff is the wait before retry n (1-based) under orderbot's one retry
// policy, for provider calls and Slack alike: initial doubled per retry,
// capped at ceiling, then jittered to a uniform draw in [½, 1½) of that (never
// above ceiling), so clients retrying together spread out while a retry is never
// much earlier than its step. A caller with a provider's Retry-After waits
// that instead.
func Backoff(n int, initial, ceiling time.Duration) time.Duration {
	if initial <= 0 || ceiling <= 0 {
		return 0
	}
	d := initial << min(max(n-1, 0), 30)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return min(d/2+rand.N(d+1), ceiling)
}
