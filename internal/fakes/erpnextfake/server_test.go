package erpnextfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func get(t *testing.T, s *Server, path string, q url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "token "+s.APIKey()+":"+s.APISecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func names(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for _, r := range env.Data {
		out = append(out, fmt.Sprint(r["name"]))
	}
	return strings.Join(out, ",")
}

// add stores orders, failing the test on a refused one.
func add(t testing.TB, s *Server, orders ...orderbot.Order) {
	t.Helper()
	if err := s.AddOrders(orders...); err != nil {
		t.Fatal(err)
	}
}

func seed(t *testing.T, s *Server) {
	for i := 1; i <= 6; i++ {
		o := orderbot.Order{ID: fmt.Sprintf("SO-%d", i), Status: orderbot.OrderProcessing, Total: orderbot.Money{Minor: int64(i * 1000), Currency: "USD"},
			Customer: orderbot.Customer{Name: fmt.Sprintf("Cust %d", i%2)}, UpdatedAt: t0.Add(time.Duration(i) * time.Minute), RequiresShipping: true}
		if i == 6 {
			o.Status = orderbot.OrderCancelled
		}
		add(t, s, o)
	}
}

func TestQueryLanguage(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	seed(t, s)
	tests := []struct {
		name  string
		q     url.Values
		want  string
		code  int
		check func(body []byte) error
	}{
		{name: "default: name only, modified desc, 20", q: url.Values{}, want: "SO-6,SO-5,SO-4,SO-3,SO-2,SO-1"},
		{name: "list filters", q: url.Values{"filters": {`[["grand_total",">=",30],["docstatus","!=",2]]`}, "order_by": {"grand_total asc"}}, want: "SO-3,SO-4,SO-5"},
		{name: "four-item filters", q: url.Values{"filters": {`[["Sales Order","name","in",["SO-2","SO-4"]]]`}, "order_by": {"name asc"}}, want: "SO-2,SO-4"},
		{name: "dict filters", q: url.Values{"filters": {`{"customer_name":"Cust 1","status":["!=","Cancelled"]}`}, "order_by": {"name asc"}}, want: "SO-1,SO-3,SO-5"},
		{name: "or_filters", q: url.Values{"or_filters": {`[["name","=","SO-1"],["name","like","%-6"]]`}, "order_by": {"name asc"}}, want: "SO-1,SO-6"},
		{name: "between and paging", q: url.Values{"filters": {`[["modified","between",["2024-05-01 10:02:00","2024-05-01 10:05:00"]]]`},
			"order_by": {"modified asc, name asc"}, "limit_start": {"1"}, "limit_page_length": {"2"}}, want: "SO-3,SO-4"},
		{name: "limit alias", q: url.Values{"limit": {"2"}, "order_by": {"`tabSales Order`.`name` desc"}}, want: "SO-6,SO-5"},
		{name: "is set", q: url.Values{"filters": {`[["delivery_date","is","not set"]]`}, "limit_page_length": {"0"}}, want: "SO-6,SO-5,SO-4,SO-3,SO-2,SO-1"},
		{name: "all fields", q: url.Values{"fields": {`["*"]`}, "limit": {"1"}}, want: "SO-6", check: func(b []byte) error {
			if !strings.Contains(string(b), `"per_billed":0`) || strings.Contains(string(b), `"items"`) {
				return fmt.Errorf("fields * wrong: %s", b)
			}
			return nil
		}},
		{name: "unknown field", q: url.Values{"filters": {`[["secret_col","=",1]]`}}, code: 417},
		{name: "bad operator", q: url.Values{"filters": {`[["name","~","x"]]`}}, code: 417},
		{name: "bad json", q: url.Values{"filters": {`[[`}}, code: 417},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, s, "/api/resource/Sales%20Order", tt.q)
			want := tt.code
			if want == 0 {
				want = 200
			}
			if code != want {
				t.Fatalf("status %d, want %d: %s", code, want, body)
			}
			if want != 200 {
				if !strings.Contains(string(body), `"exc_type":"ValidationError"`) {
					t.Errorf("not a Frappe envelope: %s", body)
				}
				return
			}
			if got := names(t, body); got != tt.want {
				t.Errorf("names = %s, want %s", got, tt.want)
			}
			if tt.check != nil {
				if err := tt.check(body); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestAuthAndErrors(t *testing.T) {
	s := New(Options{APIKey: "k", APISecret: "s"})
	defer s.Close()
	seed(t, s)
	for _, auth := range []string{"", "token k:x", "token k:", "Token k:s", "token k:s:s", "Basic aws="} {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/resource/Bin", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), "AuthenticationError") {
			t.Errorf("auth %q: %d %s", auth, resp.StatusCode, b)
		}
	}
	code, body := get(t, s, "/api/resource/Sales%20Order/SO-404", nil)
	if code != 404 || !strings.Contains(string(body), `Sales Order SO-404 not found`) {
		t.Errorf("404: %d %s", code, body)
	}
	var env map[string]string
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	if err := json.Unmarshal([]byte(env["_server_messages"]), &msgs); err != nil || len(msgs) != 1 || !strings.HasPrefix(msgs[0], "{") {
		t.Errorf("_server_messages is not a JSON list of JSON strings: %q", env["_server_messages"])
	}
	if code, _ := get(t, s, "/api/resource/Item", nil); code != 404 {
		t.Errorf("unknown doctype: %d", code)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := s.AddOrders(orderbot.Order{ID: fmt.Sprintf("SO-%d-%d", w, i), UpdatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
					t.Error(err)
				}
				if err := s.SetStock(orderbot.StockLevel{SKU: fmt.Sprintf("S%d", i), Location: fmt.Sprint(w), Available: int64(i)}); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				if code, body := get(t, s, "/api/resource/Sales%20Order", url.Values{"order_by": {"modified asc, name asc"},
					"filters": {`[["modified",">=","2024-05-01 10:00:10"]]`}}); code != 200 {
					t.Errorf("%d %s", code, body)
				}
				_ = s.Requests()
			}
		}()
	}
	wg.Wait()
	if n := s.RequestCount(); n != 80 {
		t.Errorf("%d requests logged", n)
	}
}

func TestRowsJSONEscapes(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	name := "Li \"Lei\" <x> & \\ 李雷\n"
	add(t, s, orderbot.Order{ID: "SO-1", Customer: orderbot.Customer{Name: name}, Total: orderbot.Money{Minor: 123456789, Currency: "USD"}, UpdatedAt: t0})
	code, body := get(t, s, "/api/resource/Sales%20Order", url.Values{"fields": {`["customer_name","grand_total","docstatus","delivery_date"]`}})
	var env struct {
		Data []struct {
			CustomerName string  `json:"customer_name"`
			GrandTotal   float64 `json:"grand_total"`
			DocStatus    int     `json:"docstatus"`
			DeliveryDate *string `json:"delivery_date"`
		} `json:"data"`
	}
	if code != 200 || json.Unmarshal(body, &env) != nil || len(env.Data) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	r := env.Data[0]
	if r.CustomerName != name || r.GrandTotal != 1234567.89 || r.DocStatus != 1 || r.DeliveryDate != nil {
		t.Errorf("row = %+v from %s", r, body)
	}
}

func TestLoadersRejectRecordsWithoutKeys(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	if err := s.AddOrders(orderbot.Order{ID: "SO-1"}, orderbot.Order{}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("AddOrders without ID: %v", err)
	}
	if _, ok := s.Order("SO-1"); ok {
		t.Error("a refused batch stored some of its orders")
	}
	if err := s.SetStock(orderbot.StockLevel{Location: "W"}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("SetStock without SKU: %v", err)
	}
}
