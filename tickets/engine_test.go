package tickets

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func newEngine(t *testing.T) (*Engine, *store.Store) {
	e, st, _ := newEngineClock(t, nil)
	return e, st
}

// clock is a settable test clock shared by the store and the engine.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newEngineClock returns an engine (with settings, or the defaults) on a fresh
// Redis, and the clock both it and its store read.
func newEngineClock(t *testing.T, settings map[orderbot.Kind]orderbot.KindSettings) (*Engine, *store.Store, *clock) {
	t.Helper()
	srv := redistest.Start(t)
	c := &clock{t: t0}
	st, err := store.New(context.Background(), srv.Client(t), store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return New(st, Options{Now: c.now, Settings: settings}), st, c
}

// paidUnrecorded is a snapshot where order o1 is unpaid in the shop while the
// provider captured its payment 20 minutes ago.
func snapshot(orderPaid bool) *detect.Snapshot { return snapshotAt(t0, orderPaid) }

// snapshotAt is snapshot evaluated at now (the payment stays 20 minutes
// before t0).
func snapshotAt(now time.Time, orderPaid bool) *detect.Snapshot {
	o := orderbot.Order{ID: "o1", Source: "shop", Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPending,
		Fulfillment: orderbot.FulfillmentUnfulfilled, Total: orderbot.Money{Minor: 1000, Currency: "USD"},
		PaymentMethod: orderbot.PayCard, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Minute),
		Customer: orderbot.Customer{Email: "a@example.com"}}
	if orderPaid {
		o.Financial, o.PaidAt = orderbot.FinancialPaid, t0.Add(-time.Minute)
	}
	return &detect.Snapshot{
		Now:    now,
		Orders: []orderbot.Order{o},
		Payments: map[string][]orderbot.Payment{"o1": {{ID: "pi_1", OrderID: "o1", Status: orderbot.PaymentSucceeded,
			Amount: orderbot.Money{Minor: 1000, Currency: "USD"}, CreatedAt: t0.Add(-20 * time.Minute)}}},
		StockSKUs: []string{},
		Coverage:  map[orderbot.DataSet]time.Time{orderbot.DataOrders: now, orderbot.DataPayments: now, orderbot.DataTracking: now},
	}
}

func TestUpsertComputesSLATargets(t *testing.T) {
	e, _ := newEngine(t)
	ks, _ := orderbot.DefaultSettings(orderbot.CustomerInvalidAddr)
	shipBy := t0.Add(30 * time.Hour)
	tests := []struct {
		name        string
		a           orderbot.Anomaly
		ack, resolv time.Time
	}{
		{"fixed targets", orderbot.Anomaly{Kind: orderbot.PaymentUnrecorded, Subject: "o1", DetectedAt: t0},
			t0.Add(15 * time.Minute), t0.Add(2 * time.Hour)},
		{"resolve by ship-by", orderbot.Anomaly{Kind: orderbot.CustomerInvalidAddr, Subject: "o2", DetectedAt: t0, Deadline: shipBy},
			t0.Add(ks.AckSLA), shipBy},
		{"no ship-by known falls back to the ack target", orderbot.Anomaly{Kind: orderbot.CustomerInvalidAddr, Subject: "o3", DetectedAt: t0},
			t0.Add(ks.AckSLA), t0.Add(ks.AckSLA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := e.upsertFor(tt.a)
			if !u.AckDue.Equal(tt.ack) || !u.ResolveDue.Equal(tt.resolv) {
				t.Fatalf("ack %v resolve %v, want %v %v", u.AckDue, u.ResolveDue, tt.ack, tt.resolv)
			}
			if u.ReopenWithin != 24*time.Hour {
				t.Fatalf("reopen window %v", u.ReopenWithin)
			}
		})
	}
}

// With the default flap guard of payment.unrecorded (open after 2
// evaluations, resolve after 2), the first evaluation only counts, the second
// opens, and the ticket auto-resolves on the second evaluation that finds the
// payment recorded.
func TestApplyOpensOnceAndAutoResolves(t *testing.T) {
	e, st, c := newEngineClock(t, nil)
	ctx := context.Background()
	det := detect.New(orderbot.DefaultKindSettings(), detect.Options{})
	apply := func(paid bool) []Change {
		t.Helper()
		c.t = c.t.Add(time.Minute)
		ch, err := e.Apply(ctx, det.Run(snapshotAt(c.t, paid)))
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}

	if ch := apply(false); len(ch) != 1 || ch[0].Change != store.ChangePending || ch[0].Ticket.ID != "" {
		t.Fatalf("first evaluation = %+v, want one pending", ch)
	}
	ch := apply(false)
	if len(ch) != 1 || ch[0].Change != store.ChangeOpened || ch[0].Ticket.Kind != orderbot.PaymentUnrecorded {
		t.Fatalf("changes = %+v, want one opened payment.unrecorded", ch)
	}
	// The payment's age in the text moved: the card is refreshed, nothing opens.
	if ch := apply(false); len(ch) != 1 || ch[0].Ticket.ID != "T1" ||
		(ch[0].Change != store.ChangeRecurred && ch[0].Change != store.ChangeUpdated) {
		t.Fatalf("third apply = %+v; want one recurrence", ch)
	}
	// The order was marked paid: the ticket clears on the second look.
	if ch := apply(true); len(ch) != 1 || ch[0].Change != ChangeClearing {
		t.Fatalf("first apply after payment recorded = %+v, want clearing", ch)
	}
	ch = apply(true)
	if len(ch) != 1 || ch[0].Change != store.ChangeAutoResolved {
		t.Fatalf("apply after payment recorded = %+v, want auto_resolved", ch)
	}
	tk, _ := st.GetByFingerprint(ctx, orderbot.Fingerprint(orderbot.PaymentUnrecorded, "o1"))
	if tk.State != orderbot.StateResolved || tk.Resolution == nil || !tk.Resolution.Auto || tk.Resolution.Code != AutoResolveCode {
		t.Fatalf("ticket = %+v", tk)
	}
}

// A subject the cycle did not evaluate (no coverage of its data) is left alone.
func TestApplyDoesNotResolveWhatWasNotEvaluated(t *testing.T) {
	e, st, c := newEngineClock(t, nil)
	ctx := context.Background()
	det := detect.New(orderbot.DefaultKindSettings(), detect.Options{})
	for range 2 {
		c.t = c.t.Add(time.Minute)
		if _, err := e.Apply(ctx, det.Run(snapshotAt(c.t, false))); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		c.t = c.t.Add(time.Minute)
		blind := snapshotAt(c.t, true)
		delete(blind.Coverage, orderbot.DataPayments)
		if _, err := e.Apply(ctx, det.Run(blind)); err != nil {
			t.Fatal(err)
		}
	}
	tk, _ := st.GetByFingerprint(ctx, orderbot.Fingerprint(orderbot.PaymentUnrecorded, "o1"))
	if !tk.State.Active() {
		t.Fatalf("ticket resolved by a cycle that could not see payments: %+v", tk)
	}
}

type finder struct {
	o  orderbot.Order
	sh []orderbot.Shipment
}

func (f finder) FindOrderWithShipments(_ context.Context, ref string) (orderbot.Order, []orderbot.Shipment, error) {
	if ref != f.o.ID {
		return orderbot.Order{}, nil, orderbot.Errorf(orderbot.KindNotFound, "test", "no order matches that reference")
	}
	return f.o, f.sh, nil
}

func TestOpenManual(t *testing.T) {
	e, st := newEngine(t)
	ctx := context.Background()
	o := snapshot(true).Orders[0]
	o.Customer.Phone = "+8613812345678"
	o.ShippingAddress = orderbot.Address{Line1: "1 Secret Road", City: "Shanghai", Country: "CN"}
	m := &Manual{Engine: e, Orders: finder{o: o, sh: []orderbot.Shipment{{TrackingNumber: "SF1", Carrier: "sf-express", Status: orderbot.ShipDelivered}}}}

	tk, err := m.OpenManual(ctx, "o1", orderbot.ShippingNotReceived, "customer called", "U1")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Kind != orderbot.ShippingNotReceived || tk.Subject != "o1" || tk.Department != "support" {
		t.Fatalf("ticket = %+v", tk)
	}
	facts := ""
	for _, f := range tk.Facts {
		facts += f.Label + "=" + f.Value + ";"
	}
	if strings.Contains(facts, "13812345678") || strings.Contains(facts, "Secret Road") || !strings.Contains(facts, "SF1") {
		t.Fatalf("facts leak contact data or miss the parcel: %s", facts)
	}
	audit, err := st.Audit(ctx, tk.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, a := range audit {
		noted = noted || (a.Actor == "U1" && strings.Contains(a.Detail, "customer called"))
	}
	if !noted {
		t.Fatalf("note not in audit: %+v", audit)
	}

	for _, tt := range []struct {
		ref  string
		kind orderbot.Kind
		want orderbot.ErrorKind
	}{
		{"o1", "shipping.teleported", orderbot.KindInvalid},
		{"o1", orderbot.PaymentMissing, orderbot.KindInvalid}, // detected kinds are not opened by hand
		{"nope", orderbot.ShippingNotReceived, orderbot.KindNotFound},
	} {
		_, err := m.OpenManual(ctx, tt.ref, tt.kind, "", "U1")
		if !orderbot.IsKind(err, tt.want) {
			t.Errorf("OpenManual(%s, %s) = %v, want kind %s", tt.ref, tt.kind, err, tt.want)
		}
		var e *orderbot.Error
		if errors.As(err, &e) && strings.TrimSpace(e.Msg) == "" {
			t.Errorf("error without a message for the user: %v", err)
		}
	}
}
