package shopifyfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const v = "/admin/api/2025-10/"

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func get(t *testing.T, s *shopifyfake.Server, target, token string) answer {
	t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = s.URL() + target
	}
	req, _ := http.NewRequest("GET", target, nil)
	if token != "" {
		req.Header.Set("X-Shopify-Access-Token", token)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func order(i int, updated time.Time, status orderbot.OrderStatus, fin orderbot.FinancialStatus) orderbot.Order {
	return orderbot.Order{ID: strconv.Itoa(1000 + i), Name: fmt.Sprintf("#%d", 1000+i), Status: status, Financial: fin,
		Total: orderbot.Money{Minor: 100, Currency: "USD"}, CreatedAt: updated.Add(-time.Hour), UpdatedAt: updated,
		Lines: []orderbot.LineItem{{SKU: fmt.Sprintf("SKU-%d", i%3), Quantity: 1}}}
}

func seed(t *testing.T, s *shopifyfake.Server, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		st, fin := orderbot.OrderProcessing, orderbot.FinancialPaid
		switch i % 5 {
		case 3:
			st = orderbot.OrderCancelled
		case 4:
			st, fin = orderbot.OrderPending, orderbot.FinancialPending
		}
		if err := s.AddOrders(order(i, t0.Add(time.Duration(i)*time.Minute), st, fin)); err != nil {
			t.Fatal(err)
		}
	}
}

func names(a answer) string {
	var out []string
	list, _ := a.body["orders"].([]any)
	for _, o := range list {
		out = append(out, o.(map[string]any)["name"].(string))
	}
	return strings.Join(out, ",")
}

// links parses the Link header into rel → URL.
func links(a answer) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(a.header.Get("Link"), ", ") {
		if part == "" {
			continue
		}
		u := part[strings.Index(part, "<")+1 : strings.Index(part, ">")]
		rel := part[strings.Index(part, `rel="`)+5 : len(part)-1]
		out[rel] = u
	}
	return out
}

func TestAuthVersionAndHeaders(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{v + "orders.json", s.AccessToken(), 200},
		{v + "orders.json", "", 401},
		{v + "orders.json", "shpat_wrong", 401},
		{"/admin/api/2025-13/orders.json", s.AccessToken(), 404},
		{"/admin/api/unstable/orders.json", s.AccessToken(), 200},
		{v + "nothing.json", s.AccessToken(), 404},
		{v + "orders", s.AccessToken(), 404},
	} {
		a := get(t, s, tc.path, tc.token)
		if a.status != tc.status {
			t.Errorf("%s %q: %d %s", tc.path, tc.token, a.status, a.raw)
		}
		if tc.status == 401 && a.body["errors"] != "[API] Invalid API key or access token (unrecognized login or wrong password)" {
			t.Errorf("401 body %s", a.raw)
		}
		if tc.status == 200 && (a.header.Get("X-Shopify-Shop-Api-Call-Limit") != "1/40" || a.header.Get("X-Request-Id") == "") {
			t.Errorf("headers %v", a.header)
		}
	}
}

func TestOrderFiltersAndPaging(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	seed(t, s, 12)
	tok := s.AccessToken()
	ts := func(m int) string {
		return url.QueryEscape(t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339))
	}
	for _, tc := range []struct{ query, want string }{
		{"", "#1000,#1001,#1002,#1004,#1005,#1006,#1007,#1009,#1010,#1011"}, // open by default
		{"status=any&limit=3", "#1000,#1001,#1002"},
		{"status=cancelled", "#1003,#1008"},
		{"status=closed", "#1003,#1008"},
		{"status=any&updated_at_min=" + ts(2) + "&updated_at_max=" + ts(4), "#1002,#1003,#1004"},
		{"status=any&ids=1005,1001", "#1001,#1005"},
		{"status=any&name=%231007", "#1007"},
		{"status=any&name=1007", "#1007"},
		{"status=any&since_id=1009", "#1010,#1011"},
		{"status=any&financial_status=pending", "#1004,#1009"},
		{"status=any&financial_status=unpaid", "#1004,#1009"},
	} {
		a := get(t, s, v+"orders.json?"+tc.query, tok)
		if a.status != 200 || names(a) != tc.want {
			t.Errorf("%s: %d %q, want %q (%s)", tc.query, a.status, names(a), tc.want, a.raw[:min(len(a.raw), 200)])
		}
	}
	for _, q := range []string{"status=weird", "limit=251", "limit=0", "updated_at_min=yesterday", "ids=a,b"} {
		if a := get(t, s, v+"orders.json?"+q, tok); a.status != 400 {
			t.Errorf("%s: %d %s", q, a.status, a.raw)
		}
	}

	// Forward with next links, then back with previous links.
	a := get(t, s, v+"orders.json?status=any&limit=5&fields=id,name", tok)
	var pages []string
	for {
		pages = append(pages, names(a))
		next, ok := links(a)["next"]
		if !ok {
			break
		}
		if q, _ := url.Parse(next); q.Query().Get("fields") != "id,name" || q.Query().Get("limit") != "5" || len(q.Query()) != 3 {
			t.Fatalf("next link %s", next)
		}
		a = get(t, s, next, tok)
	}
	if strings.Join(pages, "|") != "#1000,#1001,#1002,#1003,#1004|#1005,#1006,#1007,#1008,#1009|#1010,#1011" {
		t.Fatalf("forward pages %v", pages)
	}
	if o := a.body["orders"].([]any)[0].(map[string]any); len(o) != 2 {
		t.Fatalf("fields=id,name gave %v", o)
	}
	prev := links(a)["previous"]
	a = get(t, s, prev, tok)
	if names(a) != "#1005,#1006,#1007,#1008,#1009" || links(a)["next"] == "" || links(a)["previous"] == "" {
		t.Fatalf("previous page %q links %v", names(a), links(a))
	}
	a = get(t, s, links(a)["previous"], tok)
	if names(a) != "#1000,#1001,#1002,#1003,#1004" {
		t.Fatalf("first page again %q", names(a))
	}

	// page_info carries the filters: nothing but limit and fields may join it.
	next := links(get(t, s, v+"orders.json?status=any&limit=5", tok))["next"]
	if a := get(t, s, next+"&status=any", tok); a.status != 400 || !strings.Contains(a.raw, "page_info") {
		t.Fatalf("page_info with status: %d %s", a.status, a.raw)
	}
	if a := get(t, s, v+"orders.json?page_info=garbage", tok); a.status != 400 {
		t.Fatalf("bad page_info: %d", a.status)
	}
	products := links(get(t, s, v+"products.json?limit=1", tok))["next"]
	if a := get(t, s, strings.Replace(products, "products.json", "orders.json", 1), tok); a.status != 400 {
		t.Fatalf("a products cursor on orders: %d", a.status)
	}
}

func TestSingleOrder(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	seed(t, s, 2)
	a := get(t, s, v+"orders/1001.json", s.AccessToken())
	o, _ := a.body["order"].(map[string]any)
	if a.status != 200 || o["name"] != "#1001" || o["total_price"] != "1.00" || o["financial_status"] != "paid" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	for _, p := range []string{"orders/9999.json", "orders/abc.json"} {
		if a := get(t, s, v+p, s.AccessToken()); a.status != 404 || a.body["errors"] != "Not Found" {
			t.Errorf("%s: %d %s", p, a.status, a.raw)
		}
	}
	if err := s.AddOrders(orderbot.Order{ID: "x"}); err == nil {
		t.Error("non-numeric id accepted")
	}
	if err := s.AddOrders(orderbot.Order{ID: "5"}); err == nil {
		t.Error("order without currency or times accepted")
	}
}

func TestInventory(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	tok := s.AccessToken()
	for i := 0; i < 6; i++ {
		if err := s.SetStock(orderbot.StockLevel{SKU: fmt.Sprintf("S%d", i), Location: []string{"East", "West"}[i%2], Available: int64(i),
			UpdatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetUntracked("S5")
	locs := get(t, s, v+"locations.json", tok).body["locations"].([]any)
	if len(locs) != 2 || locs[0].(map[string]any)["name"] != "East" {
		t.Fatalf("locations %v", locs)
	}
	east := strconv.FormatInt(int64(locs[0].(map[string]any)["id"].(float64)), 10)
	west := strconv.FormatInt(int64(locs[1].(map[string]any)["id"].(float64)), 10)
	a := get(t, s, v+"inventory_levels.json?location_ids="+east+","+west+"&limit=4", tok)
	lv := a.body["inventory_levels"].([]any)
	if a.status != 200 || len(lv) != 4 || links(a)["next"] == "" {
		t.Fatalf("levels %d %s", a.status, a.raw)
	}
	rest := get(t, s, links(a)["next"], tok).body["inventory_levels"].([]any)
	var untracked int
	for _, l := range append(lv, rest...) {
		if l.(map[string]any)["available"] == nil {
			untracked++
		}
	}
	if len(rest) != 2 || untracked != 1 {
		t.Fatalf("rest %v untracked %d", rest, untracked)
	}
	since := url.QueryEscape(t0.Add(4 * time.Minute).Format(time.RFC3339))
	if a := get(t, s, v+"inventory_levels.json?location_ids="+east+"&updated_at_min="+since, tok); len(a.body["inventory_levels"].([]any)) != 1 {
		t.Fatalf("since: %s", a.raw)
	}
	for _, q := range []string{"", "location_ids=x", "inventory_item_ids=" + strings.Repeat("1,", 50) + "1"} {
		if a := get(t, s, v+"inventory_levels.json?"+q, tok); a.status != 422 {
			t.Errorf("%q: %d %s", q, a.status, a.raw)
		}
	}
	p := get(t, s, v+"products.json?fields=id,variants", tok)
	prods := p.body["products"].([]any)
	first := prods[0].(map[string]any)
	variant := first["variants"].([]any)[0].(map[string]any)
	if len(prods) != 6 || len(first) != 2 || variant["sku"] != "S0" || variant["inventory_item_id"] == nil {
		t.Fatalf("products %s", p.raw)
	}
	s.SetLocationActive("West", false)
	if l := get(t, s, v+"locations.json", tok).body["locations"].([]any)[1].(map[string]any); l["active"] != false {
		t.Fatalf("deactivated location %v", l)
	}
}

func TestLeakyBucket(t *testing.T) {
	// A settable clock: the bucket drains only when the test says so.
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := shopifyfake.New(shopifyfake.Options{CallLimit: 4, LeakRate: 2, Now: clock})
	defer s.Close()
	var got []string
	for i := 0; i < 5; i++ {
		a := get(t, s, v+"locations.json", s.AccessToken())
		got = append(got, fmt.Sprintf("%d:%s", a.status, a.header.Get("X-Shopify-Shop-Api-Call-Limit")))
		if a.status == 429 && (a.header.Get("Retry-After") != "2.0" || !strings.Contains(a.raw, "Exceeded 2 calls per second")) {
			t.Fatalf("429 answer %v %s", a.header, a.raw)
		}
	}
	if strings.Join(got, " ") != "200:1/4 200:2/4 200:3/4 200:4/4 429:4/4" {
		t.Fatalf("bucket: %v", got)
	}
	// A second at 2 calls per second makes room for two more, not three.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	got = got[:0]
	for i := 0; i < 3; i++ {
		got = append(got, fmt.Sprint(get(t, s, v+"locations.json", s.AccessToken()).status))
	}
	if strings.Join(got, " ") != "200 200 429" {
		t.Fatalf("after draining a second: %v", got)
	}
}

func TestFaults(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	seed(t, s, 1)
	tok := s.AccessToken()
	s.Inject(providerfake.Fault{Kind: providerfake.RateLimited, PathContains: "orders"})
	if a := get(t, s, v+"locations.json", tok); a.status != 200 {
		t.Fatalf("fault hit another path: %d", a.status)
	}
	if a := get(t, s, v+"orders.json", tok); a.status != 429 || a.header.Get("Retry-After") != "2.0" {
		t.Fatalf("429: %d %v", a.status, a.header)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.WrongType, Times: 2})
	if a := get(t, s, v+"orders.json", tok); !strings.Contains(a.raw, `"total_price":12345`) {
		t.Fatalf("wrong type orders: %s", a.raw)
	}
	if a := get(t, s, v+"orders.json?status=cancelled", tok); a.raw != `{"orders":{}}` {
		t.Fatalf("wrong type on an empty page: %s", a.raw)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.Slow, Delay: 50 * time.Millisecond})
	start := time.Now()
	if a := get(t, s, v+"orders.json", tok); a.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("slow: %d after %v", a.status, time.Since(start))
	}
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError})
	s.ClearFaults()
	if a := get(t, s, v+"orders.json", tok); a.status != 200 {
		t.Fatalf("cleared fault still applied: %d", a.status)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := shopifyfake.New(shopifyfake.Options{})
	defer s.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				o := order(g*100+i, t0.Add(time.Duration(i)*time.Second), orderbot.OrderProcessing, orderbot.FinancialPaid)
				if err := s.AddOrders(o); err != nil {
					t.Error(err)
				}
				if err := s.SetStock(orderbot.StockLevel{SKU: o.Lines[0].SKU, Location: "A", Available: 1, UpdatedAt: t0}); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				for _, p := range []string{"orders.json?status=any&limit=250", "products.json", "locations.json"} {
					req, _ := http.NewRequest("GET", s.URL()+v+p, nil)
					req.Header.Set("X-Shopify-Access-Token", s.AccessToken())
					if resp, err := client.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
			}
		}()
	}
	wg.Wait()
	if s.Len() != 200 || s.RequestCount() != 240 {
		t.Fatalf("Len = %d requests = %d", s.Len(), s.RequestCount())
	}
}
