package shopify

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
)

var decodeSeeds = []string{
	`{"orders":[]}`,
	`{"orders":null}`,
	`{"orders":[{` + base + `,"customer":null,"line_items":[{"id":1,"variant_id":null,"quantity":2,"current_quantity":1,"price":"1.00","properties":[{"name":"Gift","value":"yes"}]}]}]}`,
	`{"orders":[{"id":1,"name":"#1\u00e9\n","note":"tab\there","email":"a\"b@x.com","customer":{"first_name":"李","last_name":"雷"}}]}`,
	`{"orders":[{"id":1,"ID":2}]}`,
	`{"orders":[{"id":1.5}]}`,
	`{"orders":[{"id":"1"}]}`,
	`{"orders":[{"id":1e3}]}`,
	`{"orders":[{"test":true,"x":[1,-2.5e+3,true,false,null,{"a":{"b":[]}}]}]}`,
	`{"orders":[{"line_items":[{"sku":"A","quantity":1}],"line_items":[{"sku":"B"}]}]}`,
	`{"orders":[{"refunds":[{"transactions":[{"kind":"refund","status":"success","amount":"1.00"},null]}]}],"extra":"\ud83d\ude00"}`,
	`{"orders":[{"fulfillments":[{"tracking_numbers":["a",null],"line_items":[{"id":1,"quantity":2}]}]}]}`,
	` {"orders" : [ { "id" : 7 } ] } `,
	`{"orders":[{"id":1}]} x`,
	`{"orders":[{"name":"` + "\xff" + `"}]}`,
	`{"orders":[{"id":9223372036854775808}]}`,
	`{"order":{"id":5,"total_price":"2.00"}}`,
	`[` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `]`,
	`{"orders":[{"id":-0,"shipping_address":{"Zip":"1"}}]}`,
}

// FuzzDecodeOrders checks that whenever the one-pass decoder accepts a body,
// encoding/json accepts it too and decodes the same values.
func FuzzDecodeOrders(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Add(fakePage(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mk := range []func() any{func() any { return &ordersPage{} }, func() any { return &orderEnvelope{} }} {
			fast := mk()
			if fastDecode(b, fast) != nil {
				continue
			}
			std := mk()
			if err := json.Unmarshal(b, std); err != nil {
				t.Fatalf("fast decoder accepted what encoding/json rejects (%v): %q", err, b)
			}
			if !reflect.DeepEqual(fast, std) {
				t.Fatalf("decoders disagree on %q:\nfast %+v\n std %+v", b, fast, std)
			}
		}
	})
}

// fakePage is a full (unprojected) orders page as shopifyfake renders it.
func fakePage(t testing.TB) []byte {
	f := shopifyfake.New(shopifyfake.Options{})
	defer f.Close()
	if err := f.AddOrders(benchOrders(5)...); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.URL()+"/admin/api/"+DefaultAPIVersion+"/orders.json?status=any", nil)
	req.Header.Set("X-Shopify-Access-Token", f.AccessToken())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestDecodeOrdersFallsBackWithFieldPath(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"orders":[{"id":1,"total_price":199.0}]}`, `field "orders.total_price": want string, got number`},
		{`{"orders":[{"line_items":[{"quantity":"2"}]}]}`, `field "orders.line_items.quantity": want integer, got string`},
		{`{"orders":[{"id":1,`, "malformed JSON"},
	} {
		var p ordersPage
		err := decodeOrders("shopify.list_orders", []byte(tc.body), &p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decodeOrders(%s) = %v, want %q", tc.body, err, tc.want)
		}
	}
	// Bodies the fast path declines but encoding/json accepts decode the same.
	for _, body := range []string{`{"orders":[{"ID":7}]}`, `{"orders":[{"name":"a\u00e9"}]}`} {
		var p ordersPage
		if err := decodeOrders("x", []byte(body), &p); err != nil || len(p.Orders) != 1 {
			t.Errorf("decodeOrders(%s) = %+v, %v", body, p, err)
		}
	}
	if got := fakePage(t); fastDecode(got, &ordersPage{}) != nil {
		t.Errorf("the fast path declined a plain fake page")
	}
}

// TestMappedOrdersDoNotKeepThePage checks that no string of a mapped order
// points into the page body: the decoder hands the mapping views into the
// body for the fields it only parses (wire.go), and one such string kept in
// an order would keep the whole page alive with it.
func TestMappedOrdersDoNotKeepThePage(t *testing.T) {
	c, err := New(Options{Settings: httpclient.Settings{APIURL: "http://127.0.0.1:1"}, AccessToken: "shpat_x"})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{
		"fake page": fakePage(t),
		"edge values": []byte(`{"orders":[{"id":7,"name":"#7","created_at":"2026-03-01T10:00:00+08:00",` +
			`"updated_at":"2026-03-01T11:00:00Z","processed_at":"2026-03-01T10:05:00Z","cancelled_at":"2026-03-01T11:00:00Z",` +
			`"closed_at":"2026-03-01T11:00:00Z","currency":"XYZ","total_price":"10.00","financial_status":"paid",` +
			`"fulfillment_status":"partial","customer_locale":"fr","gateway":"cash_on_delivery",` +
			`"payment_gateway_names":["gift_card","Cash on Delivery (COD)"],` +
			`"customer":{"first_name":"Zoé","last_name":"","email":"z@example.com","phone":"+33 1 23 45 67 89"},` +
			`"shipping_address":{"first_name":"Zoé","name":"","address1":"1 Rue","city":"Paris","country_code":"fr","zip":"75001","province_code":"IDF"},` +
			`"line_items":[{"id":1,"sku":"A","title":"","name":"Tea","quantity":2,"price":"5.00","fulfillment_status":"fulfilled","requires_shipping":true}],` +
			`"fulfillments":[{"id":1,"status":"success","created_at":"2026-03-01T10:30:00Z","tracking_company":"some-carrier",` +
			`"tracking_numbers":["T1 "],"line_items":[{"id":1,"quantity":1}]}],` +
			`"refunds":[{"id":1,"transactions":[{"kind":"refund","status":"success","amount":"1.00","currency":"eur"}]}]}]}`),
	}
	for name, body := range bodies {
		var p ordersPage
		if err := decodeOrders("test", body, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.Orders) == 0 {
			t.Fatalf("%s: no orders", name)
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
		hi := lo + uintptr(len(body))
		for i := range p.Orders {
			o, err := c.order("test", "orders", &p.Orders[i])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			walkStrings(reflect.ValueOf(o), "order", func(path, s string) {
				if ptr := uintptr(unsafe.Pointer(unsafe.StringData(s))); len(s) > 0 && ptr >= lo && ptr < hi {
					t.Errorf("%s: %s = %q points into the page body", name, path, s)
				}
			})
		}
	}
}

// walkStrings calls fn for every string reachable from v (structs, slices,
// pointers).
func walkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, fn)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]", fn)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	}
}

// TestReusedPageMapsLikeAFreshOne decodes pages into one reused ordersPage, as
// ListOrders does, and checks every order maps as from a fresh page: nothing
// of a previous, fuller page leaks into a sparser one.
func TestReusedPageMapsLikeAFreshOne(t *testing.T) {
	c, err := New(Options{Settings: httpclient.Settings{APIURL: "http://127.0.0.1:1"}, AccessToken: "shpat_x"})
	if err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{
		fakePage(t),
		[]byte(`{"orders":[{"id":1,"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z","currency":"USD"},` +
			`{"id":2,"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z","line_items":null}]}`),
		fakePage(t),
		[]byte(`{"orders":[{"id":3,"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z","line_items":[{"id":9,"quantity":1}]}]}`),
		[]byte(`{"orders":[]}`),
	}
	mapAll := func(p *ordersPage) []orderbot.Order {
		var out []orderbot.Order
		for i := range p.Orders {
			o, err := c.order("test", "orders", &p.Orders[i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		return out
	}
	var reused ordersPage
	for i, body := range bodies {
		reused.reset()
		if err := decodeOrders("test", body, &reused); err != nil {
			t.Fatal(err)
		}
		var fresh ordersPage
		if err := decodeOrders("test", body, &fresh); err != nil {
			t.Fatal(err)
		}
		if got, want := mapAll(&reused), mapAll(&fresh); !reflect.DeepEqual(got, want) {
			t.Fatalf("page %d mapped from a reused page:\n got %+v\nwant %+v", i, got, want)
		}
	}
}
