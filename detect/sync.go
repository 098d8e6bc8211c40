package detect

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// Reconciliation rules: the shop, the ERP, the payment provider and the
// courier about one order. They compare a shop order with the ERP's records of
// it (OrderRecords.ERP) and judge ERP records whose shop order the store does
// not have (Snapshot.ERPOrders). Each waits its kind's After so that the
// systems get time to agree (an integration that creates the Sales Order a few
// minutes late, a shop that marks the order fulfilled after the ERP shipped),
// measured from the last change on either side. Their facts carry one
// orderbot.Comparison per disputed field, which cards show side by side.

// syncKinds are the reconciliation kinds.
const syncKinds = kindMask(1<<kOrderMissing | 1<<kStatusMismatch | 1<<kAmountMismatch)

// syncRules compares an order of a mirrored shop with the ERP's records of it.
func (r *run) syncRules(o *orderbot.Order, nc *nextCheck) {
	if r.snap.Records == nil || !r.snap.ERPShops[o.Source] {
		// Only the joined form carries ERP records, and only a mirrored
		// shop's orders have any: nothing can be concluded from their absence.
		return
	}
	var erps []orderbot.ErpOrder
	if r.rec != nil {
		erps = r.rec.ERP
	}
	if len(erps) == 0 {
		r.absentFromERP(o, nc)
		return
	}
	e := mergeERP(erps)
	if r.covERP.Before(e.Modified) {
		// The ERP record is newer than what the ERP source has committed:
		// judged on a later cycle of that source (it has just listed it).
		nc.asap(r.now)
		r.skip(o.ID, kOrderMissing)
		r.skip(o.ID, kStatusMismatch)
		r.skip(o.ID, kAmountMismatch)
		return
	}
	since := later(o.UpdatedAt, e.Modified)
	due := since.Add(r.params(kStatusMismatch).After)
	if r.active.has(kOrderMissing) && o.Cancelled() && e.Open() {
		if r.syncDue(o, kOrderMissing, later(since, o.CancelledAt), nc) {
			r.emitSync(kOrderMissing, o, &e, "cancelled in the shop, still open in the ERP", o.Total,
				r.statusRow(o, &e, true, false))
		}
	}
	if r.active.has(kStatusMismatch) {
		r.statusMismatch(o, &e, due, nc)
	}
	if r.active.has(kAmountMismatch) && !o.Cancelled() && e.Status != orderbot.OrderCancelled {
		r.amountMismatch(o, &e, nc)
	}
}

// syncDue reports whether a disagreement that started counting at since has
// lasted kind k's After; otherwise it asks for the re-check.
func (r *run) syncDue(o *orderbot.Order, k kindIdx, since time.Time, nc *nextCheck) bool {
	due := since.Add(r.params(k).After)
	if due.After(r.now) {
		nc.at(due, r.now)
		return false
	}
	return true
}

// absentFromERP: a paid order of a mirrored shop with no ERP record after the
// grace. Only payments the ERP's listing must have reached count: one before
// the ERP source's first window may have a Sales Order nobody modified since.
func (r *run) absentFromERP(o *orderbot.Order, nc *nextCheck) {
	if !r.active.has(kOrderMissing) || o.Cancelled() || !o.Financial.Paid() || o.Financial == orderbot.FinancialRefunded {
		return
	}
	paid := o.PaidAt
	if paid.IsZero() {
		paid = o.CreatedAt
	}
	if paid.Before(r.sinceERP) {
		r.skip(o.ID, kOrderMissing)
		return
	}
	due := paid.Add(r.params(kOrderMissing).After)
	switch {
	case due.After(r.now):
		nc.at(due, r.now)
		return
	case r.covERP.Before(due):
		// The ERP's listing has not reached the end of the grace yet.
		r.skip(o.ID, kOrderMissing)
		nc.asap(r.now)
		return
	}
	row := orderbot.Comparison{Field: "Order", Values: [orderbot.NumSystems]string{
		string(o.Status) + ", " + string(o.Financial), "absent", r.paymentText(o), ""}}
	row.Differs[orderbot.SystemERP] = true
	r.emitSync(kOrderMissing, o, nil, "paid "+age(r.now.Sub(paid))+" ago, not in the ERP", o.Total, row)
}

// statusMismatch: the ERP shipped what the shop shows unfulfilled; the ERP
// cancelled what the shop keeps open; the ERP and the shop closed the order as
// done while the courier still shows a parcel moving.
func (r *run) statusMismatch(o *orderbot.Order, e *orderbot.ErpOrder, due time.Time, nc *nextCheck) {
	var why string
	var rows []orderbot.Comparison
	switch {
	case e.Status == orderbot.OrderCancelled && !o.Cancelled() && o.InFlight():
		why = "cancelled in the ERP, open in the shop"
		rows = append(rows, r.statusRow(o, e, false, true))
	case e.Shipped() && !o.Shipped() && !o.Cancelled():
		why = "shipped in the ERP, unfulfilled in the shop"
		rows = append(rows, r.fulfilmentRow(o, e, true))
	case e.Status == orderbot.OrderCompleted && o.Status == orderbot.OrderCompleted:
		moving := r.movingParcels(o)
		if moving == "" {
			return
		}
		if r.covTracking.IsZero() {
			r.skip(o.ID, kStatusMismatch)
			return
		}
		why = "delivered in the ERP and the shop, the courier still shows it moving"
		row := r.statusRow(o, e, false, false)
		row.Values[orderbot.SystemCourier], row.Differs[orderbot.SystemCourier] = moving, true
		rows = append(rows, row)
	default:
		return
	}
	if due.After(r.now) {
		nc.at(due, r.now)
		return
	}
	r.emitSync(kStatusMismatch, o, e, why, o.Total, rows...)
}

// amountMismatch: totals differing beyond the tolerance (or in another
// currency), or any line quantity differing. The ERP gets After to mirror an
// edit of the shop order that it has not seen yet.
func (r *run) amountMismatch(o *orderbot.Order, e *orderbot.ErpOrder, nc *nextCheck) {
	p := r.params(kAmountMismatch)
	var rows []orderbot.Comparison
	var atRisk int64
	tol := int64(math.Round(p.Tolerance * math.Pow10(orderbot.MinorDigits(o.Total.Currency))))
	if diff := o.Total.Minor - e.Total.Minor; o.Total.Currency != e.Total.Currency || diff > tol || -diff > tol {
		row := orderbot.Comparison{Field: "Total", Values: [orderbot.NumSystems]string{o.Total.String(), e.Total.String(), r.paymentText(o), ""}}
		row.Differs[orderbot.SystemERP] = true
		rows = append(rows, row)
		if o.Total.Currency == e.Total.Currency {
			atRisk += abs64(diff)
		}
	}
	shop, erp, price := skuQuantities(o.Lines), skuQuantities(e.Lines), unitPrices(o.Lines)
	for _, sku := range unionKeys(shop, erp) {
		if shop[sku] == erp[sku] {
			continue
		}
		row := orderbot.Comparison{Field: "Quantity " + sku, Values: [orderbot.NumSystems]string{
			strconv.FormatInt(shop[sku], 10), strconv.FormatInt(erp[sku], 10), "", ""}}
		row.Differs[orderbot.SystemERP] = true
		rows = append(rows, row)
		atRisk += abs64(shop[sku]-erp[sku]) * price[sku]
	}
	if len(rows) == 0 {
		return
	}
	if e.Modified.Before(o.UpdatedAt) && !r.syncDue(o, kAmountMismatch, o.UpdatedAt, nc) {
		return
	}
	if len(rows) > r.d.maxListed {
		rows = rows[:r.d.maxListed]
	}
	r.emitSync(kAmountMismatch, o, e, "shop and ERP amounts differ", orderbot.Money{Minor: atRisk, Currency: o.Total.Currency}, rows...)
}

// erpOrphans judges ERP records whose shop order the store does not have: an
// open one older than the grace names a shop order that does not exist. One
// created before the shop's first poll window may name an order the store
// never listed, so it proves nothing.
func (r *run) erpOrphans() {
	active, blind := r.active.has(kOrderMissing), r.blind.has(kOrderMissing)
	if !active && !blind {
		return
	}
	after := r.params(kOrderMissing).After
	for i := range r.snap.ERPOrders {
		e := &r.snap.ERPOrders[i]
		subject := orphanSubject(e)
		created := e.CreatedAt
		if created.IsZero() {
			created = e.Modified
		}
		if !e.Open() || !r.snap.ERPShops[e.Link.Shop] {
			continue
		}
		if !active {
			// The shop has not been polled yet: its order may simply not be
			// in the store. Look again next cycle.
			r.watchERP(e, r.now)
			continue
		}
		r.eval.orders.add(subject)
		if created.Before(r.sinceOrders) {
			r.skip(subject, kOrderMissing)
			continue
		}
		due := created.Add(after)
		if due.After(r.now) || r.covOrders.Before(due) {
			r.skip(subject, kOrderMissing)
			r.watchERP(e, later(due, r.now))
			continue
		}
		row := orderbot.Comparison{Field: "Order", Values: [orderbot.NumSystems]string{"absent", string(e.Status), "", ""}}
		row.Differs[orderbot.SystemShop] = true
		label := e.Link.Value
		r.emit(kOrderMissing, orderbot.Anomaly{
			Subject: subject, Source: e.Source,
			Summary: "ERP order " + e.ID + " names shop order " + label + ", which the shop does not have",
			Facts:   []orderbot.Fact{fact("ERP order", e.ID), fact("Shop order", label+" ("+string(e.Link.Holds)+" in "+e.Link.Shop+")"), row.Fact()},
			AtRisk:  e.Total,
		})
	}
}

// watchERP asks for an ERP record without a shop order to be looked at again
// at t, under its link (see ERPWatchID).
func (r *run) watchERP(e *orderbot.ErpOrder, t time.Time) {
	if r.nextUnknown == nil {
		r.nextUnknown = make(map[string]time.Time)
	}
	r.nextUnknown[ERPWatchID(e.Link)] = t
}

// ERPWatchPrefix starts the watch-list member of an ERP record whose shop
// order the store does not have yet; the poll cycle brings the record back
// through it (see ERPWatchID).
const ERPWatchPrefix = "erp\x1f"

// ERPWatchID is the watch-list member under which an orphan ERP record is
// re-checked: its link, so the cycle can read the records and the shop order.
func ERPWatchID(ref orderbot.OrderRef) string { return ERPWatchPrefix + ref.Key() }

// orphanSubject groups the tickets of an ERP record without a shop order.
func orphanSubject(e *orderbot.ErpOrder) string { return e.Source + "/" + e.ID }

// emitSync emits a reconciliation anomaly about a shop order.
func (r *run) emitSync(k kindIdx, o *orderbot.Order, e *orderbot.ErpOrder, why string, atRisk orderbot.Money, rows ...orderbot.Comparison) {
	facts := make([]orderbot.Fact, 0, 2+len(rows))
	facts = append(facts, fact("Order", orderLabel(o)))
	if e != nil {
		facts = append(facts, fact("ERP order", e.ID))
	}
	for _, row := range rows {
		facts = append(facts, row.Fact())
	}
	r.emit(k, orderbot.Anomaly{Subject: o.ID, OrderID: o.ID, Source: o.Source,
		Summary: "Order " + orderName(o) + ": " + why, Facts: facts, AtRisk: atRisk})
}

// statusRow compares the order status; the marked side is the one that
// disagrees with the rest.
func (r *run) statusRow(o *orderbot.Order, e *orderbot.ErpOrder, shopDiffers, erpDiffers bool) orderbot.Comparison {
	c := orderbot.Comparison{Field: "Status", Values: [orderbot.NumSystems]string{
		string(o.Status), string(e.Status), r.paymentText(o), r.parcelText(o)}}
	c.Differs[orderbot.SystemShop], c.Differs[orderbot.SystemERP] = shopDiffers, erpDiffers
	return c
}

// fulfilmentRow compares how much has shipped.
func (r *run) fulfilmentRow(o *orderbot.Order, e *orderbot.ErpOrder, shopDiffers bool) orderbot.Comparison {
	c := orderbot.Comparison{Field: "Fulfilment", Values: [orderbot.NumSystems]string{
		string(o.Fulfillment), string(e.Fulfillment), "", r.parcelText(o)}}
	c.Differs[orderbot.SystemShop] = shopDiffers
	return c
}

// paymentText summarises the order's payments at the provider.
func (r *run) paymentText(o *orderbot.Order) string {
	if r.rec == nil || len(r.rec.Payments) == 0 {
		return ""
	}
	var sum int64
	n := 0
	for i := range r.rec.Payments {
		p := &r.rec.Payments[i]
		if p.Status == orderbot.PaymentSucceeded {
			sum += p.Amount.Minor - p.RefundedMinor()
			n++
		}
	}
	if n == 0 {
		return "no succeeded payment"
	}
	return orderbot.Money{Minor: sum, Currency: o.Total.Currency}.String() + " captured"
}

// parcelText lists the courier's status of each known parcel.
func (r *run) parcelText(o *orderbot.Order) string {
	if r.rec == nil {
		return ""
	}
	var parts []string
	for _, p := range r.rec.Parcels {
		if p != nil {
			parts = append(parts, string(p.Status))
		}
	}
	return strings.Join(parts, ", ")
}

// movingParcels lists the parcels the courier still shows on their way.
func (r *run) movingParcels(o *orderbot.Order) string {
	if r.rec == nil {
		return ""
	}
	var parts []string
	for _, p := range r.rec.Parcels {
		if p != nil && !p.Status.Final() && p.Status != orderbot.ShipDelivered {
			parts = append(parts, p.TrackingNumber+" "+string(p.Status))
		}
	}
	return strings.Join(parts, ", ")
}

// mergeERP folds an order's ERP records into one view: cancelled records are
// dropped when another is live (ERPNext amends a Sales Order by cancelling it
// and creating "-1"), lines and totals of the live ones add up, and the view
// is shipped when any part shipped.
func mergeERP(erps []orderbot.ErpOrder) orderbot.ErpOrder {
	if len(erps) == 1 {
		return erps[0]
	}
	live := make([]orderbot.ErpOrder, 0, len(erps))
	for _, e := range erps {
		if e.Status != orderbot.OrderCancelled {
			live = append(live, e)
		}
	}
	if len(live) == 0 {
		live = erps
	}
	sort.Slice(live, func(i, j int) bool { return live[i].ID < live[j].ID })
	m := live[0]
	m.Lines = append([]orderbot.LineItem(nil), m.Lines...)
	for _, e := range live[1:] {
		m.ID += ", " + e.ID
		m.Total.Minor += e.Total.Minor
		m.Lines = append(m.Lines, e.Lines...)
		m.Modified = later(m.Modified, e.Modified)
		if e.Shipped() && !m.Shipped() {
			m.Fulfillment = orderbot.FulfillmentPartial
		}
		if e.Open() && !m.Open() {
			m.Status = e.Status
		}
	}
	return m
}

// skuQuantities sums line quantities by SKU; lines without a SKU (tips, gift
// cards) have no ERP counterpart and are left out.
func skuQuantities(lines []orderbot.LineItem) map[string]int64 {
	m := make(map[string]int64, len(lines))
	for _, l := range lines {
		if l.SKU != "" {
			m[l.SKU] += l.Quantity
		}
	}
	return m
}

// unitPrices are the shop's unit prices by SKU, for the money a quantity
// difference puts at risk.
func unitPrices(lines []orderbot.LineItem) map[string]int64 {
	m := make(map[string]int64, len(lines))
	for _, l := range lines {
		if l.SKU != "" {
			m[l.SKU] = l.Price.Minor
		}
	}
	return m
}

// unionKeys is the keys of a and b, sorted.
func unionKeys(a, b map[string]int64) []string {
	union := make(map[string]int64, len(a)+len(b))
	maps.Copy(union, a)
	maps.Copy(union, b) // only the keys matter
	return slices.Sorted(maps.Keys(union))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
