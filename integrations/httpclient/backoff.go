package httpclient

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Backoff is the wait before retry n (1-based) under orderbot's one retry
// policy, for provider calls and Slack alike: cenkalti/backoff's exponential
// schedule from initial, doubling per retry up to ceiling, each step jittered
// to a uniform draw in [½, 1½) of itself, and never above ceiling. Replicas
// retrying together spread out, and no retry comes much earlier than its step.
// A caller with a provider's Retry-After waits that instead.
func Backoff(n int, initial, ceiling time.Duration) time.Duration {
	if initial <= 0 || ceiling <= 0 {
		return 0
	}
	bo := &backoff.ExponentialBackOff{InitialInterval: initial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: ceiling}
	bo.Reset()
	var d time.Duration
	for range min(max(n, 1), 64) { // the interval stops growing at ceiling long before 64
		d = bo.NextBackOff()
	}
	return min(d, ceiling)
}
