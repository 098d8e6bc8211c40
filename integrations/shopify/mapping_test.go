package shopify

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// These tests feed hand-written Shopify JSON (providers.md §2 shapes) to the
// mapping, independently of the fake.

func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Options{
		Settings:    httpclient.Settings{Name: "shop", APIURL: "https://acme.myshopify.com", Logger: slog.New(slog.DiscardHandler)},
		AccessToken: "shpat_x",
		CODGateways: []string{"Pay at door"}, CarrierSlugs: map[string]string{"Acme Couriers": "acme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mapJSON(t *testing.T, c *Client, body string) (orderbot.Order, error) {
	t.Helper()
	var w order
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("test JSON: %v", err)
	}
	return c.order("shopify.list_orders", "orders", &w)
}

const base = `"id":450789469,"name":"#1001","created_at":"2024-04-25T16:15:47-04:00","updated_at":"2024-04-26T10:00:00-04:00",` +
	`"processed_at":"2024-04-25T16:16:00-04:00","currency":"usd","total_price":"199.00"`

func TestPaymentMethods(t *testing.T) {
	c := testClient(t)
	for _, tc := range []struct {
		gateways string
		want     orderbot.PaymentMethod
	}{
		{`["Cash on Delivery (COD)"]`, orderbot.PayCashOnDelivery},
		{`["cash_on_delivery"]`, orderbot.PayCashOnDelivery},
		{`["COD"]`, orderbot.PayCashOnDelivery},
		{`["Pay at door"]`, orderbot.PayCashOnDelivery},
		{`["货到付款"]`, orderbot.PayCashOnDelivery},
		{`["shopify_payments"]`, orderbot.PayCard},
		{`["stripe"]`, orderbot.PayCard},
		{`["bogus"]`, orderbot.PayCard},
		{`["paypal"]`, orderbot.PayWallet},
		{`["Alipay"]`, orderbot.PayWallet},
		{`["WeChat Pay"]`, orderbot.PayWallet},
		{`["Bank Deposit"]`, orderbot.PayBankTransfer},
		{`["Money Order"]`, orderbot.PayBankTransfer},
		{`["gift_card","shopify_payments"]`, orderbot.PayCard},
		{`["gift_card"]`, orderbot.PayOther},
		{`["manual"]`, orderbot.PayOther},
		{`["decoder"]`, orderbot.PayOther}, // "cod" inside a word is not COD
		{`[]`, ""},
	} {
		o, err := mapJSON(t, c, `{`+base+`,"financial_status":"paid","payment_gateway_names":`+tc.gateways+`}`)
		if err != nil || o.PaymentMethod != tc.want {
			t.Errorf("%s: method = %q, err = %v; want %q", tc.gateways, o.PaymentMethod, err, tc.want)
		}
	}
	o, _ := mapJSON(t, c, `{`+base+`,"gateway":"Cash on Delivery (COD)"}`)
	if o.PaymentMethod != orderbot.PayCashOnDelivery {
		t.Errorf("deprecated gateway field: %q", o.PaymentMethod)
	}
}

func TestStatusDerivation(t *testing.T) {
	c := testClient(t)
	for _, tc := range []struct {
		name, fields string
		status       orderbot.OrderStatus
		financial    orderbot.FinancialStatus
		paid         bool
		since        string
	}{
		{"paid open", `"financial_status":"paid"`, orderbot.OrderProcessing, orderbot.FinancialPaid, true, ""},
		{"pending card", `"financial_status":"pending","payment_gateway_names":["shopify_payments"]`, orderbot.OrderPending, orderbot.FinancialPending, false, ""},
		{"pending COD", `"financial_status":"pending","payment_gateway_names":["Cash on Delivery (COD)"]`, orderbot.OrderProcessing, orderbot.FinancialPending, false, ""},
		{"authorized", `"financial_status":"authorized"`, orderbot.OrderProcessing, orderbot.FinancialAuthorized, false, ""},
		{"partially paid", `"financial_status":"partially_paid"`, orderbot.OrderProcessing, orderbot.FinancialPartiallyPaid, true, ""},
		{"voided", `"financial_status":"voided"`, orderbot.OrderPending, orderbot.FinancialVoided, false, ""},
		{"expired", `"financial_status":"expired"`, orderbot.OrderPending, orderbot.FinancialVoided, false, ""},
		{"unknown", `"financial_status":"something_new"`, orderbot.OrderPending, orderbot.FinancialPending, false, ""},
		{"closed", `"financial_status":"paid","closed_at":"2024-04-27T08:00:00-04:00"`, orderbot.OrderCompleted, orderbot.FinancialPaid, true, "2024-04-27T12:00:00Z"},
		{"cancelled and closed", `"financial_status":"refunded","cancelled_at":"2024-04-26T09:00:00-04:00","closed_at":"2024-04-26T09:00:01-04:00"`,
			orderbot.OrderCancelled, orderbot.FinancialRefunded, true, "2024-04-26T13:00:00Z"},
	} {
		o, err := mapJSON(t, c, `{`+base+`,`+tc.fields+`}`)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		since := ""
		if !o.StatusSince.IsZero() {
			since = o.StatusSince.Format(time.RFC3339)
		}
		if o.Status != tc.status || o.Financial != tc.financial || !o.PaidAt.IsZero() != tc.paid || since != tc.since {
			t.Errorf("%s: status %s financial %s paid_at %v since %q", tc.name, o.Status, o.Financial, o.PaidAt, since)
		}
	}
}

func TestLinesFulfillmentsRefunds(t *testing.T) {
	c := testClient(t)
	o, err := mapJSON(t, c, `{`+base+`,"financial_status":"partially_refunded","fulfillment_status":"partial",
	  "email":null,"contact_email":"bob@example.com","phone":null,"customer_locale":"en",
	  "customer":{"id":1,"email":"other@example.com","phone":null,"first_name":"Bob","last_name":"Lee"},
	  "shipping_address":{"first_name":"Bob","last_name":"Lee","name":null,"address1":"9 Rd","address2":null,"city":"Austin",
	    "province":null,"province_code":"TX","country":"United States","country_code":"us","zip":"78701","phone":"+1 512 555 0100"},
	  "line_items":[
	    {"id":1,"variant_id":11,"sku":"A","title":"Apple","quantity":3,"current_quantity":2,"price":"10.00","fulfillment_status":"partial","requires_shipping":true},
	    {"id":2,"variant_id":null,"sku":"B","title":"","name":"Banana - Large","quantity":1,"price":"5.5","fulfillment_status":"fulfilled","requires_shipping":false},
	    {"id":3,"sku":"C","title":"Cherry","quantity":4,"price":"1.00","fulfillment_status":null,"requires_shipping":true}],
	  "fulfillments":[
	    {"id":10,"status":"cancelled","created_at":"2024-04-25T17:00:00-04:00","tracking_company":"UPS","tracking_number":"VOID1","tracking_numbers":["VOID1"],"line_items":[{"id":3,"quantity":4}]},
	    {"id":11,"status":"success","created_at":"2024-04-25T18:00:00-04:00","tracking_company":"Acme Couriers","tracking_number":"AC1","tracking_numbers":[],"line_items":[{"id":1,"quantity":1}]},
	    {"id":12,"status":"success","created_at":"2024-04-25T19:00:00-04:00","tracking_company":"SF Express","tracking_number":null,"tracking_numbers":["SF1","SF2"],"line_items":[]},
	    {"id":13,"status":"open","created_at":"2024-04-25T20:00:00-04:00","tracking_company":"Some Local Post","tracking_numbers":["X1"],"line_items":[{"id":3,"quantity":1}]}],
	  "refunds":[{"id":20,"transactions":[
	    {"kind":"refund","status":"success","amount":"5.00","currency":"USD"},
	    {"kind":"refund","status":"failure","amount":"50.00"},
	    {"kind":"sale","status":"success","amount":"199.00"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	lines := []orderbot.LineItem{
		{SKU: "A", Title: "Apple", Quantity: 2, Fulfilled: 1, Price: orderbot.Money{Minor: 1000, Currency: "USD"}},
		{SKU: "B", Title: "Banana - Large", Quantity: 1, Fulfilled: 1, Price: orderbot.Money{Minor: 550, Currency: "USD"}},
		{SKU: "C", Title: "Cherry", Quantity: 4, Price: orderbot.Money{Minor: 100, Currency: "USD"}},
	}
	if js(o.Lines) != js(lines) {
		t.Errorf("lines = %s", js(o.Lines))
	}
	ships := `[{"tracking":"AC1","carrier":"acme","shipped_at":"2024-04-25T22:00:00Z"},` +
		`{"tracking":"SF1","carrier":"shunfeng","shipped_at":"2024-04-25T23:00:00Z"},{"tracking":"SF2","carrier":"shunfeng","shipped_at":"2024-04-25T23:00:00Z"}]`
	if js(o.Shipments) != ships {
		t.Errorf("shipments = %s", js(o.Shipments))
	}
	if o.ShippedAt.Format(time.RFC3339) != "2024-04-25T22:00:00Z" || o.Fulfillment != orderbot.FulfillmentPartial || !o.RequiresShipping {
		t.Errorf("shipped_at %v fulfillment %s requires %v", o.ShippedAt, o.Fulfillment, o.RequiresShipping)
	}
	if o.Refunded != (orderbot.Money{Minor: 500, Currency: "USD"}) || o.Total != (orderbot.Money{Minor: 19900, Currency: "USD"}) {
		t.Errorf("refunded %v total %v", o.Refunded, o.Total)
	}
	wantCustomer := orderbot.Customer{Name: "Bob Lee", Email: "bob@example.com", Phone: "+1 512 555 0100", Locale: "en"}
	if o.Customer != wantCustomer {
		t.Errorf("customer = %+v", o.Customer)
	}
	wantAddr := orderbot.Address{Name: "Bob Lee", Line1: "9 Rd", City: "Austin", Province: "TX", PostalCode: "78701", Country: "US", Phone: "+1 512 555 0100"}
	if o.ShippingAddress != wantAddr {
		t.Errorf("address = %+v", o.ShippingAddress)
	}
	if o.URL != "https://acme.myshopify.com/admin/orders/450789469" || o.ID != "450789469" || o.Source != "shop" {
		t.Errorf("url %s id %s source %s", o.URL, o.ID, o.Source)
	}
}

func TestCarrierSlugs(t *testing.T) {
	c := testClient(t)
	for in, want := range map[string]string{
		"UPS": "ups", "  dhl   express ": "dhl", "YTO Express": "yuantong", "ZTO Express": "zhongtong", "China Post": "youzhengguonei",
		"顺丰速运": "shunfeng", "Acme Couriers": "acme", "Other": "", "": "", "Fast Local Post": "fast-local-post",
	} {
		if got := c.carrierSlug(in); got != want {
			t.Errorf("carrierSlug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBadFieldsNameTheirPath(t *testing.T) {
	c := testClient(t)
	for _, tc := range []struct{ body, want string }{
		{`{` + strings.Replace(base, `"updated_at":"2024-04-26T10:00:00-04:00"`, `"updated_at":"yesterday"`, 1) + `}`,
			`field "orders.updated_at": want an ISO 8601 time, got "yesterday"`},
		{`{"id":1,"created_at":"2024-04-25T16:15:47-04:00","currency":"USD","total_price":"1.00"}`, `field "orders.updated_at": want an ISO 8601 time, got nothing`},
		{`{` + strings.Replace(base, `"total_price":"199.00"`, `"total_price":"19.999"`, 1) + `}`, `field "orders.total_price": want a decimal amount`},
		{`{` + base + `,"line_items":[{"id":1,"sku":"A","quantity":1,"price":"abc"}]}`, `field "orders.line_items[0].price"`},
		{`{` + base + `,"fulfillments":[{"id":1,"status":"success","created_at":"x"}]}`, `field "orders.fulfillments[0].created_at"`},
		{`{"id":0,"created_at":"2024-04-25T16:15:47-04:00","updated_at":"2024-04-25T16:15:47-04:00"}`, `field "orders.id"`},
	} {
		_, err := mapJSON(t, c, tc.body)
		if orderbot.KindOf(err) != orderbot.KindPermanent || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

func TestNextLink(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{`<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=abc>; rel="next"`}, "https://s.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=abc"},
		{[]string{`<https://s/x?page_info=p>; rel="previous", <https://s/x?page_info=n>; rel="next"`}, "https://s/x?page_info=n"},
		{[]string{`<https://s/x?page_info=p>; rel="previous"`}, ""},
		{[]string{`<https://s/x?page_info=p>; rel=previous`, `<https://s/x?page_info=n>;rel=next`}, "https://s/x?page_info=n"},
		{nil, ""},
		{[]string{`garbage`}, ""},
	} {
		if got := nextLink(tc.in); got != tc.want {
			t.Errorf("nextLink(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
