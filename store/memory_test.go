package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// eachNode runs fn on the Redis of st, or on every master of a cluster.
func eachNode(t testing.TB, st *Store, fn func(c *redis.Client) error) {
	t.Helper()
	var err error
	switch c := st.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(context.Background(), func(_ context.Context, n *redis.Client) error { return fn(n) })
	case *redis.Client:
		err = fn(c)
	default:
		t.Fatalf("unexpected client %T", c)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// allKeys lists the keys matching pattern on every node.
func allKeys(t testing.TB, st *Store, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	eachNode(t, st, func(c *redis.Client) error {
		ks, err := c.Keys(context.Background(), pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	})
	return out
}

// expireAsOf deletes every key whose expiry (PEXPIRETIME) has come by t on
// st's clock, as Redis itself would once its own clock reached it. Record
// expiries are st's clock turned into Redis's (Store.skew), so a test that
// moves st's clock by days in a second can drive Redis expiry exactly.
func expireAsOf(t testing.TB, st *Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	limit := at.Add(st.skew).UnixMilli()
	eachNode(t, st, func(c *redis.Client) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "", 5000).Result()
			if err != nil {
				return err
			}
			pipe := c.Pipeline()
			cmds := make([]*redis.DurationCmd, len(keys))
			for i, k := range keys {
				cmds[i] = pipe.PExpireTime(ctx, k)
			}
			if len(keys) > 0 {
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
			}
			del := c.Pipeline()
			for i, cmd := range cmds {
				if ms := cmd.Val().Milliseconds(); ms > 0 && ms <= limit {
					del.Del(ctx, keys[i])
				}
			}
			if _, err := del.Exec(ctx); err != nil {
				return err
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	})
}

// cacheAsCycle caches orders, payments and parcels the way a poll cycle does
// (records, contact index, watch list).
func cacheAsCycle(t testing.TB, st *Store, now time.Time, orders []orderbot.Order, pays []orderbot.Payment, parcels []orderbot.Shipment) {
	t.Helper()
	ctx := context.Background()
	if err := st.SavePayments(ctx, pays); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveShipments(ctx, parcels); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if err := st.IndexContacts(ctx, orders); err != nil {
		t.Fatal(err)
	}
	checks := make([]Check, len(orders))
	for i := range orders {
		checks[i].OrderID = orders[i].ID
		if orders[i].InFlight() {
			checks[i].At = now.Add(24 * time.Hour)
		}
	}
	if err := st.WatchChecks(ctx, checks); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryPerCachedOrder caches 50,000 simulated orders the way a poll
// cycle does and measures Redis's used_memory growth per order: the record,
// its payments, contact index entries, demand contribution and watch list
// entry, then its parcels. Issue 15 allows 1 KB per order, 1.5 KB with
// parcels.
//
//	go test ./store -run TestMemoryPerCachedOrder -v
func TestMemoryPerCachedOrder(t *testing.T) {
	const n = 50_000
	srv := redistest.Start(t)
	clock := newClock()
	st := newStoreOn(t, srv, Options{Now: clock.Now})
	ctx := context.Background()
	ds := simulate.New(42, simulate.Options{AnomalyRate: 0.01}).Generate(n, clock.Now())
	m0 := usedMemory(t, srv)
	cacheAsCycle(t, st, clock.Now(), ds.Orders, ds.Payments, nil)
	m1 := usedMemory(t, srv)
	if err := st.SaveShipments(ctx, ds.Shipments); err != nil {
		t.Fatal(err)
	}
	m2 := usedMemory(t, srv)
	perOrder, withParcels := float64(m1-m0)/n, float64(m2-m0)/n
	t.Logf("%d orders, %d payments, %d parcels: %.0f bytes per order, %.0f with its parcels (%.0f per parcel)",
		n, len(ds.Payments), len(ds.Shipments), perOrder, withParcels, float64(m2-m1)/float64(len(ds.Shipments)))
	if perOrder > 1024 {
		t.Errorf("a cached order costs %.0f bytes of Redis memory, more than 1 KB", perOrder)
	}
	if withParcels > 1536 {
		t.Errorf("a cached order with its parcels costs %.0f bytes of Redis memory, more than 1.5 KB", withParcels)
	}
	got, err := st.RecordMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sampled per record: %+v", got)
	if got.Orders <= 0 || got.Orders > 1024 || got.Payments <= 0 || got.Parcels <= 0 || got.Contacts <= 0 || got.Watch <= 0 || got.Demand <= 0 {
		t.Errorf("sampled memory per record %+v", got)
	}
}

// TestMemoryLevelsOff runs 30 simulated days of a steady 1,000 orders a day:
// each order is paid the day it is placed, ships two days later and is
// delivered and completed two days after that, while one in twenty is never
// touched again. Redis expiry is driven by the test's clock (expireAsOf), so
// the month takes seconds. With a 10-day in-flight and a 3-day finished
// window, every record has gone within ten days of its last change, so Redis
// memory must level off: the last ten days may grow by no more than 5 %, and
// the demand of the abandoned orders must be given back.
func TestMemoryLevelsOff(t *testing.T) {
	const perDay, days = 1000, 30
	srv := redistest.Start(t)
	clock := newClock()
	st := newStoreOn(t, srv, Options{Now: clock.Now, InFlightRetention: 10 * 24 * time.Hour, FinishedRetention: 3 * 24 * time.Hour})
	ctx := context.Background()
	gen := simulate.New(3, simulate.Options{})
	placed := map[int][]orderbot.Order{} // by day
	var mem []int64
	for day := 0; day < days; day++ {
		now := clock.Advance(24 * time.Hour)
		expireAsOf(t, st, now)
		ds := gen.Generate(perDay, now)
		var orders []orderbot.Order
		var pays []orderbot.Payment
		var parcels []orderbot.Shipment
		for i := range ds.Orders {
			o := ds.Orders[i]
			o.ID = fmt.Sprintf("%d-%d", day, i)
			o.Status, o.Financial, o.Fulfillment = orderbot.OrderProcessing, orderbot.FinancialPaid, orderbot.FulfillmentUnfulfilled
			o.CancelledAt, o.ShippedAt, o.Shipments = time.Time{}, time.Time{}, nil
			o.UpdatedAt = now
			for j := range o.Lines {
				o.Lines[j].Fulfilled = 0
			}
			orders = append(orders, o)
			pays = append(pays, orderbot.Payment{ID: "pi_" + o.ID, Provider: "stripe", OrderID: o.ID, Amount: o.Total,
				Status: orderbot.PaymentSucceeded, CreatedAt: now})
			placed[day] = append(placed[day], o)
		}
		for i, o := range placed[day-2] {
			if i%20 == 0 {
				continue // abandoned: never changes again
			}
			o.Fulfillment, o.ShippedAt, o.UpdatedAt = orderbot.FulfillmentFulfilled, now, now
			for j := range o.Lines {
				o.Lines[j].Fulfilled = o.Lines[j].Quantity
			}
			tn := "TN" + o.ID
			o.Shipments = []orderbot.ShipmentRef{{TrackingNumber: tn, Carrier: "ups", ShippedAt: now}}
			placed[day-2][i] = o
			orders = append(orders, o)
			parcels = append(parcels, orderbot.Shipment{TrackingNumber: tn, Carrier: "ups", OrderID: o.ID, Status: orderbot.ShipInTransit,
				LastEventAt: now, Source: "aftership", Checkpoints: []orderbot.Checkpoint{{Time: now, Message: "Picked up", Status: orderbot.ShipPickedUp}}})
		}
		for i, o := range placed[day-4] {
			if i%20 == 0 {
				continue
			}
			o.Status, o.UpdatedAt = orderbot.OrderCompleted, now
			orders = append(orders, o)
			parcels = append(parcels, orderbot.Shipment{TrackingNumber: "TN" + o.ID, Carrier: "ups", OrderID: o.ID, Status: orderbot.ShipDelivered,
				LastEventAt: now, DeliveredAt: now, Source: "aftership"})
		}
		delete(placed, day-4)
		cacheAsCycle(t, st, now, orders, pays, parcels)
		// The watch list: due orders whose records expired leave it, as the
		// poll cycle does (jobs.Poller.snapshot).
		due, err := st.DueWatch(ctx, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		cached, err := st.OrdersOf(ctx, due)
		if err != nil {
			t.Fatal(err)
		}
		var checks []Check
		for i, id := range due {
			c := Check{OrderID: id}
			if cached[i].ID != "" {
				c.At = now.Add(24 * time.Hour)
			}
			checks = append(checks, c)
		}
		if err := st.WatchChecks(ctx, checks); err != nil {
			t.Fatal(err)
		}
		mem = append(mem, usedMemory(t, srv))
	}
	for d := 0; d < days; d += 5 {
		t.Logf("day %2d: used_memory %6.1f MB", d+1, float64(mem[d])/1e6)
	}
	t.Logf("day %2d: used_memory %6.1f MB", days, float64(mem[days-1])/1e6)
	if grow := float64(mem[days-1]) / float64(mem[days-11]); grow > 1.05 {
		t.Errorf("used memory still grows: %.1f MB on day %d, %.1f MB on day %d", float64(mem[days-11])/1e6, days-10, float64(mem[days-1])/1e6, days)
	}
	// No record outlives its window: what is cached is what the last ten
	// days could have left (orders of the last four days in flight, three
	// days of finished ones, ten days of abandoned ones).
	n := allKeys(t, st, st.orderKey("*"))
	if want := 4*perDay + 3*perDay*19/20 + 10*perDay/20; len(n) > want+perDay/10 {
		t.Errorf("%d orders cached, want about %d", len(n), want)
	}
	if w, _ := st.WatchLen(ctx); w > int64(4*perDay+10*perDay/20+perDay/10) {
		t.Errorf("watch list holds %d orders", w)
	}
	// The contact index sweeps the contacts of expired orders too (each
	// simulated customer has a phone and an email).
	var entries int64
	for k := 0; k < contactShards; k++ {
		entries += st.rdb.HLen(ctx, st.contactKeys(k)[0]).Val()
	}
	if entries > int64(2*len(n)+perDay/5) {
		t.Errorf("contact index holds %d contacts for %d cached orders", entries, len(n))
	}
	// Demand is exactly that of the cached in-flight orders: the abandoned
	// orders whose records expired gave theirs back. Contributions expire on
	// the hour after their record, and the sweep gives them back as it passes:
	// an hour later, and once it has passed over everything, nothing expired
	// may be left.
	expireAsOf(t, st, clock.Advance(time.Hour))
	for i := 0; i < 1000; i++ {
		if err := st.SaveOrders(ctx, []orderbot.Order{{ID: "sweep" + strconv.Itoa(i), Status: orderbot.OrderCompleted}}); err != nil {
			t.Fatal(err)
		}
	}
	n = allKeys(t, st, st.orderKey("*"))
	want := map[string]int64{}
	for _, id := range n {
		os, err := st.OrdersOf(ctx, []string{id[len(st.orderKey("")):]})
		if err != nil {
			t.Fatal(err)
		}
		if o := os[0]; o.InFlight() {
			for _, l := range o.Lines {
				if l.Open() > 0 && l.SKU != "" {
					want[l.SKU] += l.Open()
				}
			}
		}
	}
	got, err := st.Demand(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("demand %v\nwant %v", got, want)
	}
}
