package detect

import (
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// Shipping rules. Cancelled orders are skipped: a parcel of a cancelled order is a
// state violation (system.state_violation), not a delivery problem. Completed
// orders are still examined, because shops archive fulfilled orders while their
// parcels travel.
//
// Parcels are joined to orders through the order's ShipmentRefs. An order with
// several parcels is evaluated parcel by parcel and yields at most one anomaly
// per kind, whose Facts list the parcels concerned.

// shipDeadline returns the ship-by deadline of an order and when its clock
// started: the platform's ShipBy when set, else start + after, where start is the
// payment time (creation time when unknown), or the creation time of a confirmed
// cash-on-delivery order. ok is false when no clock runs (unpaid, unconfirmed).
func shipDeadline(o *orderbot.Order, after time.Duration) (deadline, start time.Time, ok bool) {
	switch {
	case o.Financial.Paid() && o.Financial != orderbot.FinancialRefunded:
		start = o.PaidAt
		if start.IsZero() {
			start = o.CreatedAt
		}
	case o.IsCOD() && (o.Status == orderbot.OrderProcessing || o.Status == orderbot.OrderOnHold):
		// A COD order is confirmed once it leaves "pending" (the shop or a call
		// centre accepted it); the customer pays at the door, so the clock runs
		// from the order's creation.
		start = o.CreatedAt
	default:
		return time.Time{}, time.Time{}, false
	}
	if !o.ShipBy.IsZero() {
		return o.ShipBy, start, true
	}
	if start.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return start.Add(after), start, true
}

func (r *run) shippingRules(o *orderbot.Order, nc *nextCheck) {
	if o.Cancelled() {
		return
	}
	if r.active.has(kLateDispatch) && o.RequiresShipping && !o.Shipped() && !o.Status.Terminal() {
		r.lateDispatch(o, nc)
	}
	if len(o.Shipments) == 0 {
		return
	}
	const parcelKinds = 1<<kNoPickup | 1<<kStalled | 1<<kOverdue | 1<<kException
	if r.active&parcelKinds == 0 {
		return
	}
	// First pass: decide per parcel without allocating; most orders have nothing.
	var fire, pending, unknown kindMask
	for i := range o.Shipments {
		ref := &o.Shipments[i]
		if ref.TrackingNumber == "" {
			continue
		}
		var buf orderbot.Shipment
		f, p, u := r.parcel(o, ref, r.parcelOf(o, i, &buf), nc)
		fire |= f
		pending |= p
		unknown |= u
	}
	for _, k := range [...]kindIdx{kNoPickup, kStalled, kOverdue, kException} {
		switch {
		case fire.has(k):
			r.emitParcels(o, k)
		case pending.has(k):
			r.skip(o.ID, k)
			nc.asap(r.now)
		case unknown.has(k):
			// No tracker has said anything about the parcel: nothing can be
			// concluded, and the order comes back when a tracker reports it.
			r.skip(o.ID, k)
		}
	}
}

// lateDispatch: a paid (or confirmed COD) order not shipped by its deadline; a
// warning from deadline − Warn, the breach at the deadline. Fully refunded orders
// need no shipping; orders that require no shipping (digital goods) never
// dispatch. Both stages share the fingerprint, so the warning ticket becomes the
// breach ticket.
func (r *run) lateDispatch(o *orderbot.Order, nc *nextCheck) {
	p := r.params(kLateDispatch)
	deadline, start, ok := shipDeadline(o, p.After)
	if !ok {
		return
	}
	warnAt := deadline
	if p.Warn > 0 {
		warnAt = deadline.Add(-p.Warn)
	}
	var stage string
	switch {
	case !deadline.After(r.now):
		stage = ""
	case !warnAt.After(r.now):
		stage = "warning"
		nc.at(deadline, r.now)
	default:
		nc.at(warnAt, r.now)
		return
	}
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Paid", stamp(start, r.now)),
		fact("Ship by", stamp(deadline, r.now)),
		fact("Status", string(o.Status)+", fulfilment "+fulfilmentText(o.Fulfillment)),
	}
	if o.IsCOD() {
		facts[1] = fact("Confirmed (COD)", stamp(start, r.now))
	}
	if len(o.Lines) > 0 {
		facts = append(facts, fact("Items", linesText(o.Lines, r.d.maxListed)))
	}
	if a := orderbot.MaskAddress(o.ShippingAddress); a != "" {
		facts = append(facts, fact("Ship to", a))
	}
	summary := "Order " + orderName(o) + " is not shipped and its ship-by deadline passed " + age(r.now.Sub(deadline)) + " ago"
	if stage == "warning" {
		summary = "Order " + orderName(o) + " is not shipped and must ship within " + age(deadline.Sub(r.now))
	}
	r.emit(kLateDispatch, orderbot.Anomaly{
		Subject: o.ID, OrderID: o.ID, Source: o.Source, Stage: stage, Summary: summary, Facts: facts, Deadline: deadline,
	})
}

// parcel decides the parcel kinds for one parcel: which fire, which cannot
// decide yet for lack of tracking coverage, and which cannot decide because no
// tracker knows the parcel at all. It adds the parcel's future check times to nc.
// shp is the parcel's tracking record, nil when there is none.
//
// A parcel no tracker knows is not "not picked up": AfterShip lists only the
// parcels registered with it, and a per-parcel tracker that found no trace
// records the parcel as pending (which does count as no scan).
func (r *run) parcel(o *orderbot.Order, ref *orderbot.ShipmentRef, shp *orderbot.Shipment, nc *nextCheck) (fire, pending, unknown kindMask) {
	if shp == nil {
		if r.active.has(kNoPickup) {
			unknown |= bit(kNoPickup)
		}
		return fire, pending, unknown
	}
	if r.active.has(kNoPickup) && noScan(shp) {
		shipped := ref.ShippedAt
		if shipped.IsZero() {
			shipped = o.ShippedAt
		}
		if !shipped.IsZero() {
			due := shipped.Add(r.params(kNoPickup).After)
			switch {
			case due.After(r.now):
				nc.at(due, r.now)
			case r.covTracking.Before(due):
				pending |= bit(kNoPickup)
			default:
				fire |= bit(kNoPickup)
			}
		}
	}
	st := shp.Status
	if r.active.has(kStalled) && st.Picked() && !st.Final() && !st.Problem() {
		if last := lastEvent(shp); !last.IsZero() {
			due := last.Add(r.params(kStalled).After)
			switch {
			case due.After(r.now):
				nc.at(due, r.now)
			case r.covTracking.Before(due):
				pending |= bit(kStalled)
			default:
				fire |= bit(kStalled)
			}
		}
	}
	// A parcel in a problem status is reported by shipping.exception; being late
	// as well adds nothing staff can act on.
	if r.active.has(kOverdue) && !shp.ExpectedDelivery.IsZero() && !delivered(shp) && !st.Final() && !st.Problem() {
		due := shp.ExpectedDelivery.Add(r.params(kOverdue).After)
		switch {
		case due.After(r.now):
			nc.at(due, r.now)
		case r.covTracking.Before(due):
			pending |= bit(kOverdue)
		default:
			fire |= bit(kOverdue)
		}
	}
	if r.active.has(kException) && exceptionOpen(o, shp) {
		fire |= bit(kException)
	}
	return fire, pending, unknown
}

// noScan reports whether the carrier has never scanned the parcel: a record
// still at pending/info_received, or a record the tracking service expired
// without ever seeing a scan.
func noScan(sh *orderbot.Shipment) bool {
	if !sh.Status.Picked() {
		return true
	}
	return sh.Status == orderbot.ShipExpired && sh.PickedUpAt.IsZero() && len(sh.Checkpoints) == 0
}

func delivered(sh *orderbot.Shipment) bool {
	return sh.Status == orderbot.ShipDelivered || !sh.DeliveredAt.IsZero()
}

// lastEvent is the time of the parcel's newest carrier event.
func lastEvent(sh *orderbot.Shipment) time.Time {
	t := sh.LastEventAt
	if t.IsZero() {
		if cp, ok := lastCheckpoint(sh); ok {
			t = cp.Time
		}
	}
	if t.IsZero() {
		t = sh.PickedUpAt
	}
	return t
}

// exceptionOpen: the carrier reports a problem status. A parcel that came back
// (returning, returned) on an order already refunded is the end of a handled
// return, not an exception to act on.
func exceptionOpen(o *orderbot.Order, sh *orderbot.Shipment) bool {
	if !sh.Status.Problem() {
		return false
	}
	if (sh.Status == orderbot.ShipReturned || sh.Status == orderbot.ShipReturning) && o.Financial == orderbot.FinancialRefunded {
		return false
	}
	return true
}

// emitParcels builds the anomaly of parcel kind k for an order, listing the
// parcels for which k fires. It re-derives the per-parcel verdict, which is cheap
// and keeps the first pass free of allocations.
func (r *run) emitParcels(o *orderbot.Order, k kindIdx) {
	var facts []orderbot.Fact
	facts = append(facts, fact("Order", orderLabel(o)))
	n, listed := 0, 0
	var source, firstLine string
	var firstSh *orderbot.Shipment
	var firstRef *orderbot.ShipmentRef
	var scratch nextCheck
	for i := range o.Shipments {
		ref := &o.Shipments[i]
		if ref.TrackingNumber == "" {
			continue
		}
		shp := r.parcelOf(o, i, new(orderbot.Shipment))
		f, _, _ := r.parcel(o, ref, shp, &scratch)
		if !f.has(k) {
			continue
		}
		n++
		if firstRef == nil {
			firstRef, firstSh = ref, shp
			if shp != nil {
				source = shp.Source
			}
		}
		line := parcelLine(ref, shp, r.now)
		if firstLine == "" {
			firstLine = line
		}
		if listed < r.d.maxListed {
			facts = append(facts, fact("Parcel", line))
			listed++
		}
	}
	if n > listed {
		facts = append(facts, more(n-listed))
	}
	if len(o.Shipments) > 1 {
		facts = append(facts, fact("Parcels on order", strconv.Itoa(len(o.Shipments))))
	}
	if source == "" {
		source = o.Source
	}
	what := "parcel " + firstRef.TrackingNumber
	if n > 1 {
		what = strconv.Itoa(n) + " parcels"
	}
	var summary string
	switch k {
	case kNoPickup:
		shipped := firstRef.ShippedAt
		if shipped.IsZero() {
			shipped = o.ShippedAt
		}
		facts = append(facts, fact("Shipped", stamp(shipped, r.now)))
		summary = "Order " + orderName(o) + ": " + what + " shipped " + age(r.now.Sub(shipped)) + " ago with no carrier pickup scan"
	case kStalled:
		last := lastEvent(firstSh)
		facts = append(facts, fact("Last event", stamp(last, r.now)))
		summary = "Order " + orderName(o) + ": " + what + " in transit with no carrier update for " + age(r.now.Sub(last))
	case kOverdue:
		facts = append(facts, fact("Expected delivery", stamp(firstSh.ExpectedDelivery, r.now)))
		summary = "Order " + orderName(o) + ": " + what + " not delivered, expected " + age(r.now.Sub(firstSh.ExpectedDelivery)) + " ago"
	case kException:
		text := string(firstSh.Status)
		if firstSh.StatusText != "" {
			text += " (" + clip(firstSh.StatusText, 80) + ")"
		}
		summary = "Order " + orderName(o) + ": carrier reports " + text + " for " + what
	}
	if a := orderbot.MaskAddress(o.ShippingAddress); a != "" {
		facts = append(facts, fact("Ship to", a))
	}
	r.emit(k, orderbot.Anomaly{Subject: o.ID, OrderID: o.ID, Source: source, Summary: summary, Facts: facts})
}

func fulfilmentText(f orderbot.FulfillmentStatus) string {
	if f == "" {
		return string(orderbot.FulfillmentUnfulfilled)
	}
	return string(f)
}

// linesText lists SKUs and quantities: "SKU-1 ×2, SKU-9 ×1".
func linesText(lines []orderbot.LineItem, max int) string {
	s := ""
	for i, l := range lines {
		if i == max {
			s += ", and " + strconv.Itoa(len(lines)-i) + " more"
			break
		}
		if i > 0 {
			s += ", "
		}
		sku := l.SKU
		if sku == "" {
			sku = clip(l.Title, 40)
		}
		s += sku + " ×" + itoa(l.Quantity)
	}
	return s
}
