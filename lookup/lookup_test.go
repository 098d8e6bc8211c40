package lookup

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/memory"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

func TestFindOrder(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	st, err := store.New(ctx, srv.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	mk := func(id, phone, email string, created time.Time) orderbot.Order {
		return orderbot.Order{ID: id, Name: "#" + id, Source: "shop", Status: orderbot.OrderProcessing,
			Financial: orderbot.FinancialPaid, Total: orderbot.Money{Minor: 100, Currency: "CNY"},
			Customer: orderbot.Customer{Phone: phone, Email: email}, CreatedAt: created, UpdatedAt: created,
			Shipments: []orderbot.ShipmentRef{{TrackingNumber: "YT" + id, Carrier: "yuantong"}}}
	}
	older := mk("1001", "+86 138-1234-5678", "Li.Lei@Example.com", now.Add(-48*time.Hour))
	newer := mk("1002", "13812345678", "other@example.com", now.Add(-time.Hour))
	if err := st.SaveOrders(ctx, []orderbot.Order{older, newer}); err != nil {
		t.Fatal(err)
	}
	if err := st.IndexContacts(ctx, []orderbot.Order{older, newer}); err != nil {
		t.Fatal(err)
	}
	st.SaveShipments(ctx, []orderbot.Shipment{{TrackingNumber: "YT1001", Carrier: "yuantong", OrderID: "1001", Status: orderbot.ShipInTransit}})
	st.SavePayments(ctx, []orderbot.Payment{{ID: "pi_1", OrderID: "1001", Status: orderbot.PaymentSucceeded, Amount: older.Total}})
	st.UpsertTickets(ctx, []store.Upsert{{Anomaly: orderbot.Anomaly{Kind: orderbot.ShippingStalled, Subject: "1001", OrderID: "1001",
		Severity: orderbot.SeverityMedium, Department: "logistics", DetectedAt: now}}})

	remote := memory.New("shop", orderbot.SideShop)
	remote.PutOrders(mk("9009", "", "", now.Add(-90*24*time.Hour)))
	d := &Directory{Store: st, Sources: []orderbot.OrderSource{remote}}

	tests := []struct {
		query, want string
	}{
		{"1001", "1001"},
		{"#1001", "1001"},
		{"YT1001", "1001"},             // tracking number
		{"li.lei@example.com", "1001"}, // email, any case
		{"+86 13812345678", "1002"},    // phone: the most recent of two orders
		{"9009", "9009"},               // not cached: asked from the shop
	}
	for _, tt := range tests {
		v, err := d.FindOrder(ctx, tt.query)
		if err != nil || v.Order.ID != tt.want {
			t.Errorf("FindOrder(%q) = %s, %v; want %s", tt.query, v.Order.ID, err, tt.want)
		}
	}
	v, err := d.FindOrder(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Payments) != 1 || len(v.Shipments) != 1 || v.Shipments[0].Status != orderbot.ShipInTransit || len(v.Tickets) != 1 {
		t.Fatalf("view = %d payments, %+v shipments, %d tickets", len(v.Payments), v.Shipments, len(v.Tickets))
	}
	for _, q := range []string{"", "nothing-like-this", string(make([]byte, 300))} {
		if _, err := d.FindOrder(ctx, q); !orderbot.IsKind(err, orderbot.KindNotFound) && !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("FindOrder(%q) err = %v, want not found or invalid", q, err)
		}
	}
}
