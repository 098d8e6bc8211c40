package store

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot/store/redistest"
)

// TestMain fails the package if a test leaves goroutines behind: UpsertTickets
// and the record cache fan work out to goroutines that must all be joined. It
// also stops the Redis Cluster the tests share in cluster mode.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopSharedCluster()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
