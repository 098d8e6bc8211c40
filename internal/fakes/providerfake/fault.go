package providerfake

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a failure a fake answers with instead of its normal answer.
type FaultKind int

// Fault kinds.
const (
	// RateLimited answers 429 in the provider's envelope, with Retry-After
	// when the provider sends one.
	RateLimited FaultKind = iota + 1
	// ServerError answers 500 in the provider's envelope.
	ServerError
	// Malformed answers the normal 2xx answer cut in half (invalid JSON).
	Malformed
	// WrongType answers the normal 2xx answer with every value of one field
	// given the wrong JSON type (a number becomes a string, a string a number).
	WrongType
	// Slow holds the request for Fault.Delay before answering normally, or
	// until the client gives up or the server closes.
	Slow
)

var kindNames = [...]string{RateLimited: "rate_limited", ServerError: "server_error", Malformed: "malformed",
	WrongType: "wrong_type", Slow: "slow"}

// String names the kind for test failure messages.
func (k FaultKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes an injected failure. A zero Kind answers normally, which
// lets a test pass requests through before a fault queued after it.
type Fault struct {
	Kind FaultKind
	// Times is how many matching requests it answers; default 1.
	Times int
	// PathContains limits the fault to requests whose unescaped path contains
	// it; empty matches every request.
	PathContains string
	// RetryAfter is the Retry-After of a RateLimited answer; zero means what
	// the provider sends by default (see each fake).
	RetryAfter time.Duration
	// Delay is how long Slow holds a request; zero holds it until the client
	// gives up or the server closes, which makes a client timeout certain
	// without the test waiting longer than that timeout.
	Delay time.Duration
	// Field is the JSON key whose values WrongType corrupts; empty means the
	// answer's default (Response.WrongTypeField).
	Field string
}

// RetryAfterOr is f.RetryAfter, or def when the fault does not set one.
func (f Fault) RetryAfterOr(def time.Duration) time.Duration {
	if f.RetryAfter > 0 {
		return f.RetryAfter
	}
	return def
}

// Seconds renders d as a Retry-After value in whole seconds, rounded up and at
// least 1, as most providers send it.
func Seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// faultQueue is a FIFO of injected failures.
type faultQueue struct {
	mu   sync.Mutex
	list []Fault
	// taken is closed (and replaced) whenever a fault is taken or the queue
	// cleared, to wake waitEmpty.
	taken chan struct{}
}

func (q *faultQueue) signal() {
	if q.taken != nil {
		close(q.taken)
		q.taken = nil
	}
}

// waitEmpty blocks until no fault is queued or ctx is done.
func (q *faultQueue) waitEmpty(ctx context.Context) error {
	for {
		q.mu.Lock()
		if len(q.list) == 0 {
			q.mu.Unlock()
			return nil
		}
		if q.taken == nil {
			q.taken = make(chan struct{})
		}
		ch := q.taken
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (q *faultQueue) add(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	q.mu.Lock()
	q.list = append(q.list, f)
	q.mu.Unlock()
}

// take returns the first fault matching path and uses up one of its times.
func (q *faultQueue) take(path string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.list {
		f := &q.list[i]
		if f.PathContains != "" && !strings.Contains(path, f.PathContains) {
			continue
		}
		got := *f
		if f.Times--; f.Times == 0 {
			q.list = append(q.list[:i], q.list[i+1:]...)
		}
		q.signal()
		return got, true
	}
	return Fault{}, false
}

func (q *faultQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, f := range q.list {
		n += f.Times
	}
	return n
}

func (q *faultQueue) clear() {
	q.mu.Lock()
	q.list = nil
	q.signal()
	q.mu.Unlock()
}
