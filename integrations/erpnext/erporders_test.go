package erpnext_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
)

// ListERPOrders reads the link field of each Sales Order (po_no or a custom
// field) through the single-document GET, with lines, Float totals and
// site-zone datetimes, in modified order; an unlinked Sales Order is no shop
// order's record.
func TestListERPOrders(t *testing.T) {
	srv := erpnextfake.New(erpnextfake.Options{APIKey: "key-123", APISecret: "sec-456", Location: shanghai,
		CustomFields: []string{"custom_shopify_order_id"}})
	t.Cleanup(srv.Close)
	mk := func(name string, min int) orderbot.Order {
		return orderbot.Order{ID: name, Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPaid, Fulfillment: orderbot.FulfillmentPartial, RequiresShipping: true,
			Total:     orderbot.Money{Minor: 19900, Currency: "USD"},
			Lines:     []orderbot.LineItem{{SKU: "MUG", Quantity: 2, Fulfilled: 1, Price: orderbot.Money{Minor: 9950, Currency: "USD"}}},
			UpdatedAt: t0.Add(time.Duration(min) * time.Minute), CreatedAt: t0}
	}
	if err := srv.AddSalesOrders(
		erpnextfake.SalesOrder{Order: mk("SAL-ORD-3", 3), PoNo: "#1003"},
		erpnextfake.SalesOrder{Order: mk("SAL-ORD-1", 1), Custom: map[string]string{"custom_shopify_order_id": "5300000001"}, PoNo: "#1001"},
		erpnextfake.SalesOrder{Order: mk("SAL-ORD-2", 2)}, // entered in the ERP only
	); err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t, srv, func(o *erpnext.Options) {
		o.Links = []orderbot.OrderLink{
			{Shop: "shop-us", Field: "custom_shopify_order_id", Holds: orderbot.LinkID},
			{Shop: "shop-eu", Field: "po_no", Holds: orderbot.LinkName},
		}
	})
	var got []orderbot.ErpOrder
	err := c.ListERPOrders(context.Background(), orderbot.Window{From: t0, To: t0.Add(time.Hour)}, func(p []orderbot.ErpOrder) error {
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d records, want the 2 linked ones: %+v", len(got), got)
	}
	first, second := got[0], got[1]
	if first.ID != "SAL-ORD-1" || first.Link != (orderbot.OrderRef{Shop: "shop-us", Holds: orderbot.LinkID, Value: "5300000001"}) {
		t.Errorf("first %+v", first)
	}
	if second.ID != "SAL-ORD-3" || second.Link != (orderbot.OrderRef{Shop: "shop-eu", Holds: orderbot.LinkName, Value: "#1003"}) {
		t.Errorf("second %+v", second)
	}
	if !first.Modified.Equal(t0.Add(time.Minute)) || first.Source != "erp" || first.Total.Minor != 19900 ||
		len(first.Lines) != 1 || first.Lines[0].Quantity != 2 || first.Lines[0].Fulfilled != 1 || first.Fulfillment != orderbot.FulfillmentPartial {
		t.Errorf("mapping %+v", first)
	}
	if _, err := erpnext.New(erpnext.Options{Settings: httpclient.Settings{APIURL: srv.URL()}, APIKey: "k", APISecret: "s", Links: []orderbot.OrderLink{{Field: "po_no", Holds: "number"}}}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("a bad link was accepted: %v", err)
	}
}
