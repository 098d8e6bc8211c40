package erpnext_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

var (
	shanghai = mustZone("Asia/Shanghai")
	t0       = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func newFake(t testing.TB) *erpnextfake.Server {
	t.Helper()
	srv := erpnextfake.New(erpnextfake.Options{APIKey: "key-123", APISecret: "sec-456", Location: shanghai})
	t.Cleanup(srv.Close)
	return srv
}

// addOrders stores orders in the fake, failing the test on a refused one.
func addOrders(t testing.TB, srv *erpnextfake.Server, orders ...orderbot.Order) {
	t.Helper()
	if err := srv.AddOrders(orders...); err != nil {
		t.Fatal(err)
	}
}

// setStock stores stock levels in the fake, failing the test on a refused one.
func setStock(t testing.TB, srv *erpnextfake.Server, levels ...orderbot.StockLevel) {
	t.Helper()
	if err := srv.SetStock(levels...); err != nil {
		t.Fatal(err)
	}
}

func newClient(t *testing.T, srv *erpnextfake.Server, edit func(*erpnext.Options)) (*erpnext.Client, *conformance.Sleeper) {
	t.Helper()
	sl := &conformance.Sleeper{}
	opts := erpnext.Options{
		Settings: httpclient.Settings{Name: "erp", APIURL: srv.URL(), Timeout: conformance.GenerousTimeout, HTTPOptions: func(o *httpclient.Options) { o.Sleep = sl.Sleep }},

		APIKey: srv.APIKey(), APISecret: srv.APISecret(),
		TimeZone: "Asia/Shanghai", PageSize: 10,
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := erpnext.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

// order builds a processing order updated at t0+i seconds.
func order(i int) orderbot.Order {
	id := fmt.Sprintf("SAL-ORD-2024-%05d", i)
	return orderbot.Order{
		ID: id, Name: id, Source: "erp",
		Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPending, Fulfillment: orderbot.FulfillmentUnfulfilled,
		Total:            orderbot.Money{Minor: int64(1000 + i), Currency: "CNY"},
		RequiresShipping: true,
		Lines:            []orderbot.LineItem{{SKU: "SKU-1", Title: "Widget", Quantity: 1, Price: orderbot.Money{Minor: int64(1000 + i), Currency: "CNY"}}},
		CreatedAt:        t0.Add(-time.Hour).In(shanghai),
		UpdatedAt:        t0.Add(time.Duration(i) * time.Second).In(shanghai),
	}
}

func collect(t *testing.T, c *erpnext.Client, w orderbot.Window) ([]orderbot.Order, int) {
	t.Helper()
	return conformance.Collect(t, func(ctx context.Context, page func([]orderbot.Order) error) error {
		return c.ListOrders(ctx, w, page)
	})
}

func ids(orders []orderbot.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}

func listRequests(srv *erpnextfake.Server, doctype string) []providerfake.Request {
	var out []providerfake.Request
	for _, r := range srv.Requests() {
		if r.Path == "/api/resource/"+doctype {
			out = append(out, r)
		}
	}
	return out
}

func TestAuthHeaderExact(t *testing.T) {
	srv := newFake(t)
	addOrders(t, srv, order(1))
	c, _ := newClient(t, srv, nil)
	if _, err := c.GetOrder(context.Background(), order(1).ID); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if got := reqs[0].Header.Get("Authorization"); got != "token key-123:sec-456" {
		t.Errorf("Authorization = %q", got)
	}
	if reqs[0].Path != "/api/resource/Sales Order/"+order(1).ID {
		t.Errorf("path = %q", reqs[0].Path)
	}

	for _, edit := range []func(*erpnext.Options){
		func(o *erpnext.Options) { o.APISecret = "wrong" },
		func(o *erpnext.Options) { o.APIKey = "key-12" },
	} {
		bad, _ := newClient(t, srv, edit)
		_, err := bad.GetOrder(context.Background(), order(1).ID)
		if !orderbot.IsKind(err, orderbot.KindUnauthorized) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
		for _, secret := range []string{"sec-456", "wrong"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
		if !strings.Contains(err.Error(), "AuthenticationError") || !strings.Contains(err.Error(), "401") {
			t.Errorf("error does not carry Frappe's envelope: %v", err)
		}
	}
}

func TestListOrdersSeveralPages(t *testing.T) {
	srv := newFake(t)
	var want []string
	for i := 1; i <= 25; i++ {
		addOrders(t, srv, order(i))
		want = append(want, order(i).ID)
	}
	addOrders(t, srv, order(40)) // outside the window
	c, _ := newClient(t, srv, nil)
	got, pages := collect(t, c, orderbot.Window{From: t0, To: t0.Add(30 * time.Second)})
	if !slices.Equal(ids(got), want) {
		t.Fatalf("ids = %v\nwant %v", ids(got), want)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
	lists := listRequests(srv, "Sales Order")
	if len(lists) != 3 {
		t.Fatalf("%d list requests, want 3", len(lists))
	}
	q := lists[0].Query
	if q.Get("order_by") != "modified asc, name asc" || q.Get("limit_page_length") != "10" || q.Get("limit_start") != "0" {
		t.Errorf("first list query = %v", q)
	}
	// Frappe datetimes in the site zone: t0 is 18:00 in Shanghai.
	if f := q.Get("filters"); f != `[["modified",">=","2024-05-01 18:00:00.000000"],["modified","<","2024-05-01 18:00:30.000000"]]` {
		t.Errorf("filters = %s", f)
	}
	if f := lists[1].Query.Get("filters"); !strings.Contains(f, `["modified",">=","2024-05-01 18:00:10"]`) {
		t.Errorf("second page does not continue from the last modified: %s", f)
	}
	if got[0].Lines[0].SKU != "SKU-1" {
		t.Errorf("items not read: %+v", got[0].Lines)
	}
}

func TestListOrdersEmpty(t *testing.T) {
	srv := newFake(t)
	c, _ := newClient(t, srv, nil)
	got, pages := collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Hour)})
	if len(got) != 0 || pages != 0 {
		t.Fatalf("got %d orders in %d pages", len(got), pages)
	}
	if n := srv.RequestCount(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	// Exactly a multiple of the page size: the last request returns an empty page.
	for i := 1; i <= 20; i++ {
		addOrders(t, srv, order(i))
	}
	srv.ResetRequests()
	got, pages = collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Hour)})
	if len(got) != 20 || pages != 2 || len(listRequests(srv, "Sales Order")) != 3 {
		t.Fatalf("got %d orders, %d pages, %d list requests", len(got), pages, len(listRequests(srv, "Sales Order")))
	}
	// An empty or inverted window asks nothing.
	srv.ResetRequests()
	if got, _ := collect(t, c, orderbot.Window{From: t0, To: t0}); len(got) != 0 || srv.RequestCount() != 0 {
		t.Fatalf("empty window: %d orders, %d requests", len(got), srv.RequestCount())
	}
}

func TestListOrdersRecordUpdatedWhilePaging(t *testing.T) {
	srv := newFake(t)
	for i := 1; i <= 25; i++ {
		addOrders(t, srv, order(i))
	}
	c, _ := newClient(t, srv, nil)
	w := orderbot.Window{From: t0, To: t0.Add(time.Minute)}
	var got []orderbot.Order
	first := true
	err := c.ListOrders(context.Background(), w, func(p []orderbot.Order) error {
		got = append(got, p...)
		if first {
			first = false
			// Order 2 (read) changes inside the window: it moves to the end and
			// is delivered again, newer. Order 3 (read) changes after the window
			// end: it leaves the listing, which with offset paging would shift
			// every later row back by one and skip order 11.
			o2 := order(2)
			o2.Status, o2.UpdatedAt = orderbot.OrderOnHold, t0.Add(50*time.Second)
			o3 := order(3)
			o3.UpdatedAt = t0.Add(2 * time.Minute)
			addOrders(t, srv, o2, o3)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, o := range got {
		seen[o.ID]++
	}
	for i := 1; i <= 25; i++ {
		if seen[order(i).ID] == 0 {
			t.Errorf("%s skipped", order(i).ID)
		}
	}
	if seen[order(2).ID] != 2 || got[len(got)-1].ID != order(2).ID || got[len(got)-1].Status != orderbot.OrderOnHold {
		t.Errorf("order 2 should come again, last and newest: count %d, last %s %s", seen[order(2).ID], got[len(got)-1].ID, got[len(got)-1].Status)
	}
	for id, n := range seen {
		if n > 1 && id != order(2).ID {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

func TestListOrdersTiesAcrossPages(t *testing.T) {
	srv := newFake(t)
	// 23 orders share one modified time (a bulk update): the keyset cannot move
	// and limit_start must walk through the tie.
	var want []string
	for i := 1; i <= 23; i++ {
		o := order(i)
		o.UpdatedAt = t0.Add(5 * time.Second)
		addOrders(t, srv, o)
		want = append(want, o.ID)
	}
	c, _ := newClient(t, srv, nil)
	got, _ := collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Minute)})
	if !slices.Equal(ids(got), want) {
		t.Fatalf("ids = %v", ids(got))
	}
	var starts []string
	for _, r := range listRequests(srv, "Sales Order") {
		starts = append(starts, r.Query.Get("limit_start"))
	}
	if !slices.Equal(starts, []string{"0", "10", "20"}) {
		t.Errorf("limit_start sequence = %v", starts)
	}
}

func TestListOrdersSkipsDeleted(t *testing.T) {
	srv := newFake(t)
	for i := 1; i <= 15; i++ {
		addOrders(t, srv, order(i))
	}
	c, _ := newClient(t, srv, func(o *erpnext.Options) { o.Concurrency = 1 })
	var got []orderbot.Order
	err := c.ListOrders(context.Background(), orderbot.Window{From: t0, To: t0.Add(time.Minute)}, func(p []orderbot.Order) error {
		got = append(got, p...)
		if len(got) == 10 {
			srv.DeleteOrder(order(12).ID) // listed on page 2 only after this
		}
		return nil
	})
	if err != nil || len(got) != 14 || slices.Contains(ids(got), order(12).ID) {
		t.Fatalf("err %v, got %v", err, ids(got))
	}
}

func TestPageCallbackErrorStops(t *testing.T) {
	srv := newFake(t)
	for i := 1; i <= 25; i++ {
		addOrders(t, srv, order(i))
	}
	c, _ := newClient(t, srv, nil)
	stop := errors.New("stop")
	calls := 0
	err := c.ListOrders(context.Background(), orderbot.Window{From: t0, To: t0.Add(time.Minute)}, func([]orderbot.Order) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 || len(listRequests(srv, "Sales Order")) != 1 {
		t.Fatalf("err %v, calls %d, lists %d", err, calls, len(listRequests(srv, "Sales Order")))
	}
}

func TestGetOrderNotFoundAndNames(t *testing.T) {
	srv := newFake(t)
	o := order(1)
	o.ID, o.Name = "SO/2024 #7", "SO/2024 #7"
	addOrders(t, srv, o)
	c, _ := newClient(t, srv, nil)
	got, err := c.GetOrder(context.Background(), o.ID)
	if err != nil || got.ID != o.ID {
		t.Fatalf("GetOrder(%q) = %v, %v", o.ID, got.ID, err)
	}
	if want := srv.URL() + "/app/sales-order/" + url.PathEscape(o.ID); got.URL != want {
		t.Errorf("URL = %q, want %q", got.URL, want)
	}
	_, err = c.GetOrder(context.Background(), "SAL-ORD-MISSING")
	if !orderbot.IsKind(err, orderbot.KindNotFound) || !strings.Contains(err.Error(), "Sales Order SAL-ORD-MISSING not found") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.GetOrder(context.Background(), " "); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("empty id: %v", err)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    providerfake.Fault
		times    int
		edit     func(*erpnext.Options)
		wantKind orderbot.ErrorKind // "" = success after retries
		wantText string
		wantWait time.Duration
	}{
		{name: "429 with Retry-After then success", fault: providerfake.Fault{Kind: providerfake.RateLimited, RetryAfter: 3 * time.Second},
			times: 2, wantWait: 3 * time.Second},
		{name: "500 then success", fault: providerfake.Fault{Kind: providerfake.ServerError}, times: 1},
		{name: "429 until retries run out", fault: providerfake.Fault{Kind: providerfake.RateLimited}, times: 10,
			wantKind: orderbot.KindRateLimited, wantText: "Too Many Requests"},
		{name: "500 until retries run out", fault: providerfake.Fault{Kind: providerfake.ServerError}, times: 10,
			wantKind: orderbot.KindTransient, wantText: "OperationalError: (2013"},
		{name: "timeout", fault: providerfake.Fault{Kind: providerfake.Slow}, times: 1, // held until the client gives up
			edit:     func(o *erpnext.Options) { o.Timeout = 100 * time.Millisecond; o.MaxRetries = -1 },
			wantKind: orderbot.KindTransient, wantText: "did not answer"},
		{name: "malformed JSON", fault: providerfake.Fault{Kind: providerfake.Malformed}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: "malformed JSON"},
		{name: "wrong type on the document", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "grand_total"}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: `field "data.grand_total": want number, got string`},
		{name: "wrong type on an item", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "qty"}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: `field "data.items.qty": want number, got string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			addOrders(t, srv, order(1))
			c, sl := newClient(t, srv, tt.edit)
			f := tt.fault
			f.Times = tt.times
			srv.Inject(f)
			got, err := c.GetOrder(context.Background(), order(1).ID)
			if tt.wantKind == "" {
				if err != nil || got.ID != order(1).ID {
					t.Fatalf("GetOrder = %v, %v", got.ID, err)
				}
				if n := srv.RequestCount(); n != tt.times+1 {
					t.Errorf("%d requests, want %d", n, tt.times+1)
				}
				if tt.wantWait > 0 && (len(sl.Waits()) == 0 || sl.Waits()[0] != tt.wantWait) {
					t.Errorf("waits = %v, want Retry-After %v first", sl.Waits(), tt.wantWait)
				}
				return
			}
			conformance.CheckError(t, err, tt.wantKind, tt.wantText, srv.APIKey(), srv.APISecret())
		})
	}
}

func TestListWrongTypeNamesField(t *testing.T) {
	srv := newFake(t)
	addOrders(t, srv, order(1))
	c, _ := newClient(t, srv, nil)
	srv.Inject(providerfake.Fault{Kind: providerfake.WrongType}) // "modified" of the list rows
	err := c.ListOrders(context.Background(), orderbot.Window{From: t0, To: t0.Add(time.Minute)}, func([]orderbot.Order) error { return nil })
	if !orderbot.IsKind(err, orderbot.KindPermanent) || !strings.Contains(err.Error(), `field "data.modified"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	srv := newFake(t)
	for i := 1; i <= 5; i++ {
		addOrders(t, srv, order(i))
	}
	c, _ := newClient(t, srv, nil)
	srv.Inject(providerfake.Fault{Kind: providerfake.Slow}) // held until the client gives up
	took, err := conformance.CancelWhileHeld(t, srv, func(ctx context.Context) error {
		return c.ListOrders(ctx, orderbot.Window{From: t0, To: t0.Add(time.Minute)}, func([]orderbot.Order) error { return nil })
	})
	if !errors.Is(err, context.Canceled) || took > conformance.Prompt {
		t.Fatalf("err = %v %v after cancel; want context.Canceled well before the attempt timeout", err, took)
	}
}

func TestOrderRoundTrip(t *testing.T) {
	srv := newFake(t)
	c, _ := newClient(t, srv, nil)
	base := func(i int) orderbot.Order {
		o := order(i)
		o.Source = c.Name()
		o.URL = srv.URL() + "/app/sales-order/" + o.ID
		o.UpdatedAt = t0.Add(time.Duration(i)*time.Second + 123456*time.Microsecond).In(shanghai)
		return o
	}
	var want []orderbot.Order
	add := func(i int, edit func(*orderbot.Order)) {
		o := base(i)
		edit(&o)
		want = append(want, o)
	}
	add(1, func(o *orderbot.Order) { // Draft
		o.Status, o.Financial = orderbot.OrderPending, orderbot.FinancialPending
	})
	add(2, func(o *orderbot.Order) { // To Deliver: billed, nothing shipped
		o.Financial = orderbot.FinancialPaid
		o.Customer = orderbot.Customer{Name: "Li Lei", Phone: "+86 138 1234 5678", Email: "li@example.com"}
		o.ShipBy = time.Date(2024, 5, 4, 0, 0, 0, 0, shanghai)
	})
	add(3, func(o *orderbot.Order) { // To Deliver and Bill, partly shipped
		o.Fulfillment = orderbot.FulfillmentPartial
		o.Lines = []orderbot.LineItem{
			{SKU: "A", Title: "Apple", Quantity: 3, Fulfilled: 1, Price: orderbot.Money{Minor: 250, Currency: "CNY"}},
			{SKU: "B", Title: "Pear", Quantity: 2, Price: orderbot.Money{Minor: 1999, Currency: "CNY"}},
		}
		o.Total = orderbot.Money{Minor: 4748, Currency: "CNY"}
	})
	add(4, func(o *orderbot.Order) { // To Bill: shipped, half billed
		o.Financial, o.Fulfillment = orderbot.FinancialPartiallyPaid, orderbot.FulfillmentFulfilled
		o.Lines[0].Fulfilled = 1
	})
	add(5, func(o *orderbot.Order) { o.Status = orderbot.OrderOnHold })
	add(6, func(o *orderbot.Order) {
		o.Status, o.Financial, o.Fulfillment = orderbot.OrderCompleted, orderbot.FinancialPaid, orderbot.FulfillmentFulfilled
		o.Lines[0].Fulfilled = 1
	})
	add(7, func(o *orderbot.Order) { o.Status, o.Financial = orderbot.OrderCancelled, orderbot.FinancialVoided })
	add(8, func(o *orderbot.Order) { // a service: nothing to ship; JPY has no minor unit
		o.RequiresShipping = false
		o.Total = orderbot.Money{Minor: 5000, Currency: "JPY"}
		o.Lines[0].Price = orderbot.Money{Minor: 5000, Currency: "JPY"}
	})
	addOrders(t, srv, want...)

	got, _ := collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Minute)})
	if len(got) != len(want) {
		t.Fatalf("got %d orders, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
			t.Errorf("order %s:\n got %+v\nwant %+v", want[i].ID, normal(got[i]), normal(want[i]))
		}
		one, err := c.GetOrder(context.Background(), want[i].ID)
		if err != nil || !reflect.DeepEqual(normal(one), normal(want[i])) {
			t.Errorf("GetOrder %s: %v\n got %+v", want[i].ID, err, normal(one))
		}
	}
}

// normal puts times in UTC so that DeepEqual compares instants.
func normal(o orderbot.Order) orderbot.Order {
	for _, p := range []*time.Time{&o.CreatedAt, &o.UpdatedAt, &o.ShipBy, &o.StatusSince, &o.PaidAt, &o.ShippedAt, &o.CancelledAt} {
		if !p.IsZero() {
			*p = p.UTC()
		}
	}
	return o
}

func TestStockRoundTripAndFilters(t *testing.T) {
	srv := newFake(t)
	var levels []orderbot.StockLevel
	for i := 1; i <= 24; i++ {
		wh := "Stores - OB"
		if i%3 == 0 {
			wh = "Returns - OB"
		}
		levels = append(levels, orderbot.StockLevel{
			SKU: fmt.Sprintf("SKU-%02d", i), Location: wh,
			Available: int64(10 * i), OnHand: int64(10 * i), Reserved: int64(i), Projected: int64(10*i - i + 5),
			UpdatedAt: t0.Add(time.Duration(i) * time.Minute), Side: orderbot.SideERP, Source: "erp",
		})
	}
	setStock(t, srv, levels...)

	c, _ := newClient(t, srv, nil)
	var got []orderbot.StockLevel
	pages := 0
	if err := c.ListStock(context.Background(), time.Time{}, func(p []orderbot.StockLevel) error {
		pages++
		got = append(got, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pages != 3 || len(got) != len(levels) {
		t.Fatalf("%d pages, %d levels", pages, len(got))
	}
	for i := range levels {
		g := got[i]
		g.UpdatedAt = g.UpdatedAt.UTC()
		if !reflect.DeepEqual(g, levels[i]) {
			t.Errorf("level %d:\n got %+v\nwant %+v", i, g, levels[i])
		}
	}
	if !strings.Contains(listRequests(srv, "Bin")[0].Query.Get("fields"), `"actual_qty"`) {
		t.Error("actual_qty not requested")
	}

	// since and the warehouse filter.
	wc, _ := newClient(t, srv, func(o *erpnext.Options) { o.Warehouses = []string{"Returns - OB"} })
	got = nil
	if err := wc.ListStock(context.Background(), t0.Add(10*time.Minute), func(p []orderbot.StockLevel) error {
		got = append(got, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var skus []string
	for _, l := range got {
		skus = append(skus, l.SKU)
	}
	if !slices.Equal(skus, []string{"SKU-12", "SKU-15", "SKU-18", "SKU-21", "SKU-24"}) {
		t.Errorf("filtered SKUs = %v", skus)
	}
}

func TestStockUpdatedWhilePaging(t *testing.T) {
	srv := newFake(t)
	for i := 1; i <= 15; i++ {
		setStock(t, srv, orderbot.StockLevel{SKU: fmt.Sprintf("S%02d", i), Location: "W", Available: 1, UpdatedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	c, _ := newClient(t, srv, nil)
	var got []orderbot.StockLevel
	first := true
	err := c.ListStock(context.Background(), t0, func(p []orderbot.StockLevel) error {
		got = append(got, p...)
		if first {
			first = false
			setStock(t, srv, orderbot.StockLevel{SKU: "S01", Location: "W", Available: 7, UpdatedAt: t0.Add(time.Hour)})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 16 || got[15].SKU != "S01" || got[15].Available != 7 {
		t.Fatalf("got %d levels, last %+v", len(got), got[len(got)-1])
	}
}

func TestServerIgnoringLimitStart(t *testing.T) {
	// A proxy or an old site that ignores limit_start would repeat the same page
	// forever; the lister must notice instead of looping.
	var rows []string
	for i := range 10 {
		rows = append(rows, fmt.Sprintf(`{"name":"MAT-BIN-%d","item_code":"SKU-%d","modified":"2024-05-01 18:00:05"}`, i, i))
	}
	body := `{"data":[` + strings.Join(rows, ",") + `]}`
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if strings.HasSuffix(r.URL.Path, "/Bin") {
			w.Write([]byte(body))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, err := erpnext.New(erpnext.Options{Settings: httpclient.Settings{APIURL: srv.URL}, APIKey: "k", APISecret: "s", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	err = c.ListStock(context.Background(), time.Time{}, func([]orderbot.StockLevel) error { return nil })
	if !orderbot.IsKind(err, orderbot.KindTransient) || !strings.Contains(err.Error(), "repeated row") || calls != 2 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}
