package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// benchUpserts builds n anomalies of realistic size with distinct fingerprints.
func benchUpserts(n int, offset int, now time.Time) []Upsert {
	ups := make([]Upsert, n)
	for i := range ups {
		subject := strconv.Itoa(5_000_000_000_000 + offset + i)
		a := anomaly(orderbot.PaymentUnrecorded, subject)
		a.DetectedAt = now
		ups[i] = Upsert{Anomaly: a, AckDue: now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour), ReopenWithin: 24 * time.Hour}
	}
	return ups
}

// BenchmarkUpsertTickets measures ticket upserts per second against a fresh local
// redis-server, for the paths a poll cycle takes: opening new tickets,
// recurrences of open ones, and (pending) first sightings that a kind's flap
// guard holds back (OpenAfter 2).
//
//	go test ./store -run '^$' -bench BenchmarkUpsertTickets -benchtime 5x
func BenchmarkUpsertTickets(b *testing.B) {
	const perOp = 10_000
	for _, mode := range []string{"open", "recur", "pending"} {
		b.Run(mode, func(b *testing.B) {
			srv := redistest.Start(b)
			clock := newClock()
			st := newStoreOn(b, srv, Options{Now: clock.Now})
			ctx := context.Background()
			fixed := benchUpserts(perOp, 0, clock.Now())
			if mode == "recur" {
				if _, err := st.UpsertTickets(ctx, fixed); err != nil {
					b.Fatal(err)
				}
			}
			cpu0 := redisCPU(b, srv)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ups := fixed
				if mode != "recur" {
					b.StopTimer()
					ups = benchUpserts(perOp, (i+1)*perOp, clock.Now())
					if mode == "pending" {
						for j := range ups {
							ups[j].OpenAfter = 2
						}
					}
					b.StartTimer()
				}
				res, err := st.UpsertTickets(ctx, ups)
				if err != nil {
					b.Fatal(err)
				}
				want := ChangeOpened
				switch mode {
				case "recur":
					want = ChangeRecurred
				case "pending":
					want = ChangePending
				}
				if res[len(res)-1].Change != want {
					b.Fatalf("change %s, want %s", res[len(res)-1].Change, want)
				}
			}
			b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "upserts/s")
			// Redis's own CPU time per upsert does not depend on what else the
			// machine runs: it bounds the rate one Redis core can sustain.
			b.ReportMetric((redisCPU(b, srv)-cpu0).Seconds()*1e6/float64(b.N*perOp), "redis-cpu-µs/upsert")
		})
	}
}

// redisCPU is the CPU time the redis-server process has used (INFO cpu).
func redisCPU(t testing.TB, srv *redistest.Server) time.Duration {
	t.Helper()
	info, err := srv.Universal(t).Info(context.Background(), "cpu").Result()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		for _, k := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(line, k); ok {
				f, _ := strconv.ParseFloat(v, 64)
				total += f
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

// usedMemory is INFO memory's used_memory (summed over the masters of a
// cluster).
func usedMemory(t testing.TB, srv *redistest.Server) int64 {
	t.Helper()
	addrs := srv.Addrs
	if !srv.IsCluster() {
		addrs = []string{srv.Addr}
	}
	var total int64
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		info, err := c.Info(context.Background(), "memory").Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				total += n
				found = true
			}
		}
		if !found {
			t.Fatal("no used_memory in INFO")
		}
	}
	return total
}

// BenchmarkSaveOrders measures caching 100,000 orders with demand bookkeeping:
// new orders, the same orders saved again (overlapping poll windows), and every
// order changed (each order's demand moves, the worst case).
//
//	go test ./store -run '^$' -bench BenchmarkSaveOrders -benchtime 3x
func BenchmarkSaveOrders(b *testing.B) {
	for _, mode := range []string{"new", "resave", "changed"} {
		b.Run(mode, func(b *testing.B) {
			srv := redistest.Start(b)
			st := newStoreOn(b, srv, Options{})
			ctx := context.Background()
			orders := volumeOrders(100_000)
			if mode != "new" {
				if err := st.SaveOrders(ctx, orders); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := range orders {
					switch mode {
					case "new":
						orders[j].ID = fmt.Sprint(i, "-", j)
					case "changed":
						orders[j].Lines[0].Quantity = int64(2 + i%2)
					}
				}
				b.StartTimer()
				if err := st.SaveOrders(ctx, orders); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(orders))/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// TestMemoryPerOpenTicket opens 10,000 tickets of realistic size and measures
// Redis's used_memory growth per ticket: the ticket string (content included),
// its share of the fingerprint index, the state/department/kind index sets, both
// SLA sets and the Slack outbox entry. product.md §12 allows 2 KB. It then claims every
// ticket (which adds an audit history and an owner index entry) and reports that
// figure too.
//
//	go test ./store -run TestMemoryPerOpenTicket -v
func TestMemoryPerOpenTicket(t *testing.T) {
	const n = 10_000
	srv := redistest.Start(t)
	clock := newClock()
	st := newStoreOn(t, srv, Options{Now: clock.Now})
	ctx := context.Background()
	before := usedMemory(t, srv)
	res, err := st.UpsertTickets(ctx, benchUpserts(n, 0, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	opened := usedMemory(t, srv)
	perOpen := float64(opened-before) / n
	c := srv.Universal(t)
	id := res[n/2].Ticket.ID
	t.Logf("open ticket: %.0f bytes each (used_memory %d -> %d over %d tickets)", perOpen, before, opened, n)
	t.Logf("  MEMORY USAGE of %s (ticket string, content included): %d", id, c.MemoryUsage(ctx, st.ticketKey(id)).Val())
	t.Logf("  shared structures per ticket: fp index %d, open set %d, kind set %d, dept set %d, ack set %d, resolve set %d, outbox %d",
		c.MemoryUsage(ctx, st.fpIndexKey()).Val()/n, c.MemoryUsage(ctx, st.indexKey(idxState, "open")).Val()/n,
		c.MemoryUsage(ctx, st.indexKey(idxKind, string(orderbot.PaymentUnrecorded))).Val()/n,
		c.MemoryUsage(ctx, st.indexKey(idxDept, "finance")).Val()/n,
		c.MemoryUsage(ctx, st.slaKey(slaAck)).Val()/n, c.MemoryUsage(ctx, st.slaKey(slaResolve)).Val()/n,
		c.MemoryUsage(ctx, st.outboxKey(OutboxTicketChanges)).Val()/n)
	if perOpen > 2048 {
		t.Errorf("an open ticket costs %.0f bytes of Redis memory, more than 2 KB", perOpen)
	}

	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if _, _, err := st.Transition(ctx, res[i].Ticket.ID, Transition{Action: orderbot.ActClaim, Actor: "U0123ABCD"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	claimed := usedMemory(t, srv)
	perClaimed := float64(claimed-before) / n
	t.Logf("claimed ticket (one audit entry, owner index, second outbox entry): %.0f bytes each; audit list of %s: %d bytes",
		perClaimed, id, c.MemoryUsage(ctx, st.auditKey(id)).Val())
	if perClaimed > 2048 {
		t.Errorf("a claimed ticket costs %.0f bytes of Redis memory, more than 2 KB", perClaimed)
	}
}

// rollupUpserts are benchUpserts with what detection gives a real finding for
// the rollups to count: a SKU from a catalogue of 500, one of 6 couriers, 3
// payment channels, 31 regions and the order total at risk.
func rollupUpserts(n, offset int, now time.Time) []Upsert {
	ups := benchUpserts(n, offset, now)
	couriers := []string{"sf", "yuantong", "zto", "ups", "dhl", "fedex"}
	channels := []string{"stripe", "alipay", "cod"}
	for i := range ups {
		k := offset + i
		a := &ups[i].Anomaly
		a.Dims = orderbot.Dims{SKU: fmt.Sprintf("SKU-%03d", k*7919%500), Courier: couriers[k%6], Channel: channels[k%3],
			Region: fmt.Sprintf("CN-%02d", k%31)}
		a.AtRisk = orderbot.Money{Minor: int64(1000 + k%50000), Currency: "CNY"}
	}
	return ups
}

// BenchmarkRollupOverhead measures the Redis CPU the analytics rollups add to a
// ticket upsert: the same upserts (with SKU, courier, channel, region and money
// at risk) against a store with the rollups on and one with them off, for new
// tickets and for recurrences, folding the rollup stream after every call. The
// figure that matters is the difference of redis-cpu-µs/upsert between "on"
// and "off" (Redis INFO cpu, user + sys, read around each call).
//
//	go test ./store -run '^$' -bench BenchmarkRollupOverhead -benchtime 5x -count 3
func BenchmarkRollupOverhead(b *testing.B) {
	const perOp = 10_000
	for _, mode := range []string{"open", "recur"} {
		for _, on := range []bool{true, false} {
			name := mode + "/off"
			if on {
				name = mode + "/on"
			}
			b.Run(name, func(b *testing.B) {
				srv := redistest.Start(b)
				clock := newClock()
				st := newStoreOn(b, srv, Options{Now: clock.Now})
				st.rollupsOff = !on
				ctx := context.Background()
				fixed := rollupUpserts(perOp, 0, clock.Now())
				if mode == "recur" {
					if _, err := st.UpsertTickets(ctx, fixed); err != nil {
						b.Fatal(err)
					}
				}
				var cpu time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ups := fixed
					if mode == "open" {
						b.StopTimer()
						ups = rollupUpserts(perOp, (i+1)*perOp, clock.Now())
						b.StartTimer()
					}
					cpu0 := redisCPU(b, srv)
					if _, err := st.UpsertTickets(ctx, ups); err != nil {
						b.Fatal(err)
					}
					// Folding the opens into the hour hashes and day lists is
					// part of the rollups' cost: counted here after every
					// 10,000 upserts (production folds less often, so each fold
					// sums more batches).
					if err := st.FoldRollups(ctx); err != nil {
						b.Fatal(err)
					}
					cpu += redisCPU(b, srv) - cpu0
				}
				b.ReportMetric(cpu.Seconds()*1e6/float64(b.N*perOp), "redis-cpu-µs/upsert")
			})
		}
	}
}
