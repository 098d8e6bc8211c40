package shopifyfake

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

func TestEncodeOrderMatchesEncodingJSON(t *testing.T) {
	s := New(Options{Timezone: time.FixedZone("", 8*3600)})
	defer s.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full := orderbot.Order{
		ID: "1", Name: "#1", Status: orderbot.OrderCancelled, Financial: orderbot.FinancialRefunded,
		Fulfillment: orderbot.FulfillmentPartial, Total: orderbot.Money{Minor: 123456, Currency: "USD"},
		Refunded: orderbot.Money{Minor: 100, Currency: "USD"}, PaymentMethod: orderbot.PayCashOnDelivery,
		Customer: orderbot.Customer{Name: "Zoë <b>&\"quoted\"\\ \u2028 \x01", Email: "z@example.com", Phone: "+1", Locale: "fr"},
		ShippingAddress: orderbot.Address{Name: "Zoë", Line1: "1 Rue", City: "Paris", Country: "FR", PostalCode: "75001",
			Line2: "bad \xff utf8"},
		RequiresShipping: true,
		Lines: []orderbot.LineItem{{SKU: "A", Title: "Tab\there", Quantity: 3, Fulfilled: 1, Price: orderbot.Money{Minor: 5, Currency: "USD"}},
			{SKU: "B", Quantity: 1}},
		Shipments: []orderbot.ShipmentRef{{TrackingNumber: "T1", Carrier: "ups", ShippedAt: at}, {TrackingNumber: "T2", Carrier: "local"}},
		CreatedAt: at, UpdatedAt: at.Add(time.Hour), PaidAt: at, ShippedAt: at, CancelledAt: at.Add(time.Hour), Test: true,
	}
	bare := orderbot.Order{ID: "2", Total: orderbot.Money{Minor: 0, Currency: "JPY"}, CreatedAt: at, UpdatedAt: at}
	if err := s.AddOrders(full, bare); err != nil {
		t.Fatal(err)
	}
	for _, o := range []orderbot.Order{full, bare} {
		id := int64(1)
		if o.ID == "2" {
			id = 2
		}
		s.mu.Lock()
		wo := s.renderOrder(&o, id)
		s.mu.Unlock()
		want, err := json.Marshal(wo)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendOrder(nil, &wo, nil); string(got) != string(want) {
			t.Fatalf("order %s:\n got %s\nwant %s", o.ID, got, want)
		}
		sel := "id,name,customer,line_items,fulfillments,refunds,total_price,cancelled_at"
		wantSel, _ := json.Marshal(project([]wireOrder{wo}, sel)[0])
		var a, b map[string]any
		json.Unmarshal(appendOrder(nil, &wo, parseFields(sel)), &a)
		json.Unmarshal(wantSel, &b)
		ga, _ := json.Marshal(a)
		gb, _ := json.Marshal(b)
		if string(ga) != string(gb) {
			t.Fatalf("order %s with fields:\n got %s\nwant %s", o.ID, ga, gb)
		}
		// What listings serve: the encoding made when the order was stored,
		// cut to the selection, is byte for byte appendOrder's.
		s.mu.Lock()
		enc := s.orders[id].enc
		s.mu.Unlock()
		for _, fields := range []string{"", sel, "refunds", "id", "nothing_known", "id,,name, test ,billing_address,"} {
			want := appendOrder(nil, &wo, parseFields(fields))
			if got := enc.appendTo(nil, maskOf(parseFields(fields))); string(got) != string(want) {
				t.Fatalf("order %s stored encoding, fields %q:\n got %s\nwant %s", o.ID, fields, got, want)
			}
			if n := len(enc.appendTo(nil, maskOf(parseFields(fields)))); n > enc.size() {
				t.Fatalf("order %s, fields %q: %d bytes, size() says at most %d", o.ID, fields, n, enc.size())
			}
		}
	}
}
