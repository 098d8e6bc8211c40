package httpclient_test

import (
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

type lineItem struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

type order struct {
	ID         int64      `json:"id"`
	TotalPrice string     `json:"total_price"`
	Test       bool       `json:"test"`
	LineItems  []lineItem `json:"line_items"`
}

type ordersPage struct {
	Orders []order `json:"orders"`
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want string // substring of the error; empty means success
	}{
		{"ok", `{"orders":[{"id":1,"total_price":"1.00","line_items":[{"sku":"A","quantity":2}]}]}`, ""},
		{"unknown fields ignored", `{"orders":[],"extra":{"x":1}}`, ""},
		{"string want number", `{"orders":[{"id":1,"total_price":199.0}]}`, `shopify.list_orders: field "orders.total_price": want string, got number`},
		{"int want string", `{"orders":[{"id":"1"}]}`, `field "orders.id": want integer, got string`},
		{"nested", `{"orders":[{"id":1,"line_items":[{"sku":"A","quantity":"2"}]}]}`, `field "orders.line_items.quantity": want integer, got string`},
		{"bool", `{"orders":[{"test":"yes"}]}`, `field "orders.test": want boolean, got string`},
		{"array want object", `{"orders":{"id":1}}`, `field "orders": want array, got object`},
		{"top level", `[1,2]`, `field "(top level)": want object, got array`},
		{"malformed", `{"orders":[{"id":1,}]}`, "malformed JSON at byte"},
		{"truncated", `{"orders":[{"id":1`, "malformed JSON"},
		{"empty", ``, "malformed JSON"},
		{"html", `<html>oops</html>`, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v ordersPage
			err := httpclient.DecodeJSON("shopify.list_orders", []byte(tc.body), &v)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if orderbot.KindOf(err) != orderbot.KindPermanent {
				t.Fatalf("kind = %q, want permanent", orderbot.KindOf(err))
			}
		})
	}
}
