package jobs

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// An order on the watch list whose records have expired from the cache (here
// at once: a retention of a nanosecond) leaves the watch list the next time
// it is due, rather than being asked for on every cycle for ever.
func TestWatchListDropsExpiredOrders(t *testing.T) {
	r := newRigWith(t, store.Options{InFlightRetention: time.Nanosecond, FinishedRetention: time.Nanosecond})
	ctx := context.Background()
	r.shop.PutOrders(r.order("4004", func(o *orderbot.Order) {
		o.Financial, o.PaidAt = orderbot.FinancialPaid, r.clk.Now().Add(-time.Hour)
	}))
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if n, err := r.st.WatchLen(ctx); err != nil || n != 1 {
		t.Fatalf("watch list holds %d orders (%v), want the in-flight one", n, err)
	}
	r.clk.Add(3 * 24 * time.Hour)
	if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	if n, err := r.st.WatchLen(ctx); err != nil || n != 0 {
		t.Fatalf("watch list holds %d orders (%v) whose records expired", n, err)
	}
}

// The per-record memory gauge reads the store's sample.
func TestRecordMemoryCollector(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var orders []orderbot.Order
	for i := 0; i < 50; i++ {
		orders = append(orders, r.order(strconv.Itoa(5000+i), nil))
	}
	r.shop.PutOrders(orders...)
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	c := NewRecordMemoryCollector(r.st)
	m, err := r.st.RecordMemory(ctx)
	if err != nil || m.Orders <= 0 || m.Watch <= 0 {
		t.Fatalf("RecordMemory = %+v, %v", m, err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	if len(mfs) != 1 || len(mfs[0].GetMetric()) != 6 {
		t.Fatalf("gathered %v, want one family of 6 series", mfs)
	}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			if s.GetLabel()[0].GetValue() == "order" {
				found = true
				if v := s.GetGauge().GetValue(); v <= 0 || v > 1024 {
					t.Fatalf("order gauge %v", v)
				}
			}
		}
	}
	if !found {
		t.Fatal("no order series")
	}
}
