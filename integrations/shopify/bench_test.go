package shopify

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
)

var benchStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// benchOrders makes n realistic orders: two lines, a customer and address,
// every third one shipped with a tracking number, updated across one day.
func benchOrders(n int) []orderbot.Order {
	out := make([]orderbot.Order, n)
	for i := range out {
		created := benchStart.Add(time.Duration(i) * 800 * time.Millisecond).Truncate(time.Second)
		o := orderbot.Order{
			ID: strconv.Itoa(6_000_000_000_000 + i), Name: "#" + strconv.Itoa(10000+i),
			Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPaid, Fulfillment: orderbot.FulfillmentUnfulfilled,
			Total: orderbot.Money{Minor: 25900, Currency: "CNY"}, PaymentMethod: orderbot.PayWallet,
			Customer: orderbot.Customer{Name: "Li Lei", Phone: "+8613800000000", Email: "li@example.com", Locale: "zh-CN"},
			ShippingAddress: orderbot.Address{Name: "Li Lei", Line1: "88 Nanjing Rd", City: "Shanghai", Province: "Shanghai",
				PostalCode: "200001", Country: "CN", Phone: "+8613800000000"},
			RequiresShipping: true,
			Lines: []orderbot.LineItem{
				{SKU: "SKU-" + strconv.Itoa(i%500), Title: "Tea", Quantity: 2, Price: orderbot.Money{Minor: 9950, Currency: "CNY"}},
				{SKU: "SKU-" + strconv.Itoa(i%700+500), Title: "Cup", Quantity: 1, Price: orderbot.Money{Minor: 6000, Currency: "CNY"}},
			},
			CreatedAt: created, UpdatedAt: created.Add(time.Minute), PaidAt: created.Add(30 * time.Second),
		}
		if i%3 == 0 {
			o.Fulfillment = orderbot.FulfillmentFulfilled
			o.Lines[0].Fulfilled, o.Lines[1].Fulfilled = 2, 1
			o.ShippedAt = created.Add(2 * time.Hour)
			o.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "YT" + strconv.Itoa(1e9+i), Carrier: "yuantong", ShippedAt: o.ShippedAt}}
			o.UpdatedAt = o.ShippedAt
		}
		out[i] = o
	}
	return out
}

// BenchmarkShopifyListOrders pages 100,000 orders from shopifyfake through the
// adapter at 250 a page. The fake runs in the same process, so allocs and
// time include its rendering; BenchmarkShopifyMapPage isolates the adapter.
func BenchmarkShopifyListOrders(b *testing.B) {
	const n = 100_000
	f := shopifyfake.New(shopifyfake.Options{})
	defer f.Close()
	if err := f.AddOrders(benchOrders(n)...); err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{Settings: httpclient.Settings{APIURL: f.URL(), Logger: slog.New(slog.DiscardHandler)}, AccessToken: f.AccessToken()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := orderbot.Window{From: benchStart, To: benchStart.Add(48 * time.Hour)}
	list := func() int {
		got := 0
		err := c.ListOrders(context.Background(), w, func(os []orderbot.Order) error { got += len(os); return nil })
		if err != nil {
			b.Fatal(err)
		}
		return got
	}
	list() // warm the fake's index and the connection

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	total := 0
	for b.Loop() {
		total += list()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	if total != n*b.N {
		b.Fatalf("listed %d orders, want %d", total, n*b.N)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(total), "allocs/order")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(total), "B/order")
	// CPU time (adapter, fake and GC together) is steadier than wall time on
	// a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/order")
}

// BenchmarkShopifyMapPage decodes and maps one 250-order page body, the
// adapter's own share of a listing.
func BenchmarkShopifyMapPage(b *testing.B) {
	f := shopifyfake.New(shopifyfake.Options{})
	defer f.Close()
	if err := f.AddOrders(benchOrders(250)...); err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.URL()+"/admin/api/"+DefaultAPIVersion+"/orders.json?status=any&limit=250&fields="+orderFields, nil)
	req.Header.Set("X-Shopify-Access-Token", f.AccessToken())
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	c, err := New(Options{Settings: httpclient.Settings{APIURL: f.URL(), Logger: slog.New(slog.DiscardHandler)}, AccessToken: f.AccessToken()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	mapped := 0
	cpu0 := cpuTime()
	for b.Loop() {
		var p ordersPage
		if err := decodeOrders("bench", body, &p); err != nil {
			b.Fatal(err)
		}
		for i := range p.Orders {
			if _, err := c.order("bench", "orders", &p.Orders[i]); err != nil {
				b.Fatal(err)
			}
			mapped++
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(mapped), "cpu-µs/order")
	b.ReportMetric(float64(mapped)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(len(body))/250, "bytes/order")
}
