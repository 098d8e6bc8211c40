package jobs

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/internal/fakes/memory"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/orderbot/orderbot/tickets"
)

// BenchmarkPollCycleShopify is product.md §12's poll-cycle bar: 100,000 changed
// orders, about 1 % anomalous, paged from the local Shopify fake through the
// real adapter, cached in Redis, joined with the payments a Stripe poll already
// stored, detected, and folded into tickets in a real redis-server, cursor
// committed. One op is one whole cycle; Redis is emptied between ops so every
// op opens its tickets afresh. Allocations per order are reported for the whole
// process (adapter, poller, store client and the in-process fake).
//
//	go test ./jobs -run '^$' -bench PollCycleShopify -benchtime 2x
func BenchmarkPollCycleShopify(b *testing.B) { benchPollCycle(b, 100_000, false) }

// BenchmarkPollCycleShopifyERP is the same cycle with an ERP mirroring every
// order (an ERPNext source beside the shop, its Sales Orders polled before
// the timer like the payments): each order is joined with its ERP record and
// the sync kinds run.
//
//	go test ./jobs -run '^$' -bench PollCycleShopifyERP -benchtime 2x
func BenchmarkPollCycleShopifyERP(b *testing.B) { benchPollCycle(b, 100_000, true) }

// BenchmarkPollCycleScaling is the same cycle at 10,000, 100,000 and 300,000
// orders: the cost per order (cpu-µs/order, Go and Redis together) should not
// depend on the size of the cycle.
//
//	go test ./jobs -run '^$' -bench PollCycleScaling -benchtime 1x
func BenchmarkPollCycleScaling(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 300_000} {
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) { benchPollCycle(b, n, false) })
	}
}

// erpList is an ERP order source serving records from memory.
type erpList struct{ recs []orderbot.ErpOrder }

func (e *erpList) Name() string { return "erpnext" }

func (e *erpList) ListERPOrders(ctx context.Context, w orderbot.Window, page func([]orderbot.ErpOrder) error) error {
	for lo := 0; lo < len(e.recs); lo += 1000 {
		if err := page(e.recs[lo:min(lo+1000, len(e.recs))]); err != nil {
			return err
		}
	}
	return nil
}

func benchPollCycle(b *testing.B, n int, withERP bool) {
	now := time.Now().UTC().Truncate(time.Second)
	ds := simulate.New(42, simulate.Options{AnomalyRate: 0.01}).Generate(n, now)
	fake := shopifyfake.New(shopifyfake.Options{})
	defer fake.Close()
	if err := fake.AddOrders(ds.Orders...); err != nil {
		b.Fatal(err)
	}
	shop, err := shopify.New(shopify.Options{Settings: httpclient.Settings{Name: "shopify", APIURL: fake.URL()}, AccessToken: fake.AccessToken()})
	if err != nil {
		b.Fatal(err)
	}
	stripe := memory.New("stripe", "")
	stripe.PageSize = 1000
	stripe.PutPayments(ds.Payments...)

	srv := redistest.Start(b)
	rdb := srv.Client(b)
	clock := func() time.Time { return now.Add(time.Second) } // windows are half-open: [from, now)
	st, err := store.New(context.Background(), rdb, store.Options{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	settings := orderbot.DefaultKindSettings()
	p := &Poller{
		Store: st, Detector: detect.New(settings, detect.Options{}),
		Engine: tickets.New(st, tickets.Options{Settings: settings, Now: clock}),
		Sources: []Source{{Name: "shopify", Orders: shop, InitialLookback: 60 * 24 * time.Hour},
			{Name: "stripe", Payments: stripe, InitialLookback: 60 * 24 * time.Hour}},
		Now: clock,
	}
	if withERP {
		erp := &erpList{recs: make([]orderbot.ErpOrder, len(ds.Orders))}
		for i, o := range ds.Orders {
			erp.recs[i] = orderbot.ErpOrder{ID: "SAL-ORD-" + o.ID, Source: "erpnext",
				Link:   orderbot.OrderRef{Shop: "shopify", Holds: orderbot.LinkID, Value: o.ID},
				Status: o.Status, Financial: o.Financial, Fulfillment: o.Fulfillment, Total: o.Total, Lines: o.Lines,
				CreatedAt: o.CreatedAt, Modified: o.UpdatedAt}
		}
		p.Sources = append(p.Sources, Source{Name: "erpnext", ERPOrders: erp, InitialLookback: 60 * 24 * time.Hour,
			Links: []orderbot.OrderLink{{Shop: "shopify", Field: "custom_shopify_order_id", Holds: orderbot.LinkID}}})
	}
	ctx := context.Background()
	var opened int
	var mallocs, bytes uint64 // during the timed polls
	var before, after runtime.MemStats
	var goCPU, redisCPU time.Duration // during the timed polls
	var cmds int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		if st, err = store.New(ctx, rdb, store.Options{Now: clock}); err != nil { // reload scripts after FLUSHALL
			b.Fatal(err)
		}
		p.Store, p.Engine = st, tickets.New(st, tickets.Options{Settings: settings, Now: clock})
		if _, err := p.Poll(ctx, "stripe"); err != nil {
			b.Fatal(err)
		}
		if withERP {
			if _, err := p.Poll(ctx, "erpnext"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.ReadMemStats(&before)
		r0, c0 := redisUsage(b, rdb)
		g0 := processCPU(b)
		b.StartTimer()
		rep, err := p.Poll(ctx, "shopify")
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		goCPU += processCPU(b) - g0

		r1, c1 := redisUsage(b, rdb)
		redisCPU += r1 - r0
		cmds += c1 - c0
		runtime.ReadMemStats(&after)
		mallocs += after.Mallocs - before.Mallocs
		bytes += after.TotalAlloc - before.TotalAlloc
		if rep.Fetched["orders"] != n {
			b.Fatalf("fetched %d orders, want %d", rep.Fetched["orders"], n)
		}
		opened = 0
		for _, c := range rep.Changes {
			if c.Change == store.ChangeOpened {
				opened++
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/cycle")
	b.ReportMetric(float64(opened), "tickets/cycle")
	// Allocations of the whole process during the timed polls: the adapter,
	// the poller and store, and the in-process fake serving the pages.
	b.ReportMetric(float64(mallocs)/float64(n*b.N), "allocs/order")
	b.ReportMetric(float64(bytes)/float64(n*b.N), "B/order")
	// CPU time does not depend on what else the machine runs: the bar is 4
	// CPU-seconds per cycle, Go (the whole test process: adapter, poller,
	// store client, the in-process fake) and Redis together.
	b.ReportMetric(goCPU.Seconds()/float64(b.N), "go-cpu-s/cycle")
	b.ReportMetric(redisCPU.Seconds()/float64(b.N), "redis-cpu-s/cycle")
	b.ReportMetric((goCPU+redisCPU).Seconds()/float64(b.N), "cpu-s/cycle")
	b.ReportMetric(float64(cmds)/float64(b.N), "redis-cmds/cycle")
	b.ReportMetric((goCPU+redisCPU).Seconds()*1e6/float64(n*b.N), "cpu-µs/order")
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisUsage is the CPU time the Redis server has used (INFO cpu) and the
// commands it has processed (INFO stats, the INFO calls included).
func redisUsage(tb testing.TB, rdb redis.UniversalClient) (time.Duration, int64) {
	tb.Helper()
	info, err := rdb.Info(context.Background(), "cpu", "stats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var cpu float64
	var cmds int64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "used_cpu_sys", "used_cpu_user":
			f, _ := strconv.ParseFloat(v, 64)
			cpu += f
		case "total_commands_processed":
			cmds, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return time.Duration(cpu * float64(time.Second)), cmds
}
