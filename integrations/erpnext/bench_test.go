package erpnext_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// BenchmarkListOrders measures a full listing of 2,000 Sales Orders from the
// fake (one list request per 100 orders plus one document read per order).
func BenchmarkListOrders(b *testing.B) {
	srv := newFake(b)
	for i := range 2000 {
		o := order(i)
		o.ID = fmt.Sprintf("SAL-ORD-%06d", i)
		addOrders(b, srv, o)
	}
	c, err := erpnext.New(erpnext.Options{Settings: httpclient.Settings{APIURL: srv.URL()}, APIKey: srv.APIKey(), APISecret: srv.APISecret(), PageSize: 100, Concurrency: 8, TimeZone: "Asia/Shanghai"})
	if err != nil {
		b.Fatal(err)
	}
	w := orderbot.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := c.ListOrders(context.Background(), w, func(p []orderbot.Order) error { n += len(p); return nil }); err != nil || n != 2000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkListStock measures a full listing of 20,000 Bins from the fake
// (keyset pages of 500 rows: one request per page, no per-row reads).
func BenchmarkListStock(b *testing.B) {
	srv := newFake(b)
	levels := make([]orderbot.StockLevel, 20000)
	for i := range levels {
		levels[i] = orderbot.StockLevel{SKU: fmt.Sprintf("SKU-%05d", i), Location: "Stores - OB", Available: int64(i),
			UpdatedAt: t0.Add(time.Duration(i) * time.Second)}
	}
	setStock(b, srv, levels...)
	c, err := erpnext.New(erpnext.Options{Settings: httpclient.Settings{APIURL: srv.URL()}, APIKey: srv.APIKey(), APISecret: srv.APISecret(), PageSize: 500, TimeZone: "Asia/Shanghai"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := c.ListStock(context.Background(), time.Time{}, func(p []orderbot.StockLevel) error { n += len(p); return nil }); err != nil || n != len(levels) {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(len(levels)*b.N)/b.Elapsed().Seconds(), "levels/s")
}
