package simulate

import (
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// Seeded anomalies. Each scenario builds one order (or record) that crosses
// exactly one kind's threshold, as configured in the World's settings, and stays
// clear of every other kind, so detection can be checked for an exact match.
// Margins keep each seed well inside or outside a threshold, never at it.

// recentPaid draws a payment time that keeps an unshipped order clear of the
// late-dispatch warning window.
func (b *batch) recentPaid() time.Time {
	p := b.w.param(orderbot.ShippingLateDispatch)
	limit := p.After - p.Warn - time.Hour
	if limit < 2*time.Hour {
		limit = 2 * time.Hour
	}
	return b.now.Add(-b.w.between(time.Hour, limit))
}

// paidOrder creates a provider-paid order (card or wallet) paid at paid.
func (b *batch) paidOrder(paid time.Time) (orderbot.Order, person, int) {
	o, p := b.newOrderBase(paid.Add(-b.w.between(30*time.Second, 15*minute)))
	if !viaProvider(o.PaymentMethod) {
		o.PaymentMethod = orderbot.PayCard
	}
	idx := b.markPaid(&o, paid, true)
	return o, p, idx
}

func (b *batch) seedOrder(k orderbot.Kind) {
	w := b.w
	switch k {
	case orderbot.PaymentUnrecorded:
		b.seedUnrecorded()
	case orderbot.PaymentMissing:
		after := w.param(k).After
		paid := b.now.Add(-after - w.between(minute, 20*hour))
		o, _ := b.newOrderBase(paid.Add(-w.between(time.Minute, 10*minute)))
		if !viaProvider(o.PaymentMethod) {
			o.PaymentMethod = orderbot.PayCard
		}
		b.markPaid(&o, paid, false) // the shop says paid; the provider has nothing
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", "marked paid, no provider payment")
	case orderbot.PaymentDuplicate:
		o, _, idx := b.paidOrder(b.recentPaid())
		second := b.payments[idx].CreatedAt.Add(w.between(5*time.Second, 3*minute))
		if second.After(b.now) {
			second = b.now
		}
		b.pay(&o, o.Total, second)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", "paid twice")
	case orderbot.PaymentAmountMismatch:
		o, _, idx := b.paidOrder(b.recentPaid())
		if w.chance(0.3) && o.Total.Currency != "USD" {
			// Charged in the shop's base currency instead of the customer's.
			b.payments[idx].Amount = orderbot.Money{Minor: o.Total.Minor, Currency: "USD"}
			b.expect(k, o.ID, "", "currency")
		} else {
			tol := int64(w.param(k).Tolerance*100) + 1
			cut := o.Total.Minor / 10
			if cut <= tol {
				cut = tol + 100
			}
			if cut >= o.Total.Minor {
				cut = o.Total.Minor / 2
			}
			b.payments[idx].Amount.Minor = o.Total.Minor - cut
			b.expect(k, o.ID, "", "amount")
		}
		b.orders = append(b.orders, o)
	case orderbot.PaymentAfterClose:
		b.seedAfterClose()
	case orderbot.ShippingLateDispatch:
		p := w.param(k)
		o, _, _ := b.paidOrder(b.now) // placeholder time, set below
		stage := ""
		var paid time.Time
		if p.Warn > 2*time.Minute && w.chance(0.4) {
			stage = "warning"
			paid = b.now.Add(-(p.After - p.Warn) - w.between(minute, p.Warn-2*minute))
		} else {
			paid = b.now.Add(-p.After - w.between(minute, 2*day))
		}
		b.repay(&o, paid)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, stage, "not shipped")
	case orderbot.ShippingNoPickup, orderbot.ShippingStalled, orderbot.ShippingOverdue, orderbot.ShippingException:
		b.seedParcel(k)
	case orderbot.CustomerInvalidPhone:
		o, _, _ := b.paidOrder(b.recentPaid())
		note := b.breakPhone(&o)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", note)
	case orderbot.CustomerInvalidAddr:
		o, _, _ := b.paidOrder(b.recentPaid())
		note := b.breakAddress(&o)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", note)
	case orderbot.SystemStuck:
		b.seedStuck()
	case orderbot.SystemStateViolation:
		b.seedViolation()
	default:
		b.cleanOrder()
	}
}

// repay moves an order's payment (and its provider payment) to a new time.
func (b *batch) repay(o *orderbot.Order, paid time.Time) {
	o.CreatedAt = paid.Add(-b.w.between(30*time.Second, 10*minute))
	o.PaidAt, o.StatusSince, o.UpdatedAt = paid, paid, paid
	for i := range b.payments {
		if b.payments[i].OrderID == o.ID {
			b.payments[i].CreatedAt = paid.Add(-b.w.between(time.Second, 20*time.Second))
		}
	}
}

func (b *batch) seedUnrecorded() {
	w := b.w
	k := orderbot.PaymentUnrecorded
	after := w.param(k).After
	paid := b.now.Add(-after - w.between(minute, 3*hour))
	if w.chance(0.25) {
		// The order never reached the store: a payment for an unknown order id.
		// The slot's order itself is an ordinary clean one.
		w.lastID += 1 + w.rng.Int64N(9000)
		ghost := strconv.FormatInt(w.lastID, 10)
		cur := oneOf(w, []string{"USD", "CNY", "EUR"})
		b.payments = append(b.payments, orderbot.Payment{
			ID: w.stripeID("pi_"), Provider: w.opts.PaymentSource, OrderID: ghost,
			Amount: orderbot.Money{Minor: 1999 + w.rng.Int64N(20000), Currency: cur}, Status: orderbot.PaymentSucceeded, CreatedAt: paid,
		})
		b.expect(k, ghost, "", "order unknown to the store")
		b.cleanOrder()
		return
	}
	o, _ := b.newOrderBase(paid.Add(-w.between(time.Minute, 10*minute)))
	if !viaProvider(o.PaymentMethod) {
		o.PaymentMethod = orderbot.PayWallet
	}
	// The provider captured the money, the callback was lost: still pending.
	b.pay(&o, o.Total, paid)
	b.orders = append(b.orders, o)
	b.expect(k, o.ID, "", "lost callback")
}

func (b *batch) seedAfterClose() {
	w := b.w
	k := orderbot.PaymentAfterClose
	created := b.now.Add(-w.between(2*hour, 3*day))
	o, _ := b.newOrderBase(created)
	if !viaProvider(o.PaymentMethod) {
		o.PaymentMethod = orderbot.PayCard
	}
	cancelled := created.Add(w.between(30*minute, 90*minute))
	o.Status, o.StatusSince, o.CancelledAt = orderbot.OrderCancelled, cancelled, cancelled
	o.Financial = orderbot.FinancialVoided
	o.UpdatedAt = cancelled
	if w.chance(0.5) {
		// Cancelled for non-payment, then the customer paid anyway.
		b.pay(&o, o.Total, cancelled.Add(w.between(minute, hour)))
		b.expect(k, o.ID, "", "cancelled then paid")
	} else {
		// Paid, then cancelled without the refund going out: the shop recorded
		// the payment (else the order was an unrecorded payment first).
		paid := created.Add(w.between(time.Minute, 20*minute))
		b.pay(&o, o.Total, paid)
		o.Financial, o.PaidAt = orderbot.FinancialPaid, paid.Add(w.between(time.Second, 20*time.Second))
		b.expect(k, o.ID, "", "cancelled without refund")
	}
	b.orders = append(b.orders, o)
}

// seedParcel ships an order with a parcel showing one tracking anomaly.
func (b *batch) seedParcel(k orderbot.Kind) {
	w := b.w
	after := w.param(k).After
	var shipped time.Time
	var bad badParcel
	var o orderbot.Order
	var p person
	note := ""
	switch k {
	case orderbot.ShippingNoPickup:
		shipped = b.now.Add(-after - w.between(minute, 2*day))
		if w.chance(0.2) {
			// What a per-parcel tracker records when the courier has no trace
			// of the number at all.
			note = "no trace at the courier"
			bad = func(ref orderbot.ShipmentRef, car carrier) (orderbot.Shipment, bool) {
				return orderbot.Shipment{TrackingNumber: ref.TrackingNumber, Carrier: ref.Carrier, Status: orderbot.ShipPending,
					OrderID: o.ID}, true
			}
		} else {
			note = "label only"
			bad = func(ref orderbot.ShipmentRef, car carrier) (orderbot.Shipment, bool) {
				sh, cps := b.labelled(&o, p, car, ref)
				return finishParcel(sh, cps, car), true
			}
		}
	case orderbot.ShippingStalled:
		last := b.now.Add(-after - w.between(minute, 4*day))
		pickup := last.Add(-w.between(2*hour, 20*hour))
		shipped = pickup.Add(-w.between(hour, 15*hour))
		note = "no scan since pickup"
		bad = func(ref orderbot.ShipmentRef, car carrier) (orderbot.Shipment, bool) {
			sh, cps := b.labelled(&o, p, car, ref)
			sh.PickedUpAt = pickup
			sh.ExpectedDelivery = b.now.Add(w.between(day, 3*day)).Truncate(hour)
			sh.Status = orderbot.ShipInTransit
			cps = append(cps,
				orderbot.Checkpoint{Time: pickup, Location: cps[0].Location, Message: msg(p, "pickup"), Status: orderbot.ShipPickedUp},
				orderbot.Checkpoint{Time: last, Location: cps[0].Location, Message: msg(p, "stalled"), Status: orderbot.ShipInTransit})
			return finishParcel(sh, cps, car), true
		}
	case orderbot.ShippingOverdue:
		expected := b.now.Add(-after - w.between(minute, 4*day)).Truncate(time.Minute)
		shipped = expected.Add(-w.between(3*day, 6*day))
		note = "past expected delivery"
		bad = func(ref orderbot.ShipmentRef, car carrier) (orderbot.Shipment, bool) {
			sh, cps := b.labelled(&o, p, car, ref)
			pickup := shipped.Add(w.between(2*hour, 15*hour))
			sh.PickedUpAt, sh.ExpectedDelivery, sh.Status = pickup, expected, orderbot.ShipInTransit
			cps = append(cps, orderbot.Checkpoint{Time: pickup, Location: cps[0].Location, Message: msg(p, "pickup"), Status: orderbot.ShipPickedUp})
			// Still scanned regularly, so it is late but not stalled.
			step := b.scanStep()
			for t := pickup.Add(w.between(4*hour, step)); !t.After(b.now); t = t.Add(w.between(4*hour, step)) {
				cps = append(cps, orderbot.Checkpoint{Time: t, Location: p.c.hub, Message: msg(p, "hub"), Status: orderbot.ShipInTransit})
			}
			return finishParcel(sh, cps, car), true
		}
	case orderbot.ShippingException:
		shipped = b.now.Add(-w.between(2*day, 5*day))
		status := oneOf(w, []orderbot.ShipmentStatus{orderbot.ShipException, orderbot.ShipAttemptFail, orderbot.ShipRefused, orderbot.ShipReturning})
		note = string(status)
		bad = func(ref orderbot.ShipmentRef, car carrier) (orderbot.Shipment, bool) {
			sh, cps := b.labelled(&o, p, car, ref)
			pickup := shipped.Add(w.between(2*hour, 15*hour))
			when := b.now.Add(-w.between(hour, 20*hour))
			sh.PickedUpAt, sh.Status = pickup, status
			sh.ExpectedDelivery = b.now.Add(w.between(day, 3*day)).Truncate(hour)
			what := "exception"
			switch status {
			case orderbot.ShipRefused:
				what = "refused"
			case orderbot.ShipReturning:
				what = "returning"
			}
			cps = append(cps,
				orderbot.Checkpoint{Time: pickup, Location: cps[0].Location, Message: msg(p, "pickup"), Status: orderbot.ShipPickedUp},
				orderbot.Checkpoint{Time: when, Location: p.c.name, Message: msg(p, what), Status: status})
			return finishParcel(sh, cps, car), true
		}
	}
	paid := shipped.Add(-w.between(2*hour, 20*hour))
	var idx int
	o, p, idx = b.paidOrder(paid)
	b.ship(&o, p, shipped, idx, bad)
	if len(o.Shipments) > 1 {
		note += ", second of two parcels"
	}
	b.orders = append(b.orders, o)
	b.expect(k, o.ID, "", note)
}

// scanStep is the longest gap between scans that keeps a parcel clear of the
// stalled threshold.
func (b *batch) scanStep() time.Duration {
	s := b.w.param(orderbot.ShippingStalled).After - 2*time.Hour
	if s > 30*time.Hour {
		s = 30 * time.Hour
	}
	if s < 5*time.Hour {
		s = 5 * time.Hour
	}
	return s
}

// breakPhone makes the order's contact phone invalid in one of the ways real
// checkouts do.
func (b *batch) breakPhone(o *orderbot.Order) string {
	w := b.w
	var bad, note string
	switch w.rng.IntN(5) {
	case 0:
		bad, note = "138123", "too short"
	case 1:
		if o.ShippingAddress.Country == "CN" {
			bad, note = "12345678901", "no such mobile prefix"
		} else {
			bad, note = "555-0100", "fictional number"
		}
	case 2:
		bad, note = "+999 1234 5678", "unknown country code"
	case 3:
		bad, note = "n/a", "not a number"
	default:
		o.Customer.Phone, o.ShippingAddress.Phone, o.Customer.Email = "", "", ""
		return "no phone and no email"
	}
	o.Customer.Phone = bad
	if o.ShippingAddress.Phone != "" {
		o.ShippingAddress.Phone = bad
	}
	return note
}

// breakAddress makes the shipping address unusable.
func (b *batch) breakAddress(o *orderbot.Order) string {
	a := &o.ShippingAddress
	switch b.w.rng.IntN(4) {
	case 0:
		a.PostalCode = ""
		return "postal code missing"
	case 1:
		a.PostalCode = map[string]string{"CN": "20001", "US": "9021", "GB": "SW1A", "DE": "1011", "FR": "750001", "NL": "1012", "JP": "12-3456"}[a.Country]
		return "postal code malformed"
	case 2:
		a.Line1 = ""
		return "street missing"
	default:
		a.City = ""
		return "city missing"
	}
}

// seedStuck leaves an order on hold past its limit, or pending past its limit.
func (b *batch) seedStuck() {
	w := b.w
	k := orderbot.SystemStuck
	limits := w.param(k).Statuses
	hold, holdOK := limits[orderbot.OrderOnHold]
	pend, pendOK := limits[orderbot.OrderPending]
	switch {
	case holdOK && hold > 0 && (!pendOK || pend <= 0 || w.chance(0.6)):
		// Held by staff and forgotten. The hold started after payment, and the
		// payment is recent enough that dispatch is not yet late.
		paid := b.recentPaid()
		maxHold := b.now.Sub(paid) - time.Minute
		if maxHold <= hold {
			paid = b.now.Add(-hold - 2*time.Hour)
			maxHold = b.now.Sub(paid) - time.Minute
		}
		o, _, _ := b.paidOrder(paid)
		o.Status = orderbot.OrderOnHold
		o.StatusSince = b.now.Add(-hold - w.between(minute, maxHold-hold))
		o.UpdatedAt = o.StatusSince
		b.orders = append(b.orders, o)
		b.expect(k, o.Source+"/"+string(orderbot.OrderOnHold), "", "on hold")
	case pendOK && pend > 0:
		o, _ := b.newOrderBase(b.now.Add(-pend - w.between(minute, 2*day)))
		if o.PaymentMethod == orderbot.PayCashOnDelivery {
			o.PaymentMethod = orderbot.PayBankTransfer
		}
		b.orders = append(b.orders, o)
		b.expect(k, o.Source+"/"+string(orderbot.OrderPending), "", "pending")
	default:
		b.cleanOrder()
	}
}

// seedViolation ships an order in a state that cannot happen in a correct flow.
func (b *batch) seedViolation() {
	w := b.w
	k := orderbot.SystemStateViolation
	shipped := b.now.Add(-w.between(3*hour, 15*hour))
	switch w.rng.IntN(3) {
	case 0:
		// Shipped although the card payment never went through.
		o, p := b.newOrderBase(shipped.Add(-w.between(hour, 10*hour)))
		o.PaymentMethod = orderbot.PayCard
		b.ship(&o, p, shipped, -1, nil)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", "shipped but unpaid")
	case 1:
		// Cancelled before payment, shipped anyway.
		o, p := b.newOrderBase(shipped.Add(-w.between(hour, 10*hour)))
		o.PaymentMethod = orderbot.PayCard
		b.ship(&o, p, shipped, -1, nil)
		cancelled := shipped.Add(-w.between(10*minute, hour))
		o.Status, o.StatusSince, o.CancelledAt = orderbot.OrderCancelled, cancelled, cancelled
		o.Financial = orderbot.FinancialVoided
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", "cancelled but shipped")
	default:
		// Refunded in full while the parcel was already on its way.
		paid := shipped.Add(-w.between(hour, 10*hour))
		o, p, idx := b.paidOrder(paid)
		b.ship(&o, p, shipped, idx, nil)
		when := shipped.Add(w.between(10*minute, 2*hour))
		if when.After(b.now) {
			when = b.now
		}
		b.refund(idx, o.Total.Minor, when)
		o.Financial = orderbot.FinancialRefunded
		o.Refunded = o.Total
		o.UpdatedAt = later(o.UpdatedAt, when)
		b.orders = append(b.orders, o)
		b.expect(k, o.ID, "", "refunded but shipped")
	}
}
