package simulate

import (
	"sort"
	"time"

	"github.com/orderbot/orderbot"
)

// Fix makes the simulated shop do, at at, what a staff resolution of a seeded
// anomaly says was done, as the real systems would show it afterwards: a
// missing payment found is a payment at the provider, an order marked paid is
// paid in the shop, a refund is a refund, a restock is stock, a parcel that
// moves again has a new scan. at must be after everything already handed out
// by Between, so the change appears in the next step. Codes that change
// nothing a system records (false_positive, customer_informed, other, …) and
// subjects the timeline did not seed change nothing; Fix reports whether it
// changed anything.
func (tl *Timeline) Fix(kind orderbot.Kind, subject, code string, at time.Time) bool {
	changed := false
	for i, u := range tl.units {
		if !u.seeded(kind, subject) {
			continue
		}
		if tl.fixUnit(u, kind, code, at) {
			u.fixed = at
			tl.insertEvent(event{at: at, unit: i})
			changed = true
		}
	}
	return changed
}

func (u *unit) seeded(k orderbot.Kind, subject string) bool {
	for _, e := range u.expected {
		if e.Kind == k && e.Subject == subject {
			return true
		}
	}
	return false
}

func (tl *Timeline) insertEvent(e event) {
	i := sort.Search(len(tl.events), func(i int) bool { return tl.events[i].at.After(e.at) })
	tl.events = append(tl.events, event{})
	copy(tl.events[i+1:], tl.events[i:])
	tl.events[i] = e
}

// fixUnit applies one resolution code to a unit.
func (tl *Timeline) fixUnit(u *unit, kind orderbot.Kind, code string, at time.Time) bool {
	w := tl.w
	switch code {
	case "payment_found", "collected_manually", "collected_difference":
		// The money arrives at the provider: the missing payment, or the
		// difference between the order total and what was captured.
		for i := range u.orders {
			o := &u.orders[i]
			owed := o.Total.Minor
			for _, p := range u.payments {
				if p.OrderID == o.ID && livePayment(p) && p.Amount.Currency == o.Total.Currency {
					owed -= p.Amount.Minor
				}
			}
			if owed <= 0 {
				continue
			}
			u.payments = append(u.payments, orderbot.Payment{ID: w.stripeID("pi_"), Provider: w.opts.PaymentSource, OrderID: o.ID,
				Amount: orderbot.Money{Minor: owed, Currency: o.Total.Currency}, Status: orderbot.PaymentSucceeded, CreatedAt: at})
			return true
		}
	case "order_corrected":
		// The order is corrected to what the customer paid, in its currency.
		for i := range u.orders {
			o := &u.orders[i]
			var paid orderbot.Money
			for _, p := range u.payments {
				if p.OrderID == o.ID && livePayment(p) {
					paid = orderbot.Money{Minor: paid.Minor + p.Amount.Minor - p.RefundedMinor(), Currency: p.Amount.Currency}
				}
			}
			if paid.Minor > 0 && paid != o.Total {
				o.Total, o.UpdatedAt = paid, at
				return true
			}
		}
	case "order_marked_paid":
		for i := range u.orders {
			o := &u.orders[i]
			if !o.Financial.Paid() && !o.Cancelled() {
				o.Financial, o.PaidAt, o.Status, o.StatusSince, o.UpdatedAt = orderbot.FinancialPaid, at, orderbot.OrderProcessing, at, at
				return true
			}
		}
	case "refunded", "refunded_difference":
		return u.refund(kind, code, at, w)
	case "order_cancelled", "cancelled":
		for i := range u.orders {
			o := &u.orders[i]
			if o.Cancelled() || !o.ShippedAt.IsZero() {
				continue
			}
			o.Status, o.StatusSince, o.CancelledAt, o.UpdatedAt = orderbot.OrderCancelled, at, at, at
			o.Financial = orderbot.FinancialVoided
			for j := range u.payments {
				p := &u.payments[j]
				if p.OrderID == o.ID && livePayment(*p) {
					p.Refunds = append(p.Refunds, orderbot.Refund{ID: w.stripeID("re_"), Amount: orderbot.Money{Minor: p.Amount.Minor - p.RefundedMinor(), Currency: p.Amount.Currency}, Status: "succeeded", CreatedAt: at})
					o.Financial, o.Refunded = orderbot.FinancialRefunded, o.Total
				}
			}
			tl.release(o, at)
			return true
		}
	case "released":
		for i := range u.orders {
			o := &u.orders[i]
			if o.Status == orderbot.OrderOnHold {
				o.Status, o.StatusSince, o.UpdatedAt = orderbot.OrderProcessing, at, at
				return true
			}
		}
	case "phone_corrected", "address_corrected", "address_confirmed":
		// The order's first version carries the contact the seed broke.
		if len(u.orders) > 0 {
			o := &u.orders[0]
			p := w.personIn(o.ShippingAddress.Country)
			if code == "phone_corrected" {
				o.Customer.Phone, o.Customer.Email = p.customer.Phone, p.customer.Email
				if o.ShippingAddress.Phone != "" || p.addr.Phone != "" {
					o.ShippingAddress.Phone = p.addr.Phone
				}
			} else {
				name, phone := o.ShippingAddress.Name, o.ShippingAddress.Phone
				o.ShippingAddress = p.addr
				o.ShippingAddress.Name, o.ShippingAddress.Phone = name, phone
			}
			o.UpdatedAt = at
			return true
		}
	case "shipped":
		for i := range u.orders {
			o := &u.orders[i]
			if o.Cancelled() || !o.ShippedAt.IsZero() {
				continue
			}
			o.ShippedAt, o.Fulfillment, o.UpdatedAt = at, orderbot.FulfillmentFulfilled, at
			for j := range o.Lines {
				o.Lines[j].Fulfilled = o.Lines[j].Quantity
				l := tl.ledger(o.Lines[j].SKU)
				l.changes = append(l.changes, stockChange{at: at, physical: -o.Lines[j].Quantity, reserved: -o.Lines[j].Quantity})
				l.sorted = false
			}
			return true
		}
	case "picked_up", "moving_again", "delivered", "redelivered":
		status := map[string]orderbot.ShipmentStatus{"picked_up": orderbot.ShipPickedUp, "moving_again": orderbot.ShipInTransit,
			"delivered": orderbot.ShipDelivered, "redelivered": orderbot.ShipDelivered}[code]
		done := false
		for i := range u.shipments {
			s := &u.shipments[i]
			if s.Status == orderbot.ShipDelivered {
				continue
			}
			loc := ""
			if len(s.Checkpoints) > 0 {
				loc = s.Checkpoints[0].Location
			}
			s.Checkpoints = append([]orderbot.Checkpoint{{Time: at, Location: loc, Message: string(status), Status: status}}, s.Checkpoints...)
			s.Status, s.LastEventAt = status, at
			if s.PickedUpAt.IsZero() {
				s.PickedUpAt = at
			}
			if status == orderbot.ShipDelivered {
				s.DeliveredAt = at
			} else {
				s.ExpectedDelivery = at.Add(2 * day).Truncate(hour)
			}
			done = true
		}
		return done
	case "restocked", "stock_corrected", "restock_ordered", "sync_restarted":
		return tl.restock(u, kind, code, at)
	}
	return false
}

// refund sends money back: the newest live payment of a duplicate, the
// difference of an overcharge, or every live payment otherwise.
func (u *unit) refund(kind orderbot.Kind, code string, at time.Time, w *World) bool {
	var live []int
	for j := range u.payments {
		if livePayment(u.payments[j]) {
			live = append(live, j)
		}
	}
	if kind == orderbot.PaymentDuplicate && len(live) > 1 {
		live = live[len(live)-1:]
	}
	for _, j := range live {
		p := &u.payments[j]
		amount := p.Amount.Minor - p.RefundedMinor()
		p.Refunds = append(p.Refunds, orderbot.Refund{ID: w.stripeID("re_"), Amount: orderbot.Money{Minor: amount, Currency: p.Amount.Currency},
			Status: "succeeded", CreatedAt: at})
	}
	return len(live) > 0
}

// release gives back the stock a cancelled order held.
func (tl *Timeline) release(o *orderbot.Order, at time.Time) {
	for _, line := range o.Lines {
		l := tl.ledger(line.SKU)
		l.changes = append(l.changes, stockChange{at: at, reserved: -line.Open()})
		l.sorted = false
	}
}

// restock fixes a seeded stock problem: goods arrive for an oversold or low
// SKU; the shop's sync catches up for a lagging one.
func (tl *Timeline) restock(u *unit, kind orderbot.Kind, code string, at time.Time) bool {
	done := false
	for _, e := range u.expected {
		if e.Kind != kind {
			continue
		}
		switch kind {
		case orderbot.InventoryOversold, orderbot.InventoryLowStock:
			if l, ok := tl.skus[e.Subject]; ok && code != "sync_restarted" {
				l.changes = append(l.changes, stockChange{at: at, physical: 50})
				l.sorted = false
				done = true
			}
		case orderbot.InventorySyncLag:
			for _, l := range tl.skus {
				if !l.lagFrom.IsZero() && l.lagUntil.IsZero() {
					l.lagUntil = at
					done = true
				}
			}
		}
	}
	return done
}

func livePayment(p orderbot.Payment) bool {
	return p.Status == orderbot.PaymentSucceeded && p.Amount.Minor > 0 && !p.FullyRefunded()
}

// personIn draws a customer in country, for a corrected phone or address.
func (w *World) personIn(country string) person {
	p := w.newPerson()
	for i := 0; i < 200 && p.m.country != country; i++ {
		p = w.newPerson()
	}
	return p
}
