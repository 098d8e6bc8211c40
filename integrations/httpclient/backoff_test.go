package httpclient

import (
	"testing"
	"time"
)

// TestBackoff: each wait lies in [½, 1½) of its doubled step, never above the
// ceiling; zero bounds give no wait.
func TestBackoff(t *testing.T) {
	const initial, ceiling = 500 * time.Millisecond, 8 * time.Second
	for n := 1; n <= 40; n++ {
		step := min(initial<<min(n-1, 30), ceiling)
		for range 200 {
			d := Backoff(n, initial, ceiling)
			if d < step/2 || d > min(step*3/2, ceiling) {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", n, d, step/2, min(step*3/2, ceiling))
			}
		}
	}
	if d := Backoff(3, 0, ceiling); d != 0 {
		t.Errorf("zero initial gives %v", d)
	}
}
