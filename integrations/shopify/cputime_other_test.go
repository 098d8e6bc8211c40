//go:build !unix

package shopify

import "time"

// cpuTime is not measured off unix; the cpu-µs/order metrics read 0.
func cpuTime() time.Duration { return 0 }
