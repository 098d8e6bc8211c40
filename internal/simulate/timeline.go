package simulate

import (
	"fmt"
	"sort"
	"time"

	"github.com/orderbot/orderbot"
)

// A Timeline is a shop whose records appear as a clock passes their times, as
// a real shop's do: an order exists from its creation, is marked paid when it
// is paid, its parcel gains a checkpoint when the carrier scans it, its payment
// exists at the provider from the moment it was captured. Generate's batches are
// snapshots "as of now" whose records are dated up to two weeks back; loading
// such a batch into running providers puts records behind every poll cursor,
// which no real provider does, and detection rightly draws conclusions from the
// absence of what was not there when it looked.
//
// Each order is generated with its whole life (clean orders old enough to be
// delivered and completed; seeded ones up to the moment their anomaly is
// present), then moved in time so that its first record falls at a random
// moment of the timeline's span. Between returns what changed in a window of
// the clock, each record as it stands at the window's end, so a caller that
// loads it into providers every few seconds never back-dates anything by more
// than that step. Seeded records stand still after their anomaly is present:
// nobody fixes them unless told to (see Fix).
//
// Stock follows the orders: the ERP's reserved quantity is the open quantity of
// the orders that exist, its physical stock falls when they ship, and the shop
// shows physical minus reserved, within the sync tolerance. A Timeline is not
// safe for concurrent use.
type Timeline struct {
	w       *World
	origin  time.Time // the earliest record; stock records date from here
	end     time.Time // units are placed up to here
	units   []*unit
	events  []event // sorted by time
	skus    map[string]*skuLedger
	skuList []string
}

// SettledAge is how old a Timeline's clean orders are when generated: every
// clean order is delivered and completed by then, so its life is complete.
const settledAge = 11 * day

// History is how far before its start a Timeline's records go back.
const History = 14 * day

type unit struct {
	orders    []orderbot.Order
	payments  []orderbot.Payment
	shipments []orderbot.Shipment
	shippedAt map[string]time.Time // tracking number → when the label was made
	first     time.Time
	horizon   time.Time // complete up to here; frozen after
	expected  []Expected
	fixed     time.Time // when Fix cleared it (zero: never)
}

type event struct {
	at   time.Time
	unit int
}

// skuLedger is one SKU's stock as a list of changes.
type skuLedger struct {
	sku       string
	base      int64 // physical stock at the origin
	noise     int64 // the shop's rounding against the ERP, within tolerance
	lagFrom   time.Time
	lagBy     int64     // units the shop overstates from lagFrom (a seeded sync lag)
	lagUntil  time.Time // when the shop's sync caught up again (zero: never)
	changes   []stockChange
	sorted    bool
	tailStock bool // a seeded SKU with a fixed level and no clean orders
	stocked   bool // has had its first delivery with the safety margin
}

type stockChange struct {
	at                 time.Time
	physical, reserved int64
}

// NewTimeline returns a Timeline whose history starts History before start and
// whose span of new orders ends at end, with perDay orders a day. Anomalies are
// seeded at the World's rate among the orders whose first record falls after
// seedFrom (zero: from start − 2 days), so the history does not open the board
// with two weeks of unattended problems.
func (w *World) NewTimeline(perDay int, start, end, seedFrom time.Time) *Timeline {
	tl := &Timeline{w: w, origin: start.Add(-History), end: start.Add(-History), skus: map[string]*skuLedger{}}
	if seedFrom.IsZero() {
		seedFrom = start.Add(-2 * day)
	}
	tl.Extend(perDay, end, seedFrom)
	return tl
}

// End is the end of the span orders are placed in; Extend moves it.
func (tl *Timeline) End() time.Time { return tl.end }

// Extend adds orders whose first record falls after the current end and at or
// before end, perDay a day, seeding anomalies among those after seedFrom. The
// warehouse is restocked at the old end with what the new orders will take.
func (tl *Timeline) Extend(perDay int, end, seedFrom time.Time) {
	w := tl.w
	from := tl.end
	if !end.After(from) || perDay <= 0 {
		return
	}
	n := int(float64(perDay) * end.Sub(from).Hours() / 24)
	var kinds []orderbot.Kind
	for _, k := range orderKinds {
		if w.seeds[k] {
			kinds = append(kinds, k)
		}
	}
	for _, k := range []orderbot.Kind{orderbot.InventoryOversold, orderbot.InventoryLowStock, orderbot.InventorySyncLag} {
		if w.seeds[k] {
			kinds = append(kinds, k)
		}
	}
	dealt := 0
	w.settled = true
	defer func() { w.settled = false }()
	added := map[string]int64{}
	base := from // the reference the generator builds each life against
	for i := 0; i < n; i++ {
		target := from.Add(time.Duration(w.rng.Int64N(int64(end.Sub(from)))))
		b := &batch{w: w, now: base}
		var stockSeed orderbot.Kind
		if target.After(seedFrom) && w.opts.AnomalyRate > 0 && len(kinds) > 0 && w.chance(w.opts.AnomalyRate) {
			k := kinds[dealt%len(kinds)]
			dealt++
			switch k {
			case orderbot.InventoryOversold, orderbot.InventoryLowStock, orderbot.InventorySyncLag:
				stockSeed = k
			default:
				b.seedOrder(k)
			}
		} else {
			b.cleanOrder()
		}
		if stockSeed != "" {
			tl.seedStock(stockSeed, target, b)
			if len(b.orders) == 0 {
				continue
			}
		}
		u := unitOf(b)
		delta := target.Sub(u.first)
		u.shift(delta)
		u.horizon = base.Add(delta)
		for j := range u.expected {
			u.expected[j].From = u.horizon
		}
		u.followOns(w)
		idx := len(tl.units)
		tl.units = append(tl.units, u)
		for _, at := range u.times() {
			tl.events = append(tl.events, event{at: at, unit: idx})
		}
		for _, o := range u.orders {
			for _, l := range o.Lines {
				added[l.SKU] += l.Quantity
			}
		}
		tl.ledgerOrders(u)
	}
	sort.SliceStable(tl.events, func(i, j int) bool { return tl.events[i].at.Before(tl.events[j].at) })
	// Restock: the warehouse holds what the new orders take, its safety stock
	// and a margin, so clean SKUs never run low or oversell.
	low := w.param(orderbot.InventoryLowStock)
	for sku, q := range added {
		l := tl.ledger(sku)
		if l.tailStock {
			continue
		}
		safety := low.Units
		if s, ok := low.SKUs[sku]; ok {
			safety = s
		}
		extra := q
		if !l.stocked {
			extra += maxI64(safety, 0) + 1 + w.rng.Int64N(300)
			l.stocked = true
		}
		l.changes = append(l.changes, stockChange{at: from, physical: extra})
		l.sorted = false
	}
	tl.end = end
}

// ledger returns the SKU's ledger, creating it.
func (tl *Timeline) ledger(sku string) *skuLedger {
	l, ok := tl.skus[sku]
	if !ok {
		l = &skuLedger{sku: sku}
		units := tl.w.param(orderbot.InventorySyncLag).Units
		if units > 0 {
			m := minI64(2, units)
			l.noise = tl.w.rng.Int64N(2*m+1) - m
		}
		tl.skus[sku] = l
		tl.skuList = append(tl.skuList, sku)
	}
	return l
}

// ledgerOrders records what the unit's orders do to stock: reserve at
// creation, release at cancellation, take physical stock at shipping.
func (tl *Timeline) ledgerOrders(u *unit) {
	for i := range u.orders {
		o := &u.orders[i]
		for _, line := range o.Lines {
			l := tl.ledger(line.SKU)
			q := line.Quantity
			l.changes = append(l.changes, stockChange{at: o.CreatedAt, reserved: q})
			shipped, cancelled := o.ShippedAt, o.CancelledAt
			switch {
			case !cancelled.IsZero() && (shipped.IsZero() || cancelled.Before(shipped)):
				l.changes = append(l.changes, stockChange{at: cancelled, reserved: -q})
				if !shipped.IsZero() {
					l.changes = append(l.changes, stockChange{at: shipped, physical: -q})
				}
			case !shipped.IsZero():
				l.changes = append(l.changes, stockChange{at: shipped, physical: -q, reserved: -q})
			}
			l.sorted = false
		}
	}
}

// seedStock seeds one SKU-level inventory kind at target. An oversold SKU
// comes with the order that oversold it, which b then holds.
func (tl *Timeline) seedStock(k orderbot.Kind, target time.Time, b *batch) {
	w := tl.w
	low := w.param(orderbot.InventoryLowStock)
	lag := w.param(orderbot.InventorySyncLag)
	w.idSeq++
	switch k {
	case orderbot.InventoryLowStock:
		sku := fmt.Sprintf("TAIL-%05d", w.idSeq)
		l := tl.ledger(sku)
		l.tailStock, l.noise = true, 0
		l.changes = append(l.changes, stockChange{at: target, physical: w.rng.Int64N(maxI64(low.Units, 0) + 1)})
		tl.units = append(tl.units, &unit{first: target, horizon: target,
			expected: []Expected{{Kind: k, Subject: sku, Note: "down to safety stock", From: target}}})
	case orderbot.InventoryOversold:
		// A bulk order of a slow seller takes more than the warehouse holds;
		// what it holds stays above safety stock, so only oversold fires.
		sku := fmt.Sprintf("BULK-%05d", w.idSeq)
		short := 1 + w.rng.Int64N(3)
		qty := maxI64(low.Units, 0) + 2 + short + w.rng.Int64N(5)
		o, _, _ := b.paidOrder(b.recentPaid())
		o.Lines = []orderbot.LineItem{{SKU: sku, Title: "Bulk pack", Quantity: qty, Price: orderbot.Money{Minor: o.Total.Minor / qty, Currency: o.Total.Currency}}}
		b.orders = append(b.orders, o)
		b.expect(k, sku, "", fmt.Sprintf("short by %d", short))
		l := tl.ledger(sku)
		l.tailStock, l.noise = true, 0
		// Stocked before the order arrives.
		l.changes = append(l.changes, stockChange{at: target.Add(-time.Minute), physical: qty - short})
	case orderbot.InventorySyncLag:
		// The shop keeps showing stock the ERP no longer has.
		var stocked []string
		for _, s := range tl.skuList {
			if !tl.skus[s].tailStock {
				stocked = append(stocked, s)
			}
		}
		if len(stocked) == 0 {
			return
		}
		sku := stocked[w.rng.IntN(len(stocked))]
		l := tl.ledger(sku)
		if !l.lagFrom.IsZero() {
			return
		}
		l.lagFrom, l.lagBy = target, maxI64(lag.Units, 0)+1+w.rng.Int64N(30)
		tl.units = append(tl.units, &unit{first: target, horizon: target,
			expected: []Expected{{Kind: k, Subject: w.opts.ShopStockSource, Note: "shop overstates " + sku, From: target}}})
	}
}

// unitOf takes one generated order (or payment for an unknown order) with its
// records.
func unitOf(b *batch) *unit {
	u := &unit{orders: b.orders, payments: b.payments, shipments: b.shipments,
		shippedAt: map[string]time.Time{}, expected: b.expected}
	for _, o := range u.orders {
		for _, r := range o.Shipments {
			u.shippedAt[r.TrackingNumber] = r.ShippedAt
		}
	}
	ts := u.times()
	u.first = ts[0]
	for _, t := range ts {
		if t.Before(u.first) {
			u.first = t
		}
	}
	return u
}

// times lists every moment the unit's records change.
func (u *unit) times() []time.Time {
	var ts []time.Time
	add := func(t time.Time) {
		if !t.IsZero() {
			ts = append(ts, t)
		}
	}
	for i := range u.orders {
		o := &u.orders[i]
		add(o.CreatedAt)
		add(o.PaidAt)
		add(o.ShippedAt)
		add(o.CancelledAt)
		add(o.StatusSince)
		for _, r := range o.Shipments {
			add(r.ShippedAt)
		}
	}
	for i := range u.payments {
		add(u.payments[i].CreatedAt)
		for _, r := range u.payments[i].Refunds {
			add(r.CreatedAt)
		}
	}
	for i := range u.shipments {
		for _, c := range u.shipments[i].Checkpoints {
			add(c.Time)
		}
		add(u.shipments[i].DeliveredAt)
		add(u.shipments[i].PickedUpAt)
	}
	if !u.fixed.IsZero() {
		add(u.fixed)
	}
	return ts
}

// shift moves every time of the unit by d.
func (u *unit) shift(d time.Duration) {
	mv := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.Add(d)
		}
	}
	for i := range u.orders {
		o := &u.orders[i]
		for _, t := range []*time.Time{&o.CreatedAt, &o.UpdatedAt, &o.StatusSince, &o.PaidAt, &o.ShippedAt, &o.CancelledAt, &o.ShipBy} {
			mv(t)
		}
		for j := range o.Shipments {
			mv(&o.Shipments[j].ShippedAt)
		}
	}
	for i := range u.payments {
		mv(&u.payments[i].CreatedAt)
		for j := range u.payments[i].Refunds {
			mv(&u.payments[i].Refunds[j].CreatedAt)
		}
	}
	for i := range u.shipments {
		s := &u.shipments[i]
		for _, t := range []*time.Time{&s.LastEventAt, &s.PickedUpAt, &s.ExpectedDelivery, &s.DeliveredAt} {
			mv(t)
		}
		for j := range s.Checkpoints {
			mv(&s.Checkpoints[j].Time)
		}
	}
	for k, t := range u.shippedAt {
		u.shippedAt[k] = t.Add(d)
	}
	u.first = u.first.Add(d)
}

// followOns lists the kinds a seeded unit left as it is may raise later.
func (u *unit) followOns(w *World) {
	if len(u.expected) == 0 {
		return
	}
	from := u.horizon
	for i := range u.orders {
		o := &u.orders[i]
		if o.Cancelled() || o.Test {
			continue
		}
		if o.ShippedAt.IsZero() && (o.Financial.Paid() || o.IsCOD()) {
			u.expected = append(u.expected, Expected{Kind: orderbot.ShippingLateDispatch, Subject: o.ID, Note: "never shipped", From: from, FollowOn: true})
		}
		if !o.Financial.Paid() && o.ShippedAt.IsZero() {
			u.expected = append(u.expected, Expected{Kind: orderbot.SystemStuck, Subject: o.Source + "/" + string(orderbot.OrderPending), Note: "never paid", From: from, FollowOn: true})
		}
	}
	for i := range u.shipments {
		s := &u.shipments[i]
		if s.Status == orderbot.ShipDelivered {
			continue
		}
		for _, k := range []orderbot.Kind{orderbot.ShippingStalled, orderbot.ShippingOverdue, orderbot.ShippingNoPickup} {
			u.expected = append(u.expected, Expected{Kind: k, Subject: s.OrderID, Note: "parcel never moves again", From: from, FollowOn: true})
		}
	}
}

// Expected lists every seeded anomaly placed so far with the moment it is
// present in full, and the follow-ons it may raise, sorted by From. A fixed
// seed is listed with its Note saying so.
func (tl *Timeline) Expected() []Expected {
	var out []Expected
	for _, u := range tl.units {
		out = append(out, u.expected...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out
}

// Reveal is what changed at the providers in a window of the clock, each
// record as it stands at the window's end.
type Reveal struct {
	Orders    []orderbot.Order
	Payments  []orderbot.Payment
	Shipments []orderbot.Shipment
	ShopStock []orderbot.StockLevel
	ERPStock  []orderbot.StockLevel
}

// Between returns the records that changed after from and at or before to,
// as they stand at to. A zero from means everything up to to: the shop as it
// is when a first poll finds it.
func (tl *Timeline) Between(from, to time.Time) Reveal {
	var r Reveal
	lo := 0
	if !from.IsZero() {
		lo = sort.Search(len(tl.events), func(i int) bool { return tl.events[i].at.After(from) })
	}
	hi := sort.Search(len(tl.events), func(i int) bool { return tl.events[i].at.After(to) })
	seen := map[int]bool{}
	for _, e := range tl.events[lo:hi] {
		if seen[e.unit] {
			continue
		}
		seen[e.unit] = true
		tl.units[e.unit].at(from, to, tl.w, &r)
	}
	tl.stockBetween(from, to, &r)
	return r
}

// stockBetween adds the stock levels that changed in (from, to].
func (tl *Timeline) stockBetween(from, to time.Time, r *Reveal) {
	w := tl.w
	for _, sku := range tl.skuList {
		l := tl.skus[sku]
		if !l.sorted {
			sort.SliceStable(l.changes, func(i, j int) bool { return l.changes[i].at.Before(l.changes[j].at) })
			l.sorted = true
		}
		erpChanged := from.IsZero()
		physical, reserved := l.base, int64(0)
		updated := tl.origin
		for _, c := range l.changes {
			if c.at.After(to) {
				break
			}
			physical += c.physical
			reserved += c.reserved
			updated = c.at
			if c.at.After(from) {
				erpChanged = true
			}
		}
		if len(l.changes) == 0 || l.changes[0].at.After(to) {
			continue // not stocked yet
		}
		shopChanged := erpChanged
		shopAvail := maxI64(physical-reserved+l.noise, 0)
		shopUpdated := updated
		if !l.lagFrom.IsZero() && !l.lagFrom.After(to) && (l.lagUntil.IsZero() || l.lagUntil.After(to)) {
			shopAvail += l.lagBy
			if l.lagFrom.After(shopUpdated) {
				shopUpdated = l.lagFrom
			}
			if l.lagFrom.After(from) {
				shopChanged = true
			}
		}
		if !l.lagUntil.IsZero() && l.lagUntil.After(from) && !l.lagUntil.After(to) {
			// The shop's sync caught up: its record changes, the ERP's not.
			shopChanged = true
			shopUpdated = l.lagUntil
		}
		if erpChanged {
			r.ERPStock = append(r.ERPStock, orderbot.StockLevel{SKU: sku, Location: "Stores - WH", Available: physical, OnHand: physical,
				Reserved: reserved, Side: orderbot.SideERP, Source: w.opts.ERPStockSource, UpdatedAt: updated})
		}
		if shopChanged {
			r.ShopStock = append(r.ShopStock, orderbot.StockLevel{SKU: sku, Available: shopAvail, Side: orderbot.SideShop,
				Source: w.opts.ShopStockSource, UpdatedAt: shopUpdated})
		}
	}
}

// at adds the unit's records that changed after from, as they stand at t (a
// zero from: every record that exists at t).
func (u *unit) at(from, t time.Time, w *World, r *Reveal) {
	changed := func(ts time.Time) bool { return from.IsZero() || ts.After(from) }
	for i := range u.payments {
		p := u.payments[i]
		if p.CreatedAt.After(t) {
			continue
		}
		p.Refunds = visibleRefunds(p.Refunds, t)
		last := p.CreatedAt
		for _, rf := range p.Refunds {
			if rf.CreatedAt.After(last) {
				last = rf.CreatedAt
			}
		}
		if changed(last) {
			r.Payments = append(r.Payments, p)
		}
	}
	for i := range u.orders {
		if o, ok := u.orderAt(&u.orders[i], t); ok && changed(o.UpdatedAt) {
			r.Orders = append(r.Orders, o)
		}
	}
	for i := range u.shipments {
		if s, ok := u.shipmentAt(&u.shipments[i], t, w); ok && changed(u.parcelChanged(&s)) {
			r.Shipments = append(r.Shipments, s)
		}
	}
}

// parcelChanged is when the tracker last changed the parcel's record.
func (u *unit) parcelChanged(s *orderbot.Shipment) time.Time {
	if len(s.Checkpoints) > 0 {
		return s.Checkpoints[0].Time
	}
	return u.shippedAt[s.TrackingNumber]
}

func visibleRefunds(rs []orderbot.Refund, t time.Time) []orderbot.Refund {
	var out []orderbot.Refund
	for _, r := range rs {
		if !r.CreatedAt.After(t) {
			out = append(out, r)
		}
	}
	return out
}

func seen(ts, t time.Time) bool { return !ts.IsZero() && !ts.After(t) }

// orderAt is the order as the shop shows it at t.
func (u *unit) orderAt(f *orderbot.Order, t time.Time) (orderbot.Order, bool) {
	if f.CreatedAt.After(t) {
		return orderbot.Order{}, false
	}
	o := *f
	o.Lines = append([]orderbot.LineItem(nil), f.Lines...)
	o.Shipments = nil
	updated := f.CreatedAt
	bump := func(ts time.Time) {
		if seen(ts, t) && ts.After(updated) {
			updated = ts
		}
	}
	paid, shipped, cancelled := seen(f.PaidAt, t), seen(f.ShippedAt, t), seen(f.CancelledAt, t)
	if !paid {
		o.PaidAt = time.Time{}
	}
	if !shipped {
		o.ShippedAt = time.Time{}
		o.Fulfillment = orderbot.FulfillmentUnfulfilled
		for i := range o.Lines {
			o.Lines[i].Fulfilled = 0
		}
	}
	if !cancelled {
		o.CancelledAt = time.Time{}
	}
	for _, ref := range f.Shipments {
		if seen(ref.ShippedAt, t) {
			o.Shipments = append(o.Shipments, ref)
			bump(ref.ShippedAt)
		}
	}
	// Money back to the customer so far, from the provider's refunds.
	var refunded int64
	for i := range u.payments {
		p := &u.payments[i]
		if p.OrderID != f.ID {
			continue
		}
		for _, r := range p.Refunds {
			if seen(r.CreatedAt, t) && r.Status == "succeeded" {
				refunded += r.Amount.Minor
				bump(r.CreatedAt)
			}
		}
	}
	// Only refunds the shop booked against the order count on it: refunding a
	// duplicate charge at the provider leaves the order as it was.
	refunded = min(refunded, f.Refunded.Minor)
	switch {
	case cancelled:
		// As generated: voided or refunded.
	case refunded > 0 && refunded >= f.Total.Minor:
		o.Financial = orderbot.FinancialRefunded
	case refunded > 0:
		o.Financial = orderbot.FinancialPartiallyRefunded
	case paid || (f.Test && f.Financial.Paid()):
		o.Financial = orderbot.FinancialPaid
	default:
		o.Financial = orderbot.FinancialPending
	}
	if !cancelled && refunded == 0 {
		o.Refunded = orderbot.Money{}
	} else if !cancelled {
		o.Refunded = orderbot.Money{Minor: refunded, Currency: f.Total.Currency}
	}
	if seen(f.StatusSince, t) {
		o.Status, o.StatusSince = f.Status, f.StatusSince
		if f.Status == orderbot.OrderCancelled && !cancelled {
			o.Status = orderbot.OrderProcessing
		}
	} else {
		// Before the final status: processing once paid, shipped or confirmed
		// for cash on delivery, else pending.
		o.Status, o.StatusSince = orderbot.OrderPending, f.CreatedAt
		if paid || shipped || f.IsCOD() {
			o.Status = orderbot.OrderProcessing
			if paid && f.PaidAt.After(o.StatusSince) {
				o.StatusSince = f.PaidAt
			}
		}
	}
	if cancelled {
		o.Status, o.StatusSince = orderbot.OrderCancelled, f.CancelledAt
	}
	for _, ts := range []time.Time{f.PaidAt, f.ShippedAt, f.CancelledAt, o.StatusSince} {
		bump(ts)
	}
	for i := range u.shipments {
		s := &u.shipments[i]
		if s.OrderID == f.ID {
			bump(s.DeliveredAt)
		}
	}
	if seen(f.UpdatedAt, t) {
		bump(f.UpdatedAt)
	}
	o.UpdatedAt = updated
	return o, true
}

// shipmentAt is the parcel as its tracker shows it at t.
func (u *unit) shipmentAt(f *orderbot.Shipment, t time.Time, w *World) (orderbot.Shipment, bool) {
	labelled, ok := u.shippedAt[f.TrackingNumber]
	if !ok || labelled.After(t) {
		return orderbot.Shipment{}, false
	}
	s := *f
	s.Checkpoints = nil
	for _, c := range f.Checkpoints { // newest first
		if !c.Time.After(t) {
			s.Checkpoints = append(s.Checkpoints, c)
		}
	}
	if !f.PickedUpAt.IsZero() && f.PickedUpAt.After(t) {
		// The carrier gives an expected date when it takes the parcel.
		s.PickedUpAt, s.ExpectedDelivery = time.Time{}, time.Time{}
	}
	if !seen(s.DeliveredAt, t) {
		s.DeliveredAt = time.Time{}
	}
	if len(s.Checkpoints) > 0 {
		s.Status = s.Checkpoints[0].Status
		s.LastEventAt = s.Checkpoints[0].Time
		s.StatusCode, s.StatusText = statusCode(s.Status, s.Source == w.opts.ChinaTrackingSource)
	}
	return s, true
}

// At returns the whole shop as it stands at t, as one Dataset: every record
// that exists by then, the open demand, healthy sources and the seeded
// anomalies present in full by t (follow-ons included, marked).
func (tl *Timeline) At(t time.Time) Dataset {
	r := tl.Between(time.Time{}, t)
	ds := Dataset{Now: t, Orders: r.Orders, Payments: r.Payments, Shipments: r.Shipments,
		ShopStock: r.ShopStock, ERPStock: r.ERPStock, Demand: demandOf(r.Orders)}
	for _, e := range tl.Expected() {
		if !e.From.After(t) {
			ds.Expected = append(ds.Expected, e)
		}
	}
	w := tl.w
	for _, s := range []struct {
		name string
		ds   orderbot.DataSet
	}{{w.opts.OrderSource, orderbot.DataOrders}, {w.opts.PaymentSource, orderbot.DataPayments},
		{w.opts.TrackingSource, orderbot.DataTracking}, {w.opts.ChinaTrackingSource, orderbot.DataTracking},
		{w.opts.ERPStockSource, orderbot.DataInventory}} {
		ds.Sources = append(ds.Sources, SourceStatus{Name: s.name, Provides: s.ds, LastSuccess: t, CursorAt: t})
	}
	return ds
}
