package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/internal/fakes/memory"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/orderbot/orderbot/tickets"
)

// A healthy shop with the default configuration opens nothing over three days
// of polls every ten minutes, with the traps of issue 10: ERP stock untouched for days whose
// quantity agrees with the shop, a card payment authorised and captured (when
// it ships) well within the capture window, and a shipped order whose parcel
// is in transit for days.
func TestHealthyShopOpensNothing(t *testing.T) {
	srv := redistest.Start(t)
	t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	st, err := store.New(context.Background(), srv.Client(t), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	shop, stripe := memory.New("shopify", orderbot.SideShop), memory.New("stripe", "")
	erp, courier := memory.New("erpnext", orderbot.SideERP), memory.New("aftership", "")
	settings := orderbot.DefaultKindSettings()
	p := &Poller{
		Store:    st,
		Detector: detect.New(settings, detect.Options{}),
		Engine:   tickets.New(st, tickets.Options{Settings: settings, Now: clk.Now}),
		Sources: []Source{
			{Name: "shopify", Orders: shop, Inventory: shop},
			{Name: "stripe", Payments: stripe},
			{Name: "erpnext", Inventory: erp},
			{Name: "aftership", Tracking: memory.Lister{Source: courier}},
		},
		Now: clk.Now,
	}
	ctx := context.Background()

	// Stock: ERPNext Bins last touched four days ago; the shop shows what is
	// free to sell (ERP available less what open orders reserve).
	days := func(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }
	for i, sku := range []string{"MUG-1", "TEE-M", "CAP-9"} {
		erp.PutStock(orderbot.StockLevel{SKU: sku, Location: "Stores - WH", Available: int64(40 + i), OnHand: int64(40 + i),
			Reserved: 1, UpdatedAt: t0.Add(-days(4))})
		shop.PutStock(orderbot.StockLevel{SKU: sku, Available: int64(39 + i), UpdatedAt: t0.Add(-days(4))})
	}
	base := func(id, sku string) orderbot.Order {
		return orderbot.Order{ID: id, Source: "shopify", Name: "#" + id, Status: orderbot.OrderProcessing,
			Financial: orderbot.FinancialPaid, Fulfillment: orderbot.FulfillmentUnfulfilled,
			Total: orderbot.Money{Minor: 2500, Currency: "USD"}, PaymentMethod: orderbot.PayCard,
			Customer:         orderbot.Customer{Phone: "+14155552671", Email: "a@example.com", Locale: "en", Timezone: "America/New_York"},
			ShippingAddress:  orderbot.Address{Line1: "1 Main St", City: "San Francisco", Province: "CA", PostalCode: "94105", Country: "US"},
			RequiresShipping: true, Lines: []orderbot.LineItem{{SKU: sku, Quantity: 1}},
			CreatedAt: t0, UpdatedAt: t0, PaidAt: t0, StatusSince: t0}
	}
	// Order 1 is authorised (manual capture) and captured when it ships a
	// day and a half later, well within five days.
	auth := base("1", "MUG-1")
	auth.Financial, auth.PaidAt = orderbot.FinancialAuthorized, time.Time{}
	shop.PutOrders(auth)
	stripe.PutPayments(orderbot.Payment{ID: "pi_1", Provider: "stripe", OrderID: "1", Amount: auth.Total,
		Status: orderbot.PaymentAuthorized, CreatedAt: t0})
	// Order 2 ships at once; its parcel is in transit for the whole run.
	inTransit := base("2", "TEE-M")
	inTransit.Fulfillment, inTransit.ShippedAt = orderbot.FulfillmentFulfilled, t0
	inTransit.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "1ZTRANSIT", Carrier: "ups", ShippedAt: t0}}
	inTransit.Lines[0].Fulfilled = 1
	shop.PutOrders(inTransit)
	stripe.PutPayments(orderbot.Payment{ID: "pi_2", Provider: "stripe", OrderID: "2", Amount: inTransit.Total,
		Status: orderbot.PaymentSucceeded, CreatedAt: t0})
	parcel := func(at time.Time) orderbot.Shipment {
		return orderbot.Shipment{TrackingNumber: "1ZTRANSIT", Carrier: "ups", OrderID: "2", Status: orderbot.ShipInTransit,
			Checkpoints: []orderbot.Checkpoint{{Time: at, Location: "Reno, NV", Message: "In transit", Status: orderbot.ShipInTransit}},
			LastEventAt: at, PickedUpAt: t0.Add(time.Hour), ExpectedDelivery: t0.Add(days(8))}
	}

	for step := 0; clk.Now().Before(t0.Add(days(3))); step++ {
		clk.Add(10 * time.Minute)
		now := clk.Now()
		// The carrier scans the parcel twice a day.
		if step%72 == 0 {
			courier.PutShipments(parcel(now.Add(-time.Minute)))
		}
		if now.Equal(t0.Add(36 * time.Hour)) {
			// The shop captures as it fulfils; Stripe's intent, created when the
			// card was authorised, is captured with it and is not listed again
			// by creation time: only following the authorisation shows it.
			at := now.Add(-time.Minute)
			auth.Financial, auth.PaidAt = orderbot.FinancialPaid, at
			auth.Fulfillment, auth.ShippedAt, auth.UpdatedAt = orderbot.FulfillmentFulfilled, at, at
			auth.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "1ZAUTH", Carrier: "ups", ShippedAt: at}}
			auth.Lines[0].Fulfilled = 1
			shop.PutOrders(auth)
			stripe.PutPayments(orderbot.Payment{ID: "pi_1", Provider: "stripe", OrderID: "1", Amount: auth.Total,
				Status: orderbot.PaymentSucceeded, CreatedAt: t0})
			d := parcel(now)
			d.TrackingNumber, d.OrderID, d.Status, d.DeliveredAt = "1ZAUTH", "1", orderbot.ShipDelivered, now.Add(time.Hour)
			courier.PutShipments(d)
		}
		reps, err := p.PollAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, rep := range reps {
			for _, a := range rep.Anomalies {
				t.Errorf("%s: %s found on a healthy shop: %s", now.Format("Jan 2 15:04"), a.Kind, a.Summary)
			}
		}
		if t.Failed() {
			return
		}
	}
	n, err := st.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for state, c := range n {
		if c != 0 {
			t.Errorf("%d %s tickets on a healthy shop", c, state)
		}
	}
}
