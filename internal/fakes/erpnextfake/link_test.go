package erpnextfake

import (
	"net/url"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

// Sales Orders carry the link fields an integration fills (po_no, custom
// fields) in the single-document GET and as list columns and filters, and
// every Float is written with a decimal point as Python's json writes it.
func TestLinkFieldsAndFloats(t *testing.T) {
	s := New(Options{CustomFields: []string{"custom_shopify_order_id"}})
	defer s.Close()
	o := orderbot.Order{ID: "SAL-ORD-2024-00001", Status: orderbot.OrderProcessing, UpdatedAt: t0, RequiresShipping: true,
		Total: orderbot.Money{Minor: 19900, Currency: "USD"},
		Lines: []orderbot.LineItem{{SKU: "MUG", Quantity: 2, Price: orderbot.Money{Minor: 9950, Currency: "USD"}}}}
	if err := s.AddSalesOrders(SalesOrder{Order: o, PoNo: "#1001", Custom: map[string]string{"custom_shopify_order_id": "5300000001"}},
		SalesOrder{Order: orderbot.Order{ID: "SAL-ORD-2024-00002", UpdatedAt: t0.Add(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSalesOrders(SalesOrder{Order: o, Custom: map[string]string{"custom_other": "x"}}); err == nil {
		t.Fatal("an undeclared custom field was accepted")
	}
	code, body := get(t, s, "/api/resource/Sales%20Order/SAL-ORD-2024-00001", nil)
	doc := string(body)
	for _, want := range []string{`"po_no":"#1001"`, `"custom_shopify_order_id":"5300000001"`, `"grand_total":199.0`, `"qty":2.0`, `"rate":99.5`, `"per_delivered":0.0`} {
		if code != 200 || !strings.Contains(doc, want) {
			t.Errorf("document lacks %s: %d %s", want, code, doc)
		}
	}
	_, body = get(t, s, "/api/resource/Sales%20Order/SAL-ORD-2024-00002", nil)
	if !strings.Contains(string(body), `"custom_shopify_order_id":null`) || !strings.Contains(string(body), `"po_no":null`) {
		t.Errorf("empty link fields are not null: %s", body)
	}
	q := url.Values{"fields": {`["name","po_no","custom_shopify_order_id","grand_total"]`},
		"filters": {`[["custom_shopify_order_id","=","5300000001"]]`}}
	code, body = get(t, s, "/api/resource/Sales%20Order", q)
	if code != 200 || string(body) != `{"data":[{"name":"SAL-ORD-2024-00001","po_no":"#1001","custom_shopify_order_id":"5300000001","grand_total":199.0}]}` {
		t.Errorf("list by custom field: %d %s", code, body)
	}
}
