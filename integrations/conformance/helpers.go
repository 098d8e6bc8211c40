package conformance

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// GenerousTimeout is the per-attempt timeout adapter tests configure when no
// timeout is meant to fire. CI runs every package's tests at once on two
// cores, where a local answer can take seconds; a tight timeout there turns
// a slow answer into a flaky failure.
const GenerousTimeout = time.Minute

// Prompt bounds how long a call may take to return once its context is
// cancelled. It is loose, for loaded machines, yet far below GenerousTimeout
// and the endless holds and backoffs the checks use, so it still proves that
// cancellation interrupts the call.
const Prompt = 5 * time.Second

// Sleeper is a recording httpclient Sleep hook: it notes each wait and
// returns at once (or with ctx's error), so retry tests never really wait. It
// is safe for concurrent use.
type Sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns ctx.Err().
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

// Waits returns the waits recorded so far, oldest first.
func (s *Sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// FaultWaiter is a fake that can tell when its queued faults have all been
// taken by requests (providerfake.Server).
type FaultWaiter interface {
	WaitFaultsTaken(ctx context.Context) error
}

// CancelWhileHeld runs call with a context that it cancels once fake has
// taken every queued fault: inject a Slow fault first, and the cancel lands
// while the fake holds the request, however long the request took to
// arrive. It returns how long call took to return after the cancel, and
// call's error.
func CancelWhileHeld(t testing.TB, fake FaultWaiter, call func(ctx context.Context) error) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	waitCtx, stopWaiting := context.WithCancel(context.Background())
	defer stopWaiting()
	held := make(chan error, 1)
	go func() { held <- fake.WaitFaultsTaken(waitCtx) }()
	select {
	case err := <-done:
		t.Fatalf("the call returned before the fake held its request: %v", err)
	case err := <-held:
		if err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	at := time.Now()
	err := <-done
	return time.Since(at), err
}

// Collect runs a paged listing (a ListOrders, ListPayments, ListShipments
// or ListStock call bound to its window) to the end and returns every record
// and the number of pages. An error or an empty page fails the test: the
// adapters call page only with records, so the poll never commits nothing.
func Collect[T any](t testing.TB, list func(ctx context.Context, page func([]T) error) error) ([]T, int) {
	t.Helper()
	var all []T
	pages := 0
	err := list(context.Background(), func(p []T) error {
		if len(p) == 0 {
			t.Error("empty page delivered")
		}
		pages++
		all = append(all, p...)
		return nil
	})
	if err != nil {
		t.Fatalf("listing: %v", err)
	}
	return all, pages
}

// CheckError fails the test unless err has the given kind and its text
// contains text and none of secrets: the check every adapter's fault table
// makes of a call that must fail.
func CheckError(t testing.TB, err error, kind orderbot.ErrorKind, text string, secrets ...string) {
	t.Helper()
	if !orderbot.IsKind(err, kind) || !strings.Contains(err.Error(), text) {
		t.Fatalf("err = %v, want %s containing %q", err, kind, text)
	}
	checkNoSecret(t, "error", err.Error(), secrets)
}
