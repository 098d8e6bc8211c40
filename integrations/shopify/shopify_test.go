package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const sourceName = "shop-main"

func newFake(t testing.TB, opts shopifyfake.Options) *shopifyfake.Server {
	t.Helper()
	f := shopifyfake.New(opts)
	t.Cleanup(f.Close)
	return f
}

func newAdapter(t testing.TB, f *shopifyfake.Server, mutate func(*shopify.Options)) (*shopify.Client, *conformance.Sleeper) {
	t.Helper()
	sl := &conformance.Sleeper{}
	o := shopify.Options{
		Settings: httpclient.Settings{Name: sourceName, APIURL: f.URL(), Timeout: conformance.GenerousTimeout, HTTPOptions: func(o *httpclient.Options) { o.Sleep = sl.Sleep }, Logger: slog.New(slog.DiscardHandler)},

		AccessToken: f.AccessToken(),
	}
	if mutate != nil {
		mutate(&o)
	}
	c, err := shopify.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c, sl
}

const idBase = 5_000_000_000_000

// order is a canonical paid card order as the mapping produces it.
func order(f *shopifyfake.Server, n int, updated time.Time) orderbot.Order {
	id := strconv.Itoa(idBase + n)
	created := updated.Add(-time.Hour).UTC().Truncate(time.Second)
	return orderbot.Order{
		ID:            id,
		Source:        sourceName,
		Name:          fmt.Sprintf("#%d", 1000+n),
		Status:        orderbot.OrderProcessing,
		Financial:     orderbot.FinancialPaid,
		Fulfillment:   orderbot.FulfillmentUnfulfilled,
		Total:         orderbot.Money{Minor: 19900, Currency: "USD"},
		PaymentMethod: orderbot.PayCard,
		Customer:      orderbot.Customer{Name: "Alice Smith", Phone: "+8613812345678", Email: "alice@example.com", Locale: "zh-CN"},
		ShippingAddress: orderbot.Address{Name: "Alice Smith", Line1: "1 Main St", Line2: "Apt 2", City: "Shanghai",
			Province: "Shanghai", PostalCode: "200000", Country: "CN", Phone: "+8613812345678"},
		RequiresShipping: true,
		Lines: []orderbot.LineItem{
			{SKU: "SKU-1", Title: "Widget", Quantity: 2, Price: orderbot.Money{Minor: 9000, Currency: "USD"}},
			{SKU: "SKU-2", Title: "Gadget", Quantity: 1, Price: orderbot.Money{Minor: 1900, Currency: "USD"}},
		},
		CreatedAt: created,
		UpdatedAt: updated.UTC().Truncate(time.Second),
		PaidAt:    created.Add(time.Minute),
		URL:       f.URL() + "/admin/orders/" + id,
	}
}

func mustAdd(t testing.TB, f *shopifyfake.Server, os ...orderbot.Order) {
	t.Helper()
	if err := f.AddOrders(os...); err != nil {
		t.Fatal(err)
	}
}

func window() orderbot.Window { return orderbot.Window{From: t0, To: t0.Add(time.Hour)} }

func list(t *testing.T, c *shopify.Client, w orderbot.Window) ([]orderbot.Order, int) {
	t.Helper()
	return conformance.Collect(t, func(ctx context.Context, page func([]orderbot.Order) error) error {
		return c.ListOrders(ctx, w, page)
	})
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortByID(os []orderbot.Order) []orderbot.Order {
	os = slices.Clone(os)
	slices.SortFunc(os, func(a, b orderbot.Order) int { return strings.Compare(a.ID, b.ID) })
	return os
}

func TestNewValidates(t *testing.T) {
	for _, o := range []shopify.Options{
		{Settings: httpclient.Settings{APIURL: "https://x.myshopify.com"}},
		{AccessToken: "shpat_x"},
		{AccessToken: "shpat_x", Settings: httpclient.Settings{APIURL: "https://x.myshopify.com"}, APIVersion: "2024-13"},
		{AccessToken: "shpat_x", Settings: httpclient.Settings{APIURL: "https://x.myshopify.com"}, APIVersion: "latest"},
	} {
		if _, err := shopify.New(o); orderbot.KindOf(err) != orderbot.KindInvalid {
			t.Errorf("New(%+v) err = %v, want KindInvalid", o, err)
		}
	}
}

func TestAuthHeaderAndQuery(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	for i := 0; i < 3; i++ {
		mustAdd(t, f, order(f, i, t0.Add(time.Duration(i)*time.Minute)))
	}
	c, _ := newAdapter(t, f, func(o *shopify.Options) { o.PageSize = 2; o.APIVersion = "2024-10" })
	list(t, c, window())
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %d, want 2", len(reqs))
	}
	for i, r := range reqs {
		if got := r.Header.Values("X-Shopify-Access-Token"); len(got) != 1 || got[0] != f.AccessToken() {
			t.Errorf("request %d token header = %q", i, got)
		}
		if r.Path != "/admin/api/2024-10/orders.json" || r.Status != 200 {
			t.Errorf("request %d = %s %d", i, r.Path, r.Status)
		}
	}
	q := reqs[0].Query
	if q.Get("status") != "any" || q.Get("limit") != "2" || q.Get("updated_at_min") != "2026-03-01T12:00:00Z" ||
		q.Get("updated_at_max") != "2026-03-01T13:00:00Z" {
		t.Errorf("first query = %v", q)
	}
	if !strings.HasPrefix(q.Get("fields"), "id,name,") {
		t.Errorf("fields = %q", q.Get("fields"))
	}
	// With page_info only limit and fields may accompany it (the fake answers
	// 400 otherwise).
	q2 := reqs[1].Query
	for k := range q2 {
		if k != "page_info" && k != "limit" && k != "fields" {
			t.Errorf("second query repeats %s: %v", k, q2)
		}
	}
	if q2.Get("page_info") == "" || q2.Get("limit") != "2" || q2.Get("fields") != q.Get("fields") {
		t.Errorf("second query = %v", q2)
	}
}

func TestUnauthorizedIsNotRetried(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	c, _ := newAdapter(t, f, func(o *shopify.Options) { o.AccessToken = "shpat_wrong_token_123" })
	_, err := list2(c, window())
	if orderbot.KindOf(err) != orderbot.KindUnauthorized || f.RequestCount() != 1 {
		t.Fatalf("err = %v requests = %d", err, f.RequestCount())
	}
	if !strings.Contains(err.Error(), "[API] Invalid API key or access token") || strings.Contains(err.Error(), "shpat_wrong_token_123") {
		t.Fatalf("error = %v", err)
	}
	_, err = c.GetOrder(context.Background(), "5000000000001")
	if orderbot.KindOf(err) != orderbot.KindUnauthorized {
		t.Fatalf("GetOrder err = %v", err)
	}
	err = c.ListStock(context.Background(), time.Time{}, func([]orderbot.StockLevel) error { return nil })
	if orderbot.KindOf(err) != orderbot.KindUnauthorized {
		t.Fatalf("ListStock err = %v", err)
	}
}

func list2(c *shopify.Client, w orderbot.Window) ([]orderbot.Order, error) {
	var all []orderbot.Order
	err := c.ListOrders(context.Background(), w, func(os []orderbot.Order) error {
		all = append(all, os...)
		return nil
	})
	return all, err
}

func TestPaginationAcrossPages(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	var want []orderbot.Order
	for i := 0; i < 600; i++ {
		want = append(want, order(f, i, t0.Add(time.Duration(i)*5*time.Second)))
	}
	mustAdd(t, f, want...)
	mustAdd(t, f, order(f, 900, t0.Add(-time.Second)), order(f, 901, t0.Add(2*time.Hour)))
	c, _ := newAdapter(t, f, nil)
	got, pages := list(t, c, window())
	if pages != 3 || f.RequestCount() != 3 {
		t.Errorf("pages = %d requests = %d, want 3", pages, f.RequestCount())
	}
	if js(sortByID(got)) != js(sortByID(want)) {
		t.Fatalf("got %d orders, want %d", len(got), len(want))
	}
}

func TestEmptyWindow(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	mustAdd(t, f, order(f, 1, t0.Add(-time.Hour)))
	c, _ := newAdapter(t, f, nil)
	got, pages := list(t, c, window())
	if len(got) != 0 || pages != 0 || f.RequestCount() != 1 {
		t.Fatalf("got %d in %d pages, %d requests", len(got), pages, f.RequestCount())
	}
	if _, err := list2(c, orderbot.Window{From: t0, To: t0.Add(-time.Second)}); orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Fatalf("inverted window: %v", err)
	}
}

func TestWindowBounds(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	mustAdd(t, f,
		order(f, 1, t0), // at From: in
		order(f, 2, t0.Add(time.Hour-time.Second)), // last second: in
		order(f, 3, t0.Add(time.Hour)),             // at To: Shopify includes it, the adapter leaves it to the next window
		order(f, 4, t0.Add(-time.Second)),          // before: out
	)
	c, _ := newAdapter(t, f, nil)
	got, _ := list(t, c, window())
	var ids []string
	for _, o := range got {
		ids = append(ids, o.Name)
	}
	if !slices.Equal(ids, []string{"#1001", "#1002"}) {
		t.Fatalf("names = %v", ids)
	}
}

func TestRecordUpdatedWhilePaging(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	// Three pages: the adapter fetches one page ahead, so the update made while
	// the first is delivered shows on the third.
	var all []orderbot.Order
	for i := 0; i < 600; i++ {
		all = append(all, order(f, i, t0.Add(time.Duration(i)*time.Second)))
	}
	mustAdd(t, f, all...)
	c, _ := newAdapter(t, f, nil)
	var got []orderbot.Order
	pages := 0
	err := c.ListOrders(context.Background(), window(), func(os []orderbot.Order) error {
		pages++
		got = append(got, os...)
		if pages == 1 {
			// #1000 was on this page; it is paid out again and moves behind the cursor.
			o := all[0]
			o.UpdatedAt = t0.Add(50 * time.Minute)
			o.Financial = orderbot.FinancialPartiallyRefunded
			o.Refunded = orderbot.Money{Minor: 500, Currency: "USD"}
			mustAdd(t, f, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	last := map[string]orderbot.Order{}
	for _, o := range got {
		count[o.ID]++
		last[o.ID] = o
	}
	if len(count) != 600 {
		t.Fatalf("distinct = %d", len(count))
	}
	first := strconv.Itoa(idBase)
	for id, n := range count {
		if n != 1 && id != first {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if count[first] != 2 || last[first].Financial != orderbot.FinancialPartiallyRefunded || !last[first].UpdatedAt.Equal(t0.Add(50*time.Minute)) {
		t.Fatalf("updated order delivered %d times, last %s", count[first], js(last[first]))
	}
}

// TestRepeatedVersionsAreDropped serves pages by hand: a later page repeats an
// order at the same and at an older updated_at (dropped) and at a newer one
// (delivered); one page holds the same order twice (the newer kept).
func TestRepeatedVersionsAreDropped(t *testing.T) {
	mk := func(id int64, updated string) string {
		return fmt.Sprintf(`{"id":%d,"name":"#%d","created_at":"2026-03-01T11:00:00+08:00","updated_at":%q,"currency":"CNY",`+
			`"total_price":"10.00","financial_status":"paid","fulfillment_status":null,"cancelled_at":null,"closed_at":null,`+
			`"line_items":[],"fulfillments":[],"refunds":[],"payment_gateway_names":["alipay"]}`, id, id, updated)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page_info") {
		case "":
			w.Header().Set("Link", fmt.Sprintf(`<%s/admin/api/2025-10/orders.json?limit=250&page_info=p2>; rel="next"`, srv.URL))
			fmt.Fprintf(w, `{"orders":[%s,%s,%s]}`, mk(1, "2026-03-01T20:10:00+08:00"), mk(2, "2026-03-01T20:10:00+08:00"),
				mk(3, "2026-03-01T20:10:00+08:00"))
		case "p2":
			fmt.Fprintf(w, `{"orders":[%s,%s,%s,%s,%s]}`, mk(1, "2026-03-01T20:10:00+08:00"), mk(2, "2026-03-01T20:05:00+08:00"),
				mk(3, "2026-03-01T20:20:00+08:00"), mk(4, "2026-03-01T20:11:00+08:00"), mk(4, "2026-03-01T20:12:00+08:00"))
		}
	}))
	defer srv.Close()
	c, err := shopify.New(shopify.Options{Settings: httpclient.Settings{APIURL: srv.URL, Logger: slog.New(slog.DiscardHandler)}, AccessToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string
	err = c.ListOrders(context.Background(), window(), func(os []orderbot.Order) error {
		for _, o := range os {
			got = append(got, o.ID+"@"+o.UpdatedAt.Format("15:04"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1@12:10", "2@12:10", "3@12:10", "3@12:20", "4@12:12"}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

func TestGetOrder(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	want := order(f, 1, t0)
	mustAdd(t, f, want)
	c, _ := newAdapter(t, f, nil)
	for _, id := range []string{want.ID, "#1001", "1001", " #1001 "} {
		got, err := c.GetOrder(context.Background(), id)
		if err != nil || js(got) != js(want) {
			t.Errorf("GetOrder(%q) = %s, %v", id, js(got), err)
		}
	}
	for _, id := range []string{"5000000000999", "#9999", "9999"} {
		if _, err := c.GetOrder(context.Background(), id); orderbot.KindOf(err) != orderbot.KindNotFound {
			t.Errorf("GetOrder(%q) err = %v, want not found", id, err)
		}
	}
	if _, err := c.GetOrder(context.Background(), ""); orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Errorf("empty id: %v", err)
	}
	r := f.Requests()[0]
	if r.Path != "/admin/api/2025-10/orders/"+want.ID+".json" {
		t.Errorf("path = %s", r.Path)
	}
}

func TestRoundTrip(t *testing.T) {
	f := newFake(t, shopifyfake.Options{Timezone: time.FixedZone("EDT", -4*3600)})
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	shipped := order(f, 1, at(1))
	shipped.Fulfillment = orderbot.FulfillmentFulfilled
	shipped.Lines[0].Fulfilled, shipped.Lines[1].Fulfilled = 2, 1
	shipped.Shipments = []orderbot.ShipmentRef{
		{TrackingNumber: "1Z999AA10123456784", Carrier: "ups", ShippedAt: shipped.CreatedAt.Add(10 * time.Minute)},
		{TrackingNumber: "YT1234567890", Carrier: "yuantong", ShippedAt: shipped.CreatedAt.Add(20 * time.Minute)},
	}
	shipped.ShippedAt = shipped.CreatedAt.Add(10 * time.Minute)

	cod := order(f, 2, at(2))
	cod.Financial, cod.PaymentMethod, cod.PaidAt = orderbot.FinancialPending, orderbot.PayCashOnDelivery, time.Time{}
	cod.Fulfillment = orderbot.FulfillmentPartial
	cod.Lines[0].Fulfilled = 1
	cod.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "SF1000", Carrier: "shunfeng", ShippedAt: cod.CreatedAt.Add(5 * time.Minute)}}
	cod.ShippedAt = cod.CreatedAt.Add(5 * time.Minute)

	cancelled := order(f, 3, at(3))
	cancelled.Status, cancelled.Financial = orderbot.OrderCancelled, orderbot.FinancialRefunded
	cancelled.CancelledAt = cancelled.UpdatedAt.Add(-time.Minute)
	cancelled.StatusSince = cancelled.CancelledAt
	cancelled.Refunded = orderbot.Money{Minor: 19900, Currency: "USD"}

	completed := order(f, 4, at(4))
	completed.Status, completed.StatusSince = orderbot.OrderCompleted, completed.UpdatedAt
	completed.Fulfillment = orderbot.FulfillmentFulfilled
	completed.Lines[0].Fulfilled, completed.Lines[1].Fulfilled = 2, 1
	completed.ShippedAt = completed.CreatedAt.Add(30 * time.Minute)

	unpaid := order(f, 5, at(5))
	unpaid.Status, unpaid.Financial, unpaid.PaymentMethod, unpaid.PaidAt = orderbot.OrderPending, orderbot.FinancialPending, orderbot.PayBankTransfer, time.Time{}

	yen := order(f, 6, at(6))
	yen.Total = orderbot.Money{Minor: 5000, Currency: "JPY"}
	yen.PaymentMethod = orderbot.PayWallet
	yen.Lines = []orderbot.LineItem{{SKU: "JP-1", Title: "Tea", Quantity: 1, Price: orderbot.Money{Minor: 5000, Currency: "JPY"}}}
	yen.Customer.Locale = "ja"

	bare := order(f, 7, at(7))
	bare.Test = true
	bare.Customer, bare.ShippingAddress, bare.Lines, bare.RequiresShipping, bare.PaymentMethod = orderbot.Customer{}, orderbot.Address{}, nil, false, ""

	authorized := order(f, 8, at(8))
	authorized.Financial, authorized.PaidAt = orderbot.FinancialAuthorized, time.Time{}
	authorized.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "LOCAL-1", Carrier: "my-local-courier", ShippedAt: authorized.CreatedAt.Add(time.Minute)}}
	authorized.ShippedAt = authorized.CreatedAt.Add(time.Minute)

	want := []orderbot.Order{shipped, cod, cancelled, completed, unpaid, yen, bare, authorized}
	mustAdd(t, f, want...)
	c, _ := newAdapter(t, f, nil)
	got, _ := list(t, c, window())
	if len(got) != len(want) {
		t.Fatalf("got %d orders, want %d", len(got), len(want))
	}
	g, w := sortByID(got), sortByID(want)
	for i := range w {
		if js(g[i]) != js(w[i]) {
			t.Errorf("order %s:\n got %s\nwant %s", w[i].ID, js(g[i]), js(w[i]))
		}
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     providerfake.Fault
		retries   int
		timeout   time.Duration // per attempt; default conformance.GenerousTimeout
		wantKind  orderbot.ErrorKind
		wantText  string
		wantWaits []time.Duration
	}{
		{name: "429 with Retry-After then success", fault: providerfake.Fault{Kind: providerfake.RateLimited},
			wantWaits: []time.Duration{2 * time.Second}},
		{name: "429 forever", fault: providerfake.Fault{Kind: providerfake.RateLimited, Times: 10}, retries: 2,
			wantKind: orderbot.KindRateLimited, wantText: "Exceeded 2 calls per second"},
		{name: "500 then success", fault: providerfake.Fault{Kind: providerfake.ServerError, Times: 2}},
		{name: "500 forever", fault: providerfake.Fault{Kind: providerfake.ServerError, Times: 10}, retries: 2,
			wantKind: orderbot.KindTransient, wantText: "HTTP 500"},
		// The fake holds the request until the client gives up, so the short
		// timeout is certain to fire.
		{name: "timeout", fault: providerfake.Fault{Kind: providerfake.Slow, Times: 5}, retries: -1, timeout: 100 * time.Millisecond,
			wantKind: orderbot.KindTransient, wantText: "did not answer"},
		// The retry must be answered within the timeout: long enough for a
		// loaded machine, short enough to keep the test quick.
		{name: "slow then success", fault: providerfake.Fault{Kind: providerfake.Slow}, timeout: 3 * time.Second},
		{name: "malformed JSON", fault: providerfake.Fault{Kind: providerfake.Malformed},
			wantKind: orderbot.KindPermanent, wantText: "malformed JSON"},
		{name: "wrong type", fault: providerfake.Fault{Kind: providerfake.WrongType},
			wantKind: orderbot.KindPermanent, wantText: `shopify.list_orders: field "orders.total_price": want string, got number`},
		{name: "fault on the second page", fault: providerfake.Fault{Kind: providerfake.Malformed, Times: 1, PathContains: "orders"},
			wantKind: orderbot.KindPermanent, wantText: "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, shopifyfake.Options{})
			want := []orderbot.Order{order(f, 1, t0.Add(time.Minute)), order(f, 2, t0.Add(2*time.Minute))}
			mustAdd(t, f, want...)
			f.Inject(tc.fault)
			c, sl := newAdapter(t, f, func(o *shopify.Options) {
				if tc.timeout > 0 {
					o.Timeout = tc.timeout
				}
				o.MaxRetries = tc.retries
				o.PageSize = 1
			})
			got, err := list2(c, window())
			if tc.wantKind == "" {
				if err != nil || js(sortByID(got)) != js(want) {
					t.Fatalf("err = %v got = %s", err, js(got))
				}
			} else {
				conformance.CheckError(t, err, tc.wantKind, tc.wantText, f.AccessToken())
			}
			if tc.wantWaits != nil && !slices.Equal(sl.Waits(), tc.wantWaits) {
				t.Fatalf("waits = %v, want %v", sl.Waits(), tc.wantWaits)
			}
		})
	}
}

func TestTimeoutCarriesSentinel(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	f.Inject(providerfake.Fault{Kind: providerfake.Slow}) // held until the client gives up
	c, _ := newAdapter(t, f, func(o *shopify.Options) { o.Timeout = 50 * time.Millisecond; o.MaxRetries = -1 })
	if _, err := c.GetOrder(context.Background(), "5000000000001"); !errors.Is(err, httpclient.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestCallLimitPacing(t *testing.T) {
	pace := shopify.CallLimitPacing(2, 10)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"1/40", 0},
		{"30/40", 0},
		{"31/40", 500 * time.Millisecond},
		{"40/40", 5 * time.Second},
		{"79/80", 4500 * time.Millisecond},
		{"", 0},
		{"garbage", 0},
		{"3/0", 0},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("X-Shopify-Shop-Api-Call-Limit", tc.header)
		}
		if got := pace(h); got != tc.want {
			t.Errorf("pace(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}

	// Against a bucket that drains 2 per second, a long listing slows down
	// before it is throttled. The fake's clock stands still (the sleeper does
	// not wait either), so the bucket fills exactly one call per request
	// however slowly the test runs.
	f := newFake(t, shopifyfake.Options{LeakRate: 2, Now: func() time.Time { return t0 }})
	for i := 0; i < 35; i++ {
		mustAdd(t, f, order(f, i, t0.Add(time.Duration(i)*time.Second)))
	}
	c, sl := newAdapter(t, f, func(o *shopify.Options) { o.PageSize = 1 })
	got, _ := list(t, c, window())
	if len(got) != 35 {
		t.Fatalf("got %d", len(got))
	}
	waits := sl.Waits()
	if len(waits) < 3 {
		t.Fatalf("waits = %v, want pacing once the bucket passed 30/40", waits)
	}
	for _, r := range f.Requests() {
		if r.Status != 200 {
			t.Fatalf("request answered %d", r.Status)
		}
	}
}

func TestBucketOverflowAnswers429(t *testing.T) {
	f := newFake(t, shopifyfake.Options{LeakRate: 2, CallLimit: 3, Now: func() time.Time { return t0 }}) // never drains
	c, sl := newAdapter(t, f, func(o *shopify.Options) { o.MaxRetries = 1; o.Headroom = 1 })
	for i := 0; i < 3; i++ {
		if _, err := list2(c, window()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := list2(c, window())
	var oe *orderbot.Error
	if !errors.As(err, &oe) || oe.Kind != orderbot.KindRateLimited || oe.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want rate limited with Retry-After 2s", err)
	}
	if len(sl.Waits()) == 0 {
		t.Fatal("no pacing or retry wait recorded")
	}
}

func TestConformance(t *testing.T) {
	const token = "shpat_conformance_Secret_0123456789"
	conformance.Run(t, conformance.Case{
		Provider: "shopify",
		Secrets:  []string{token},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := shopify.New(shopify.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }},

				AccessToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{
				{Name: "ListOrders", Call: func(ctx context.Context) error {
					return c.ListOrders(ctx, window(), func([]orderbot.Order) error { return nil })
				}},
				{Name: "GetOrder", Call: func(ctx context.Context) error {
					_, err := c.GetOrder(ctx, "5000000000001")
					return err
				}},
				{Name: "ListStock", Call: func(ctx context.Context) error {
					return c.ListStock(ctx, time.Time{}, func([]orderbot.StockLevel) error { return nil })
				}},
			}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]string{"errors": msg})
			return b
		},
	})
}

func TestPageCallbackErrorAndCancel(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	for i := 0; i < 1000; i++ {
		mustAdd(t, f, order(f, i, t0.Add(time.Duration(i)*time.Second)))
	}
	c, _ := newAdapter(t, f, nil)
	stop := errors.New("stop")
	calls := 0
	err := c.ListOrders(context.Background(), window(), func([]orderbot.Order) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err = %v calls = %d", err, calls)
	}
	// One page ahead at most: the first page and the one fetched meanwhile.
	if n := len(f.Requests()); n > 2 {
		t.Fatalf("requests = %d after the consumer stopped on page 1", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls = 0
	err = c.ListOrders(ctx, window(), func([]orderbot.Order) error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancel: err = %v calls = %d", err, calls)
	}
}
