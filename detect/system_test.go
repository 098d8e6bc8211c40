package detect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

func onHold(id, source string, since time.Time) orderbot.Order {
	o := order(id)
	o.Source, o.Status, o.StatusSince, o.UpdatedAt = source, orderbot.OrderOnHold, since, since
	return o
}

func TestStuck(t *testing.T) {
	const h = time.Hour
	orders := []orderbot.Order{
		onHold("A", "shopify", ago(2*h)),             // exactly at the limit: stuck
		onHold("B", "shopify", ago(5*h)),             // stuck, the oldest
		onHold("C", "shopify", ago(2*h-time.Second)), // not yet
		onHold("D", "erpnext", ago(3*h)),             // stuck at another source
		func() orderbot.Order { // no StatusSince: UpdatedAt counts
			o := onHold("E", "shopify", time.Time{})
			o.UpdatedAt = ago(4 * h)
			return o
		}(),
		func() orderbot.Order { // pending for a day and more
			o := unpaid(order("F"))
			o.StatusSince = ago(25 * h)
			return o
		}(),
		cancelled(onHold("G", "shopify", ago(9*h)), ago(h)), // cancelled is terminal
	}
	var pays []orderbot.Payment
	for _, o := range orders {
		if o.Financial.Paid() {
			pays = append(pays, payment("pi_"+o.ID, o.ID, o.Total, o.PaidAt))
		}
	}
	res := run(snapshot(orders, pays, nil))
	checkFound(t, res, []found{
		{orderbot.SystemStuck, "shopify/on_hold", ""},
		{orderbot.SystemStuck, "erpnext/on_hold", ""},
		{orderbot.SystemStuck, "shopify/pending", ""},
	}, orderbot.SystemStuck)
	a := anomaly(t, res, orderbot.SystemStuck, "shopify/on_hold")
	listed := factValues(a, "Order")
	if len(listed) != 3 || !strings.HasPrefix(listed[0], "#B") || !strings.HasPrefix(listed[1], "#E") || !strings.HasPrefix(listed[2], "#A") {
		t.Errorf("stuck orders not listed oldest first: %q", listed)
	}
	if a.OrderID != "" || a.Source != "shopify" || factValue(a, "Orders stuck") != "3" || factValue(a, "Allowed") != "2h" {
		t.Errorf("anomaly %+v", a)
	}
	for _, id := range []string{"A", "B", "D", "E", "F"} {
		if got := nextChecks(res)[id]; !got.Equal(now) {
			t.Errorf("stuck order %s: NextCheck %v, want now", id, got)
		}
	}
	if got := nextChecks(res)["C"]; !got.Equal(now.Add(time.Second)) {
		t.Errorf("NextCheck[C] = %v", got)
	}
	if _, ok := nextChecks(res)["G"]; ok {
		t.Error("a cancelled order has a next check")
	}
	for subject, want := range map[string]bool{"shopify/on_hold": true, "shopify/processing": true, "erpnext/pending": true,
		"woo/on_hold": false, "nosuch": false, "/on_hold": false} {
		if got := res.WasEvaluated(orderbot.SystemStuck, subject); got != want {
			t.Errorf("WasEvaluated(stuck, %q) = %v, want %v", subject, got, want)
		}
	}

	t.Run("a snapshot without orders says nothing about stuck groups", func(t *testing.T) {
		snap := snapshot(nil, nil, nil)
		snap.Sources = []detect.SourceHealth{{Name: "stripe", ConsecutiveFailures: 5}}
		if run(snap).WasEvaluated(orderbot.SystemStuck, "shopify/on_hold") {
			t.Error("stuck group evaluated without any order of its source")
		}
	})
	t.Run("capped list", func(t *testing.T) {
		var many []orderbot.Order
		for i := 0; i < 15; i++ {
			many = append(many, onHold(string(rune('a'+i)), "shopify", ago(3*h+time.Duration(i)*time.Minute)))
		}
		res := detect.New(nil, detect.Options{MaxListed: 4}).Run(snapshot(many, nil, nil))
		a := anomaly(t, res, orderbot.SystemStuck, "shopify/on_hold")
		if n := len(factValues(a, "Order")); n != 4 || factValue(a, "More") != "and 11 more" || !strings.HasPrefix(factValues(a, "Order")[0], "#o") {
			t.Errorf("facts %+v", a.Facts)
		}
	})
	t.Run("configured limits", func(t *testing.T) {
		set := settings(withParams(orderbot.SystemStuck, func(p *orderbot.Params) {
			p.Statuses = map[orderbot.OrderStatus]time.Duration{orderbot.OrderProcessing: 90 * time.Minute}
		}))
		res := detect.New(set, detect.Options{}).Run(snapshot([]orderbot.Order{onHold("A", "shopify", ago(5*h)), order("B")},
			[]orderbot.Payment{payment("pi_A", "A", usd(100), ago(2*h)), payment("pi_B", "B", usd(100), ago(2*h))}, nil))
		checkFound(t, res, []found{{orderbot.SystemStuck, "shopify/processing", ""}}, orderbot.SystemStuck)
	})
}

func TestStateViolation(t *testing.T) {
	const h = time.Hour
	inTransit := func(tn string) orderbot.Shipment { return parcel(tn, orderbot.ShipInTransit, ago(2*h)) }
	tests := []struct {
		name  string
		order func() orderbot.Order
		pays  []orderbot.Payment
		ships []orderbot.Shipment
		want  string // a violation text, empty when none
	}{
		{"shipped and paid", func() orderbot.Order { return shipped(order("A"), ago(h), "T1") },
			[]orderbot.Payment{payment("pi_1", "A", usd(100), ago(2*h))}, []orderbot.Shipment{inTransit("T1")}, ""},
		{"shipped but unpaid", func() orderbot.Order { return shipped(unpaid(order("A")), ago(h), "T1") },
			nil, []orderbot.Shipment{inTransit("T1")}, "shipped but unpaid"},
		{"shipped while voided", func() orderbot.Order {
			o := shipped(order("A"), ago(h), "T1")
			o.Financial = orderbot.FinancialVoided
			return o
		}, nil, []orderbot.Shipment{inTransit("T1")}, "shipped but unpaid"},
		{"cash on delivery ships unpaid", func() orderbot.Order {
			o := shipped(unpaid(order("A")), ago(h), "T1")
			o.PaymentMethod, o.Status = orderbot.PayCashOnDelivery, orderbot.OrderProcessing
			return o
		}, nil, []orderbot.Shipment{inTransit("T1")}, ""},
		{"authorised payment is captured on fulfilment", func() orderbot.Order {
			o := shipped(order("A"), ago(h), "T1")
			o.Financial = orderbot.FinancialAuthorized
			return o
		}, nil, []orderbot.Shipment{inTransit("T1")}, ""},
		{"cancelled but shipped", func() orderbot.Order { return cancelled(shipped(order("A"), ago(2*h), "T1"), ago(h)) },
			nil, []orderbot.Shipment{inTransit("T1")}, "cancelled but shipped"},
		{"cancelled and the parcel is on its way back", func() orderbot.Order { return cancelled(shipped(order("A"), ago(2*h), "T1"), ago(h)) },
			nil, []orderbot.Shipment{parcel("T1", orderbot.ShipReturning, ago(h))}, ""},
		{"refunded in full but shipped", func() orderbot.Order {
			o := shipped(order("A"), ago(2*h), "T1")
			o.Financial, o.Refunded = orderbot.FinancialRefunded, usd(100)
			return o
		}, []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(3*h)), 10000, ago(h))},
			[]orderbot.Shipment{inTransit("T1")}, "refunded in full but shipped"},
		{"refunded in full and returned", func() orderbot.Order {
			o := shipped(order("A"), ago(20*h), "T1")
			o.Financial, o.Refunded = orderbot.FinancialRefunded, usd(100)
			return o
		}, []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(30*h)), 10000, ago(h))},
			[]orderbot.Shipment{parcel("T1", orderbot.ShipReturned, ago(2*h))}, ""},
		{"partially refunded and shipped is ordinary", func() orderbot.Order {
			o := shipped(order("A"), ago(2*h), "T1")
			o.Financial, o.Refunded = orderbot.FinancialPartiallyRefunded, usd(30)
			return o
		}, []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(3*h)), 3000, ago(h))},
			[]orderbot.Shipment{inTransit("T1")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []found
			if tt.want != "" {
				want = []found{{orderbot.SystemStateViolation, "A", ""}}
			}
			// Returned parcels are read from Records as well as from Shipments.
			checkFound(t, run(withRecords(snapshot([]orderbot.Order{tt.order()}, tt.pays, tt.ships))), want, orderbot.SystemStateViolation)
			res := run(snapshot([]orderbot.Order{tt.order()}, tt.pays, tt.ships))
			checkFound(t, res, want, orderbot.SystemStateViolation)
			if tt.want != "" {
				a := anomaly(t, res, orderbot.SystemStateViolation, "A")
				if !strings.HasPrefix(factValue(a, "Violation"), tt.want) || !strings.Contains(a.Summary, tt.want) {
					t.Errorf("violation %q / %q, want %q", factValue(a, "Violation"), a.Summary, tt.want)
				}
			}
			if !res.WasEvaluated(orderbot.SystemStateViolation, "A") {
				t.Error("not evaluated")
			}
		})
	}
}

func TestSourceDown(t *testing.T) {
	sources := []detect.SourceHealth{
		{Name: "shopify", Kind: orderbot.DataOrders, CursorAt: ago(time.Minute), LastSuccess: ago(time.Minute)},
		{Name: "stripe", Kind: orderbot.DataPayments, ConsecutiveFailures: 3, LastError: "stripe.list: transient: HTTP 503",
			LastSuccess: ago(20 * time.Minute), CursorAt: ago(20 * time.Minute)},
		{Name: "aftership", Kind: orderbot.DataTracking, ConsecutiveFailures: 2, CursorAt: ago(10 * time.Minute)},
		{Name: "erpnext", Kind: orderbot.DataInventory, CursorAt: ago(2 * time.Hour), LastSuccess: ago(time.Minute)},
		{Name: "kuaidi100", Kind: orderbot.DataTracking, ConsecutiveFailures: 1},
	}
	snap := snapshot(nil, nil, nil)
	snap.Sources = sources
	res := run(snap)
	checkFound(t, res, []found{{orderbot.SystemSourceDown, "stripe", ""}, {orderbot.SystemSourceDown, "erpnext", ""}})
	a := anomaly(t, res, orderbot.SystemSourceDown, "stripe")
	if a.Severity != orderbot.SeverityCritical || a.Source != "stripe" || !strings.Contains(a.Summary, "failed 3 polls in a row: stripe.list") {
		t.Errorf("anomaly %+v", a)
	}
	if a := anomaly(t, res, orderbot.SystemSourceDown, "erpnext"); !strings.Contains(a.Summary, "cursor for 2h") {
		t.Errorf("summary %q", a.Summary)
	}
	for name, want := range map[string]bool{"shopify": true, "kuaidi100": true, "unknown": false} {
		if got := res.WasEvaluated(orderbot.SystemSourceDown, name); got != want {
			t.Errorf("WasEvaluated(%s) = %v, want %v", name, got, want)
		}
	}
	t.Run("without poll health nothing is judged", func(t *testing.T) {
		snap := snapshot(nil, nil, nil)
		snap.Sources = sources
		delete(snap.Coverage, orderbot.DataPolls)
		res := run(snap)
		if len(res.Anomalies) != 0 || res.WasEvaluated(orderbot.SystemSourceDown, "shopify") {
			t.Errorf("anomalies %v", foundSet(res))
		}
	})
	t.Run("configured thresholds", func(t *testing.T) {
		set := settings(withParams(orderbot.SystemSourceDown, func(p *orderbot.Params) { p.Failures, p.MaxAge = 2, 0 }))
		snap := snapshot(nil, nil, nil)
		snap.Sources = sources
		res := detect.New(set, detect.Options{}).Run(snap)
		checkFound(t, res, []found{{orderbot.SystemSourceDown, "stripe", ""}, {orderbot.SystemSourceDown, "aftership", ""}})
	})
}

// Grouped stuck tickets name their orders in the summary, so `poll --once`,
// the card and `/ob ticket` show which ones.
func TestStuckNamesItsOrders(t *testing.T) {
	var orders []orderbot.Order
	for i, id := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		orders = append(orders, onHold(id, "shopify", ago(time.Duration(10-i)*time.Hour)))
	}
	a := anomaly(t, run(snapshot(orders, nil, nil)), orderbot.SystemStuck, "shopify/on_hold")
	if !strings.HasSuffix(a.Summary, ": #A, #B, #C, #D, #E and 2 more") {
		t.Errorf("summary does not name the orders: %q", a.Summary)
	}
}

// authorised is a card order the shop shows authorised (not captured) since at.
func authorised(id string, at time.Time) orderbot.Order {
	o := order(id)
	o.Financial, o.PaidAt = orderbot.FinancialAuthorized, time.Time{}
	o.CreatedAt, o.UpdatedAt, o.StatusSince = at, at, at
	return o
}

func authorisation(id, orderID string, at time.Time) orderbot.Payment {
	p := payment(id, orderID, usd(100), at)
	p.Status = orderbot.PaymentAuthorized
	return p
}

// An authorisation not captured within capture_within (5 days) opens a
// system.stuck ticket per source with the capture deadline; it is never a
// payment (no payment.unrecorded), and one captured in time opens nothing.
func TestUncapturedAuthorization(t *testing.T) {
	const day = 24 * time.Hour
	// Stripe: the shop's order is pending payment-wise, the intent requires
	// capture; the shop does not say when it was authorised.
	stripeSide := order("S")
	stripeSide.Financial, stripeSide.PaidAt = orderbot.FinancialPending, time.Time{}
	stripeSide.CreatedAt, stripeSide.StatusSince = ago(6*day), ago(6*day)
	captured := authorised("K", ago(6*day)) // the shop lags; the provider captured it
	orders := []orderbot.Order{
		authorised("A", ago(5*day)),             // exactly at the limit
		authorised("B", ago(5*day-time.Second)), // not yet
		stripeSide,
		captured,
	}
	pays := []orderbot.Payment{
		authorisation("pi_S", "S", ago(6*day)),
		payment("pi_K", "K", usd(100), ago(5*time.Minute)),
	}
	res := run(snapshot(orders, pays, nil))
	checkFound(t, res, []found{{orderbot.SystemStuck, "shopify/uncaptured", ""}},
		orderbot.SystemStuck, orderbot.PaymentUnrecorded, orderbot.PaymentMissing, orderbot.PaymentAmountMismatch)
	a := anomaly(t, res, orderbot.SystemStuck, "shopify/uncaptured")
	if !a.Deadline.Equal(ago(6*day).Add(7*day)) || !strings.HasPrefix(factValue(a, "Capture deadline"), "2026-03-15 12:00 UTC (in 1d)") {
		t.Errorf("deadline %v, fact %q", a.Deadline, factValue(a, "Capture deadline"))
	}
	if !strings.Contains(a.Summary, "2 payments were authorised at shopify but not captured within 5d") ||
		!strings.HasSuffix(a.Summary, ": #S and #A") {
		t.Errorf("summary %q", a.Summary)
	}
	if got := nextChecks(res)["B"]; !got.Equal(now.Add(time.Second)) {
		t.Errorf("NextCheck[B] = %v, want when it becomes due", got)
	}
	if got := nextChecks(res)["A"]; !got.Equal(now) {
		t.Errorf("NextCheck[A] = %v, want now (stuck orders are looked at every cycle)", got)
	}
}

// A shipped order whose parcel is in transit is not stuck in processing, even
// with a processing limit configured.
func TestShippedOrderInTransitIsNotStuck(t *testing.T) {
	o := shipped(order("T"), ago(4*24*time.Hour), "1Z1")
	o.StatusSince = ago(5 * 24 * time.Hour)
	ships := []orderbot.Shipment{parcel("1Z1", orderbot.ShipInTransit, ago(2*time.Hour))}
	set := settings(withParams(orderbot.SystemStuck, func(p *orderbot.Params) {
		p.Statuses = map[orderbot.OrderStatus]time.Duration{orderbot.OrderProcessing: 3 * 24 * time.Hour}
	}))
	res := detect.New(set, detect.Options{}).Run(snapshot([]orderbot.Order{o, onHold("H", "shopify", ago(time.Hour))}, nil, ships))
	checkFound(t, res, nil, orderbot.SystemStuck)
	unshipped := order("U")
	unshipped.StatusSince = ago(4 * 24 * time.Hour)
	res = detect.New(set, detect.Options{}).Run(snapshot([]orderbot.Order{unshipped}, nil, nil))
	checkFound(t, res, []found{{orderbot.SystemStuck, "shopify/processing", ""}}, orderbot.SystemStuck)
}
