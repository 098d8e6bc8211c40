package lookup

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/memory"
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

// The record cache keeps a parcel's newest checkpoint only; viewing the order
// asks the tracker for the whole timeline. A tracker that fails or does not
// know the parcel leaves the cached one.
func TestFindOrderShowsTheWholeTimeline(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	st, err := store.New(ctx, srv.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	o := orderbot.Order{ID: "2001", Name: "#2001", Source: "shop", Status: orderbot.OrderProcessing,
		Financial: orderbot.FinancialPaid, Total: orderbot.Money{Minor: 100, Currency: "CNY"}, CreatedAt: now, UpdatedAt: now,
		Shipments: []orderbot.ShipmentRef{{TrackingNumber: "YT2001", Carrier: "yuantong"}, {TrackingNumber: "YT2002", Carrier: "yuantong"}}}
	cps := []orderbot.Checkpoint{
		{Time: now.Add(-3 * time.Hour), Status: orderbot.ShipPickedUp, Message: "picked up"},
		{Time: now.Add(-2 * time.Hour), Status: orderbot.ShipInTransit, Message: "left Shanghai hub"},
		{Time: now.Add(-time.Hour), Status: orderbot.ShipInTransit, Message: "arrived Hangzhou hub"},
	}
	full := orderbot.Shipment{TrackingNumber: "YT2001", Carrier: "yuantong", OrderID: "2001", Status: orderbot.ShipInTransit, Checkpoints: cps}
	other := orderbot.Shipment{TrackingNumber: "YT2002", Carrier: "yuantong", OrderID: "2001", Status: orderbot.ShipInTransit, Checkpoints: cps[:1]}
	if err := st.SaveOrders(ctx, []orderbot.Order{o}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveShipments(ctx, []orderbot.Shipment{full, other}); err != nil {
		t.Fatal(err)
	}
	cached := &Directory{Store: st}
	v, err := cached.FindOrder(ctx, "2001")
	if err != nil || len(v.Shipments) != 2 || len(v.Shipments[0].Checkpoints) != 1 {
		t.Fatalf("cached view = %+v, %v; want two parcels, the newest checkpoint only", v.Shipments, err)
	}
	tracker := memory.New("kd", "")
	tracker.PutShipments(full) // knows YT2001 only
	live := &Directory{Store: st, Trackers: []orderbot.TrackingSource{tracker}}
	v, err = live.FindOrder(ctx, "2001")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Shipments[0].Checkpoints; len(got) != 3 || got[1].Message != "left Shanghai hub" {
		t.Fatalf("YT2001 timeline = %+v, want all three checkpoints", got)
	}
	if got := v.Shipments[1]; got.TrackingNumber != "YT2002" || len(got.Checkpoints) != 1 {
		t.Fatalf("YT2002 = %+v, want the cached parcel", got)
	}
}
