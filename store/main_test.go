package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind: UpsertTickets
// and the record cache fan work out to goroutines that must all be joined.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
