package detect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

func unpaid(o orderbot.Order) orderbot.Order {
	o.Financial, o.Status, o.PaidAt = orderbot.FinancialPending, orderbot.OrderPending, time.Time{}
	return o
}

func cancelled(o orderbot.Order, at time.Time) orderbot.Order {
	o.Status, o.CancelledAt, o.Financial, o.UpdatedAt = orderbot.OrderCancelled, at, orderbot.FinancialVoided, at
	return o
}

func TestPaymentRules(t *testing.T) {
	const min = time.Minute
	tests := []struct {
		name  string
		snap  func() *detect.Snapshot
		opts  func(map[orderbot.Kind]orderbot.KindSettings)
		want  []found
		eval  map[orderbot.Kind]bool // WasEvaluated for subject "A"
		next  time.Time              // NextCheck of order "A"; zero: not checked
		check func(t *testing.T, res *detect.Result)
	}{
		{
			name: "clean paid order",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(2*time.Hour))}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: true, orderbot.PaymentMissing: true,
				orderbot.PaymentDuplicate: true, orderbot.PaymentAmountMismatch: true, orderbot.PaymentAfterClose: true},
			next: ago(2 * time.Hour).Add(36 * time.Hour), // the late-dispatch warning
		},
		{
			name: "unrecorded exactly at the threshold fires",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{unpaid(order("A"))}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(15*min))}, nil)
			},
			want: []found{{orderbot.PaymentUnrecorded, "A", ""}},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: true},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentUnrecorded, "A")
				if a.OrderID != "A" || a.Source != "stripe" || a.Severity != orderbot.SeverityHigh || a.Department != "finance" || !a.DetectedAt.Equal(now) {
					t.Errorf("anomaly fields: %+v", a)
				}
				if !strings.Contains(a.Summary, "pi_1") || !strings.Contains(a.Summary, "still pending") {
					t.Errorf("summary %q", a.Summary)
				}
			},
		},
		{
			name: "unrecorded one second before the threshold waits",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{unpaid(order("A"))}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(15*min-time.Second))}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: true},
			next: now.Add(time.Second),
		},
		{
			name: "unrecorded ignores a fully refunded payment",
			snap: func() *detect.Snapshot {
				p := refunded(payment("pi_1", "A", usd(100), ago(time.Hour)), 10000, ago(50*min))
				return snapshot([]orderbot.Order{unpaid(order("A"))}, []orderbot.Payment{p}, nil)
			},
		},
		{
			name: "unrecorded waits while order data lags behind the payment window",
			snap: func() *detect.Snapshot {
				s := snapshot([]orderbot.Order{unpaid(order("A"))}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(20*min))}, nil)
				s.Coverage[orderbot.DataOrders] = ago(10 * min) // complete only up to 5 minutes before the deadline
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: false, orderbot.PaymentMissing: true},
			next: now,
		},
		{
			name: "payment for an order unknown to the store",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("B")}, []orderbot.Payment{
					payment("pi_b", "B", usd(100), ago(2*time.Hour)),
					payment("pi_9", "A", usd(42), ago(20*min))}, nil)
			},
			want: []found{{orderbot.PaymentUnrecorded, "A", ""}},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: true, orderbot.PaymentDuplicate: true,
				orderbot.PaymentMissing: false, orderbot.ShippingLateDispatch: false},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentUnrecorded, "A")
				if !strings.Contains(a.Summary, "not found") {
					t.Errorf("summary %q does not say the order was not found", a.Summary)
				}
			},
		},
		{
			name: "unknown order waits until order coverage passes payment time + after",
			snap: func() *detect.Snapshot {
				s := snapshot(nil, []orderbot.Payment{payment("pi_9", "A", usd(42), ago(20*min))}, nil)
				s.Coverage[orderbot.DataOrders] = ago(6 * min)
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: false, orderbot.PaymentDuplicate: true},
			next: now,
		},
		{
			name: "unknown order paid recently is watched",
			snap: func() *detect.Snapshot {
				return snapshot(nil, []orderbot.Payment{payment("pi_9", "A", usd(42), ago(5*min))}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentUnrecorded: true},
			next: ago(5 * min).Add(15 * min),
		},
		{
			name: "missing exactly at the threshold fires",
			snap: func() *detect.Snapshot {
				o := order("A")
				o.PaidAt = ago(15 * min)
				return snapshot([]orderbot.Order{o}, nil, nil)
			},
			want: []found{{orderbot.PaymentMissing, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentMissing, "A")
				if a.Severity != orderbot.SeverityCritical || factValue(a, "Provider payments") != "none" {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			name: "missing just before the threshold waits",
			snap: func() *detect.Snapshot {
				o := order("A")
				o.PaidAt = ago(14 * min)
				return snapshot([]orderbot.Order{o}, nil, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentMissing: true},
			next: now.Add(time.Minute),
		},
		{
			name: "missing with only a pending payment at the provider",
			snap: func() *detect.Snapshot {
				p := payment("pi_1", "A", usd(100), ago(2*time.Hour))
				p.Status = orderbot.PaymentPending
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{p}, nil)
			},
			want: []found{{orderbot.PaymentMissing, "A", ""}},
		},
		{
			name: "missing: cash on delivery and bank transfer are collected elsewhere",
			snap: func() *detect.Snapshot {
				a, b := order("A"), order("B")
				a.PaymentMethod, b.PaymentMethod = orderbot.PayCashOnDelivery, orderbot.PayBankTransfer
				return snapshot([]orderbot.Order{a, b}, nil, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentMissing: true},
		},
		{
			name: "missing is unknown while payment data lags",
			snap: func() *detect.Snapshot {
				s := snapshot([]orderbot.Order{order("A")}, nil, nil)
				s.Coverage[orderbot.DataPayments] = ago(2*time.Hour - 10*min)
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentMissing: false, orderbot.PaymentDuplicate: true},
			next: now,
		},
		{
			name: "missing needs payment coverage at all",
			snap: func() *detect.Snapshot {
				s := snapshot([]orderbot.Order{order("A")}, nil, nil)
				delete(s.Coverage, orderbot.DataPayments)
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentMissing: false, orderbot.PaymentUnrecorded: false,
				orderbot.PaymentDuplicate: false, orderbot.ShippingLateDispatch: true},
			// Payments were never polled: the order comes back on the next cycle,
			// when they may have been.
			next: now,
		},
		{
			name: "duplicate",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{
					payment("pi_1", "A", usd(100), ago(2*time.Hour)), payment("pi_2", "A", usd(100), ago(2*time.Hour-time.Minute))}, nil)
			},
			want: []found{{orderbot.PaymentDuplicate, "A", ""}},
			eval: map[orderbot.Kind]bool{orderbot.PaymentDuplicate: true, orderbot.PaymentAmountMismatch: true},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentDuplicate, "A")
				if len(factValues(a, "Payment")) != 2 || factValue(a, "Captured, net of refunds") != "200.00 USD" {
					t.Errorf("facts %+v", a.Facts)
				}
			},
		},
		{
			name: "duplicate cleared by refunding the extra payment",
			snap: func() *detect.Snapshot {
				// Refunded at the provider, outside the order: the order's books
				// never saw the extra charge, so they stay as they were.
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{
					payment("pi_1", "A", usd(100), ago(2*time.Hour)),
					refunded(payment("pi_2", "A", usd(100), ago(2*time.Hour-time.Minute)), 10000, ago(time.Hour))}, nil)
			},
		},
		{
			name: "duplicate on a cancelled order is reported as after_close only",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{cancelled(order("A"), ago(time.Hour))}, []orderbot.Payment{
					payment("pi_1", "A", usd(100), ago(2*time.Hour)), payment("pi_2", "A", usd(100), ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentAfterClose, "A", ""}},
		},
		{
			name: "mismatch above tolerance",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{payment("pi_1", "A", usd(99.98), ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentAmountMismatch, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentAmountMismatch, "A")
				if got := factValue(a, "Difference (provider − order)"); got != "-0.02 USD" {
					t.Errorf("difference %q", got)
				}
			},
		},
		{
			name: "mismatch exactly at tolerance does not fire",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{payment("pi_1", "A", usd(99.99), ago(2*time.Hour))}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentAmountMismatch: true},
		},
		{
			name: "mismatch with a larger configured tolerance",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{payment("pi_1", "A", usd(99.50), ago(2*time.Hour))}, nil)
			},
			opts: withParams(orderbot.PaymentAmountMismatch, func(p *orderbot.Params) { p.Tolerance = 1 }),
		},
		{
			name: "partial refund recorded on both sides balances",
			snap: func() *detect.Snapshot {
				o := order("A")
				o.Refunded, o.Financial, o.UpdatedAt = usd(30), orderbot.FinancialPartiallyRefunded, ago(time.Hour)
				p := refunded(payment("pi_1", "A", usd(100), ago(2*time.Hour)), 3000, ago(time.Hour))
				return snapshot([]orderbot.Order{o}, []orderbot.Payment{p}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentAmountMismatch: true},
		},
		{
			name: "partial refund seen at the provider before the shop is not judged yet",
			snap: func() *detect.Snapshot {
				p := refunded(payment("pi_1", "A", usd(100), ago(2*time.Hour)), 3000, ago(time.Minute))
				s := snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{p}, nil)
				s.Coverage[orderbot.DataOrders] = ago(5 * time.Minute)
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentAmountMismatch: false, orderbot.PaymentMissing: true},
			next: now,
		},
		{
			name: "partial refund at the provider the shop never recorded",
			snap: func() *detect.Snapshot {
				p := refunded(payment("pi_1", "A", usd(100), ago(2*time.Hour)), 3000, ago(time.Hour))
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{p}, nil)
			},
			want: []found{{orderbot.PaymentAmountMismatch, "A", ""}},
		},
		{
			name: "currency mismatch",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{payment("pi_1", "A", orderbot.FromFloat(100, "EUR"), ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentAmountMismatch, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentAmountMismatch, "A")
				if !strings.Contains(a.Summary, "another currency") || !strings.Contains(factValue(a, "Currency"), "EUR") {
					t.Errorf("anomaly %q %+v", a.Summary, a.Facts)
				}
			},
		},
		{
			name: "zero-decimal currency: one yen is beyond 0.01",
			snap: func() *detect.Snapshot {
				o := order("A")
				o.Total = orderbot.Money{Minor: 5000, Currency: "JPY"}
				return snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", orderbot.Money{Minor: 4999, Currency: "JPY"}, ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentAmountMismatch, "A", ""}},
		},
		{
			name: "partially paid order short of its total is normal",
			snap: func() *detect.Snapshot {
				o := order("A")
				o.Financial = orderbot.FinancialPartiallyPaid
				return snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", usd(30), ago(2*time.Hour))}, nil)
			},
		},
		{
			name: "a duplicate is not reported again as a mismatch",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{
					payment("pi_1", "A", usd(100), ago(2*time.Hour)), payment("pi_2", "A", usd(100), ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentDuplicate, "A", ""}},
		},
		{
			name: "a duplicate is reported as a mismatch when the duplicate kind is disabled",
			snap: func() *detect.Snapshot {
				return snapshot([]orderbot.Order{order("A")}, []orderbot.Payment{
					payment("pi_1", "A", usd(100), ago(2*time.Hour)), payment("pi_2", "A", usd(100), ago(2*time.Hour))}, nil)
			},
			opts: func(m map[orderbot.Kind]orderbot.KindSettings) {
				s := m[orderbot.PaymentDuplicate]
				s.Enabled = false
				m[orderbot.PaymentDuplicate] = s
			},
			want: []found{{orderbot.PaymentAmountMismatch, "A", ""}},
			eval: map[orderbot.Kind]bool{orderbot.PaymentDuplicate: false, orderbot.PaymentAmountMismatch: true},
		},
		{
			name: "cancelled then paid",
			snap: func() *detect.Snapshot {
				o := cancelled(unpaid(order("A")), ago(3*time.Hour))
				return snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(2*time.Hour))}, nil)
			},
			want: []found{{orderbot.PaymentAfterClose, "A", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.PaymentAfterClose, "A")
				if !strings.Contains(a.Summary, "cancelled, then paid") || factValue(a, "Paid after cancellation") == "" {
					t.Errorf("anomaly %q %+v", a.Summary, a.Facts)
				}
			},
		},
		{
			name: "cancelled and refunded is clean",
			snap: func() *detect.Snapshot {
				o := cancelled(order("A"), ago(time.Hour))
				o.Financial, o.Refunded = orderbot.FinancialRefunded, usd(100)
				return snapshot([]orderbot.Order{o}, []orderbot.Payment{refunded(payment("pi_1", "A", usd(100), ago(2*time.Hour)), 10000, ago(time.Hour))}, nil)
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentAfterClose: true},
		},
		{
			name: "after_close waits for payment data past the cancellation",
			snap: func() *detect.Snapshot {
				o := cancelled(order("A"), ago(time.Minute))
				s := snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", usd(100), ago(2*time.Hour))}, nil)
				s.Coverage[orderbot.DataPayments] = ago(2 * time.Minute)
				return s
			},
			eval: map[orderbot.Kind]bool{orderbot.PaymentAfterClose: false},
			next: now,
		},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				var set map[orderbot.Kind]orderbot.KindSettings
				if tt.opts != nil {
					set = settings(tt.opts)
				}
				res := detect.New(set, detect.Options{}).Run(mode.conv(tt.snap()))
				checkFound(t, res, tt.want)
				for k, want := range tt.eval {
					if got := res.WasEvaluated(k, "A"); got != want {
						t.Errorf("WasEvaluated(%s, A) = %v, want %v", k, got, want)
					}
				}
				if got, ok := nextChecks(res)["A"]; !tt.next.IsZero() && !got.Equal(tt.next) {
					t.Errorf("NextCheck[A] = %v (present %v), want %v", got, ok, tt.next)
				}
				if tt.check != nil {
					tt.check(t, res)
				}
			})
		}
	}
}

// Absence before the first poll's look-back proves nothing: an order paid
// before the payment source's Since is not reported as missing its payment, nor
// a payment as unrecorded for an order created before the order source's Since.
func TestSinceBoundsAbsenceRules(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	o := orderbot.Order{ID: "A", Source: "shopify", Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPaid,
		Fulfillment: orderbot.FulfillmentUnfulfilled, Total: orderbot.Money{Minor: 5000, Currency: "USD"},
		PaymentMethod: orderbot.PayCard, CreatedAt: now.Add(-80 * time.Hour), PaidAt: now.Add(-80 * time.Hour), UpdatedAt: now.Add(-time.Hour)}
	orphan := orderbot.Payment{ID: "pi_9", Provider: "stripe", OrderID: "Z", Status: orderbot.PaymentSucceeded,
		Amount: orderbot.Money{Minor: 100, Currency: "USD"}, CreatedAt: now.Add(-80 * time.Hour)}
	cov := map[orderbot.DataSet]time.Time{orderbot.DataOrders: now, orderbot.DataPayments: now, orderbot.DataTracking: now}
	for _, tt := range []struct {
		name  string
		since time.Time
		fire  bool
	}{
		{"first polls reached back far enough", now.Add(-100 * time.Hour), true},
		{"first polls started after the payment", now.Add(-72 * time.Hour), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snap := &detect.Snapshot{Now: now, Orders: []orderbot.Order{o},
				Payments: map[string][]orderbot.Payment{"Z": {orphan}}, Coverage: cov, StockSKUs: []string{},
				Since: map[orderbot.DataSet]time.Time{orderbot.DataOrders: tt.since, orderbot.DataPayments: tt.since}}
			res := detect.New(orderbot.DefaultKindSettings(), detect.Options{}).Run(snap)
			got := map[orderbot.Kind]bool{}
			for _, a := range res.Anomalies {
				got[a.Kind] = true
			}
			if got[orderbot.PaymentMissing] != tt.fire || got[orderbot.PaymentUnrecorded] != tt.fire {
				t.Fatalf("anomalies %v, want missing and unrecorded = %v", got, tt.fire)
			}
			if res.WasEvaluated(orderbot.PaymentMissing, "A") != tt.fire || res.WasEvaluated(orderbot.PaymentUnrecorded, "Z") != tt.fire {
				t.Fatalf("evaluated missing=%v unrecorded=%v, want %v", res.WasEvaluated(orderbot.PaymentMissing, "A"),
					res.WasEvaluated(orderbot.PaymentUnrecorded, "Z"), tt.fire)
			}
		})
	}
}
