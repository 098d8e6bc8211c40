package redistest

import (
	"context"
	"testing"
)

// Against a shared server (REDIS_URL) each Start gets a database of its own:
// one test's keys are invisible to, and never flushed by, another; Stop
// flushes and frees its database.
func TestSharedServerIsolatesEachStart(t *testing.T) {
	// Database leases are a single server's feature (a cluster has one
	// database), so this test runs in that mode even in the cluster run.
	t.Setenv("ORDERBOT_TEST_REDIS", "")
	own := Start(t)
	t.Setenv("REDIS_URL", own.URL)
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a.URL == b.URL || a.URL == own.URL {
		t.Fatalf("shared starts got %s and %s (server %s)", a.URL, b.URL, own.URL)
	}
	ca, cb := a.Client(t), b.Client(t)
	if err := ca.Set(ctx, "ob:k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := cb.Exists(ctx, "ob:k").Result(); n != 0 {
		t.Fatal("b sees a's key")
	}
	c := Start(t) // a third start flushes only its own database
	_ = c
	if v, _ := ca.Get(ctx, "ob:k").Result(); v != "a" {
		t.Fatalf("a's key after another start: %q", v)
	}
	a.Stop()
	d := Start(t) // reuses a's freed database, flushed
	if n, _ := d.Client(t).DBSize(ctx).Result(); n != 0 {
		t.Fatalf("a freed database still holds %d keys", n)
	}
}
