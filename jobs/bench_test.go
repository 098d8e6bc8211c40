package jobs

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/integrations/memory"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/shopify/shopifyfake"
	"github.com/orderbot/orderbot/simulate"
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
func BenchmarkPollCycleShopify(b *testing.B) {
	const n = 100_000
	now := time.Now().UTC().Truncate(time.Second)
	ds := simulate.New(42, simulate.Options{AnomalyRate: 0.01}).Generate(n, now)
	fake := shopifyfake.New(shopifyfake.Options{})
	defer fake.Close()
	if err := fake.AddOrders(ds.Orders...); err != nil {
		b.Fatal(err)
	}
	shop, err := shopify.New(shopify.Options{Name: "shopify", APIURL: fake.URL(), AccessToken: fake.AccessToken()})
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
	ctx := context.Background()
	var opened int
	var mallocs, bytes uint64 // during the timed polls
	var before, after runtime.MemStats
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
		runtime.ReadMemStats(&before)
		b.StartTimer()
		rep, err := p.Poll(ctx, "shopify")
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
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
}
