package detect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

var shippingKinds = []orderbot.Kind{orderbot.ShippingLateDispatch, orderbot.ShippingNoPickup, orderbot.ShippingStalled,
	orderbot.ShippingOverdue, orderbot.ShippingException}

func paidAgo(d time.Duration) orderbot.Order {
	o := order("A")
	o.PaidAt, o.CreatedAt, o.StatusSince, o.UpdatedAt = ago(d), ago(d+time.Minute), ago(d), ago(d)
	return o
}

func TestLateDispatch(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name     string
		order    func() orderbot.Order
		want     []found
		next     time.Time // zero: absent
		deadline time.Time
	}{
		{"well before the warning", func() orderbot.Order { return paidAgo(10 * h) }, nil, ago(10 * h).Add(36 * h), time.Time{}},
		{"one second before the warning", func() orderbot.Order { return paidAgo(36*h - time.Second) }, nil, now.Add(time.Second), time.Time{}},
		{"warning exactly 12 h before the deadline", func() orderbot.Order { return paidAgo(36 * h) },
			[]found{{orderbot.ShippingLateDispatch, "A", "warning"}}, now.Add(12 * h), now.Add(12 * h)},
		{"warning one second before the deadline", func() orderbot.Order { return paidAgo(48*h - time.Second) },
			[]found{{orderbot.ShippingLateDispatch, "A", "warning"}}, now.Add(time.Second), now.Add(time.Second)},
		{"breach exactly at the deadline", func() orderbot.Order { return paidAgo(48 * h) },
			[]found{{orderbot.ShippingLateDispatch, "A", ""}}, time.Time{}, now},
		{"breach long after", func() orderbot.Order { return paidAgo(100 * h) },
			[]found{{orderbot.ShippingLateDispatch, "A", ""}}, time.Time{}, ago(52 * h)},
		{"platform ship-by deadline wins", func() orderbot.Order {
			o := paidAgo(50 * h)
			o.ShipBy = now.Add(30 * h)
			return o
		}, nil, now.Add(18 * h), time.Time{}},
		{"confirmed cash on delivery counts from creation", func() orderbot.Order {
			o := paidAgo(49 * h)
			o.PaymentMethod, o.Financial, o.PaidAt = orderbot.PayCashOnDelivery, orderbot.FinancialPending, time.Time{}
			o.CreatedAt = ago(49 * h)
			return o
		}, []found{{orderbot.ShippingLateDispatch, "A", ""}}, time.Time{}, ago(time.Hour)},
		{"unconfirmed cash on delivery has no clock", func() orderbot.Order {
			o := paidAgo(49 * h)
			o.PaymentMethod, o.Financial, o.PaidAt, o.Status = orderbot.PayCashOnDelivery, orderbot.FinancialPending, time.Time{}, orderbot.OrderPending
			o.StatusSince = now.Add(-time.Hour)
			return o
		}, nil, ago(time.Hour).Add(24 * h), time.Time{}},
		{"unpaid order has no clock", func() orderbot.Order {
			o := unpaid(paidAgo(60 * h))
			o.StatusSince = ago(time.Hour)
			return o
		}, nil, ago(time.Hour).Add(24 * h), time.Time{}},
		{"cancelled never", func() orderbot.Order { return cancelled(paidAgo(60*h), ago(h)) }, nil, time.Time{}, time.Time{}},
		{"shipped never", func() orderbot.Order { return shipped(paidAgo(60*h), ago(20*h)) }, nil, time.Time{}, time.Time{}},
		{"partially shipped is shipped", func() orderbot.Order {
			o := paidAgo(60 * h)
			o.Fulfillment = orderbot.FulfillmentPartial
			return o
		}, nil, time.Time{}, time.Time{}},
		{"refunded in full needs no shipping", func() orderbot.Order {
			o := paidAgo(60 * h)
			o.Financial = orderbot.FinancialRefunded
			return o
		}, nil, time.Time{}, time.Time{}},
		{"digital goods never ship", func() orderbot.Order {
			o := paidAgo(60 * h)
			o.RequiresShipping = false
			return o
		}, nil, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.order()
			// Keep the other order kinds quiet: a matching payment.
			res := run(snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", o.Total, o.CreatedAt)}, nil))
			checkFound(t, res, tt.want, shippingKinds...)
			got, ok := nextChecks(res)["A"]
			if tt.next.IsZero() != !ok || (ok && !got.Equal(tt.next)) {
				t.Errorf("NextCheck = %v (present %v), want %v", got, ok, tt.next)
			}
			if len(tt.want) > 0 {
				a := anomaly(t, res, orderbot.ShippingLateDispatch, "A")
				if !a.Deadline.Equal(tt.deadline) {
					t.Errorf("Deadline = %v, want %v", a.Deadline, tt.deadline)
				}
				if a.Stage == "warning" && !strings.Contains(a.Summary, "must ship within") {
					t.Errorf("warning summary %q", a.Summary)
				}
			}
			if !res.WasEvaluated(orderbot.ShippingLateDispatch, "A") {
				t.Error("late dispatch not evaluated")
			}
		})
	}
}

func TestParcelRules(t *testing.T) {
	const h = time.Hour
	picked := func(tn string, last time.Time) orderbot.Shipment { return parcel(tn, orderbot.ShipInTransit, last) }
	tests := []struct {
		name  string
		order func() orderbot.Order
		ships []orderbot.Shipment
		pays  []orderbot.Payment // nil: one payment of the total at the payment time
		cov   func(map[orderbot.DataSet]time.Time)
		want  []found
		eval  map[orderbot.Kind]bool
		next  time.Time // zero: not checked
		check func(t *testing.T, res *detect.Result)
	}{
		{
			name:  "moving parcel is clean",
			order: func() orderbot.Order { return shipped(paidAgo(30*h), ago(20*h), "1Z1") },
			ships: []orderbot.Shipment{picked("1Z1", ago(5*h))},
			eval: map[orderbot.Kind]bool{orderbot.ShippingNoPickup: true, orderbot.ShippingStalled: true,
				orderbot.ShippingOverdue: true, orderbot.ShippingException: true, orderbot.ShippingLateDispatch: true},
			next: ago(5 * h).Add(48 * h),
		},
		{
			name:  "no pickup exactly at 24 h",
			order: func() orderbot.Order { return shipped(paidAgo(30*h), ago(24*h), "1Z1") },
			ships: []orderbot.Shipment{{TrackingNumber: "1Z1", Carrier: "ups", Status: orderbot.ShipInfoReceived, Source: "aftership"}},
			want:  []found{{orderbot.ShippingNoPickup, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.ShippingNoPickup, "A")
				if a.Source != "aftership" || a.Department != "logistics" || !strings.Contains(factValue(a, "Parcel"), "ups 1Z1") {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			name:  "no pickup one second early waits",
			order: func() orderbot.Order { return shipped(paidAgo(30*h), ago(24*h-time.Second), "1Z1") },
			ships: []orderbot.Shipment{{TrackingNumber: "1Z1", Status: orderbot.ShipInfoReceived}},
			eval:  map[orderbot.Kind]bool{orderbot.ShippingNoPickup: true},
			next:  now.Add(time.Second),
		},
		{
			// No tracker knows the parcel (not registered at AfterShip, not yet
			// asked at Kuaidi100): nothing is concluded.
			name:  "no tracking record is not evaluated",
			order: func() orderbot.Order { return shipped(paidAgo(40*h), ago(30*h), "1Z1") },
			eval:  map[orderbot.Kind]bool{orderbot.ShippingNoPickup: false, orderbot.ShippingStalled: true},
		},
		{
			// A per-parcel tracker that found no trace records the parcel as pending.
			name:  "no pickup when the tracker has no trace",
			order: func() orderbot.Order { return shipped(paidAgo(40*h), ago(30*h), "1Z1") },
			ships: []orderbot.Shipment{{TrackingNumber: "1Z1", Carrier: "yuantong", Status: orderbot.ShipPending, Source: "kuaidi100"}},
			want:  []found{{orderbot.ShippingNoPickup, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.ShippingNoPickup, "A")
				if a.Source != "kuaidi100" || !strings.Contains(factValue(a, "Parcel"), "1Z1") {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			name:  "no pickup waits for tracking coverage past the deadline",
			order: func() orderbot.Order { return shipped(paidAgo(40*h), ago(30*h), "1Z1") },
			ships: []orderbot.Shipment{{TrackingNumber: "1Z1", Status: orderbot.ShipInfoReceived}},
			cov:   func(c map[orderbot.DataSet]time.Time) { c[orderbot.DataTracking] = ago(7 * h) },
			eval:  map[orderbot.Kind]bool{orderbot.ShippingNoPickup: false, orderbot.ShippingStalled: true},
			next:  now,
		},
		{
			name:  "tracking rules need tracking data",
			order: func() orderbot.Order { return shipped(paidAgo(40*h), ago(30*h), "1Z1") },
			cov:   func(c map[orderbot.DataSet]time.Time) { delete(c, orderbot.DataTracking) },
			eval: map[orderbot.Kind]bool{orderbot.ShippingNoPickup: false, orderbot.ShippingStalled: false,
				orderbot.ShippingOverdue: false, orderbot.ShippingException: false, orderbot.ShippingLateDispatch: true},
		},
		{
			name:  "stalled exactly at 48 h",
			order: func() orderbot.Order { return shipped(paidAgo(80*h), ago(70*h), "1Z1") },
			ships: []orderbot.Shipment{picked("1Z1", ago(48*h))},
			want:  []found{{orderbot.ShippingStalled, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.ShippingStalled, "A")
				if !strings.Contains(factValue(a, "Parcel"), `"Departed facility, Louisville, KY"`) {
					t.Errorf("parcel fact %q lacks the last checkpoint", factValue(a, "Parcel"))
				}
			},
		},
		{
			name:  "stalled one second early waits",
			order: func() orderbot.Order { return shipped(paidAgo(80*h), ago(70*h), "1Z1") },
			ships: []orderbot.Shipment{picked("1Z1", ago(48*h-time.Second))},
			next:  now.Add(time.Second),
		},
		{
			name:  "delivered parcel is done",
			order: func() orderbot.Order { return shipped(paidAgo(200*h), ago(190*h), "1Z1") },
			ships: []orderbot.Shipment{func() orderbot.Shipment {
				s := parcel("1Z1", orderbot.ShipDelivered, ago(100*h))
				s.DeliveredAt, s.ExpectedDelivery = ago(100*h), ago(150*h)
				return s
			}()},
		},
		{
			name:  "overdue exactly a day past expected delivery",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1") },
			ships: []orderbot.Shipment{func() orderbot.Shipment {
				s := picked("1Z1", ago(3*h))
				s.ExpectedDelivery = ago(24 * h)
				return s
			}()},
			want: []found{{orderbot.ShippingOverdue, "A", ""}},
		},
		{
			name:  "overdue not yet",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1") },
			ships: []orderbot.Shipment{func() orderbot.Shipment {
				s := picked("1Z1", ago(3*h))
				s.ExpectedDelivery = ago(23 * h)
				return s
			}()},
			next: now.Add(h),
		},
		{
			name:  "exception",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1") },
			ships: []orderbot.Shipment{func() orderbot.Shipment {
				s := parcel("1Z1", orderbot.ShipAttemptFail, ago(3*h))
				s.StatusText, s.ExpectedDelivery = "Receiver not at home", ago(30*h)
				return s
			}()},
			// Late as well, but the exception is what staff act on.
			want: []found{{orderbot.ShippingException, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				if a := anomaly(t, res, orderbot.ShippingException, "A"); !strings.Contains(a.Summary, "attempt_fail (Receiver not at home)") {
					t.Errorf("summary %q", a.Summary)
				}
			},
		},
		{
			name: "returned parcel of a refunded order is a handled return",
			order: func() orderbot.Order {
				o := shipped(paidAgo(100*h), ago(90*h), "1Z1")
				o.Financial, o.Refunded = orderbot.FinancialRefunded, usd(100)
				return o
			},
			ships: []orderbot.Shipment{parcel("1Z1", orderbot.ShipReturned, ago(3*h))},
			pays:  []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(100*h)), 10000, ago(3*h))},
		},
		{
			name:  "returning parcel of a paid order is an exception",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1") },
			ships: []orderbot.Shipment{parcel("1Z1", orderbot.ShipReturning, ago(3*h))},
			want:  []found{{orderbot.ShippingException, "A", ""}},
		},
		{
			name:  "cancelled order: parcels are not judged",
			order: func() orderbot.Order { return cancelled(shipped(paidAgo(100*h), ago(90*h), "1Z1"), ago(h)) },
			ships: []orderbot.Shipment{parcel("1Z1", orderbot.ShipException, ago(3*h))},
			pays:  []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(100*h)), 10000, ago(h))},
			want:  []found{{orderbot.SystemStateViolation, "A", ""}},
		},
		{
			name:  "several parcels, one in trouble: one anomaly listing that parcel",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1", "1Z2", "1Z3") },
			ships: []orderbot.Shipment{picked("1Z1", ago(2*h)), parcel("1Z2", orderbot.ShipException, ago(2*h)), picked("1Z3", ago(60*h))},
			want:  []found{{orderbot.ShippingException, "A", ""}, {orderbot.ShippingStalled, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.ShippingException, "A")
				ps := factValues(a, "Parcel")
				if len(ps) != 1 || !strings.Contains(ps[0], "1Z2") || factValue(a, "Parcels on order") != "3" {
					t.Errorf("exception facts %+v", a.Facts)
				}
				s := anomaly(t, res, orderbot.ShippingStalled, "A")
				if ps := factValues(s, "Parcel"); len(ps) != 1 || !strings.Contains(ps[0], "1Z3") {
					t.Errorf("stalled facts %+v", s.Facts)
				}
			},
		},
		{
			name:  "several parcels in trouble: one anomaly listing both",
			order: func() orderbot.Order { return shipped(paidAgo(100*h), ago(90*h), "1Z1", "1Z2") },
			ships: []orderbot.Shipment{parcel("1Z1", orderbot.ShipException, ago(2*h)), parcel("1Z2", orderbot.ShipRefused, ago(2*h))},
			want:  []found{{orderbot.ShippingException, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.ShippingException, "A")
				if len(factValues(a, "Parcel")) != 2 || !strings.Contains(a.Summary, "2 parcels") {
					t.Errorf("anomaly %q %+v", a.Summary, a.Facts)
				}
			},
		},
		{
			name:  "next check is the earliest parcel deadline",
			order: func() orderbot.Order { return shipped(paidAgo(30*h), ago(20*h), "1Z1", "1Z2") },
			ships: []orderbot.Shipment{picked("1Z1", ago(10*h)), {TrackingNumber: "1Z2", Status: orderbot.ShipInfoReceived}},
			next:  ago(20 * h).Add(24 * h), // no pickup of 1Z2 in 4 h, before 1Z1 stalls in 38 h
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.order()
			pays := tt.pays
			if pays == nil {
				pays = []orderbot.Payment{payment("pi_1", "A", o.Total, o.PaidAt)}
			}
			for _, mode := range modes {
				snap := snapshot([]orderbot.Order{o}, pays, tt.ships)
				if tt.cov != nil {
					tt.cov(snap.Coverage)
				}
				res := run(mode.conv(snap))
				checkFound(t, res, tt.want)
				for k, want := range tt.eval {
					if got := res.WasEvaluated(k, "A"); got != want {
						t.Errorf("%s: WasEvaluated(%s) = %v, want %v", mode.name, k, got, want)
					}
				}
				if got, ok := nextChecks(res)["A"]; !tt.next.IsZero() && !got.Equal(tt.next) {
					t.Errorf("%s: NextCheck = %v (present %v), want %v", mode.name, got, ok, tt.next)
				}
				if tt.check != nil {
					tt.check(t, res)
				}
			}
		})
	}
}
