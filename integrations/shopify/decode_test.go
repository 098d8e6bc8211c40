package shopify

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/integrations/shopify/shopifyfake"
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
