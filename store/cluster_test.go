package store

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// masterCommands is the number of commands each master of a cluster has run
// (INFO commandstats, commands run by scripts included), by address.
func masterCommands(t testing.TB, srv *redistest.Server) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, a := range srv.Addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		info, err := c.Info(context.Background(), "commandstats").Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			name, rest, ok := strings.Cut(line, ":calls=")
			if !ok || strings.HasPrefix(name, "cmdstat_cluster") || name == "cmdstat_info" || name == "cmdstat_command" ||
				strings.HasPrefix(name, "cmdstat_script") || name == "cmdstat_ping" || name == "cmdstat_hello" || name == "cmdstat_time" {
				continue
			}
			n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
			out[a] += n
		}
	}
	return out
}

// TestClusterSpreadsAPollCycle runs the store's side of a poll cycle of
// 20,000 simulated orders (records, contact index, demand, watch list, the
// joins, tickets for the anomalous ones) against a three-master Redis
// Cluster and checks that every master ran its share of the commands, within
// ±20 % of the mean: records are single keys spread by their names, the
// contact index is sharded over hash tags placed in every master's slots,
// and the single-slot spaces (tickets, demand, watch list) take one command
// per batch.
func TestClusterSpreadsAPollCycle(t *testing.T) {
	const n = 20_000
	srv := redistest.StartCluster(t)
	clock := newClock()
	st := newStoreOn(t, srv, Options{Now: clock.Now})
	ctx := context.Background()
	ds := simulate.New(5, simulate.Options{AnomalyRate: 0.01}).Generate(n, clock.Now())
	before := masterCommands(t, srv)
	cacheAsCycle(t, st, clock.Now(), ds.Orders, ds.Payments, ds.Shipments)
	ids := make([]string, len(ds.Orders))
	var tracking []string
	for i := range ds.Orders {
		ids[i] = ds.Orders[i].ID
		for _, r := range ds.Orders[i].Shipments {
			tracking = append(tracking, r.TrackingNumber)
		}
	}
	if _, err := st.OrdersOf(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PaymentsOf(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ShipmentsOf(ctx, tracking); err != nil {
		t.Fatal(err)
	}
	var ups []Upsert
	for i := 0; i < n/100; i++ {
		a := anomaly(orderbot.PaymentUnrecorded, ids[i])
		ups = append(ups, Upsert{Anomaly: a, AckDue: clock.Now().Add(15 * time.Minute), ResolveDue: clock.Now().Add(2 * time.Hour)})
	}
	if _, err := st.UpsertTickets(ctx, ups); err != nil {
		t.Fatal(err)
	}
	after := masterCommands(t, srv)
	var total int64
	for _, a := range srv.Addrs {
		total += after[a] - before[a]
	}
	mean := float64(total) / float64(len(srv.Addrs))
	for _, a := range srv.Addrs {
		d := float64(after[a] - before[a])
		t.Logf("master %s: %.0f commands (%+.1f %% of the mean)", a, d, 100*(d-mean)/mean)
		if d < 0.8*mean || d > 1.2*mean {
			t.Errorf("master %s ran %.0f commands, the mean is %.0f: not within ±20 %%", a, d, mean)
		}
	}
	// Every record is readable through the cluster.
	got, err := st.OrdersByContact(ctx, ds.Orders[0].Customer.Email, 0)
	if err != nil || len(got) == 0 {
		t.Fatalf("lookup by contact on the cluster: %v %v", got, err)
	}
}
