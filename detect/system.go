package detect

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// System rules: orders stuck in a status, impossible order states, and sources
// that stopped delivering data.

// unknownSource names the source of orders that do not say where they came from.
const unknownSource = "unknown"

type stuckKey struct {
	source string
	status orderbot.OrderStatus
}

type stuckItem struct {
	o     *orderbot.Order
	since time.Time
	void  time.Time // authorisations: when the provider voids it
}

// uncaptured is the status part of the group subject of authorisations not
// captured in time ("shopify/uncaptured"): not an order status, since an
// authorised order is usually "processing".
const uncaptured orderbot.OrderStatus = "uncaptured"

// voidAfter is how long a card authorisation holds before the provider voids
// it: Stripe (and Shopify Payments) void an uncaptured one after 7 days.
const voidAfter = 7 * 24 * time.Hour

type stuckGroup struct {
	key   stuckKey
	items []stuckItem
	limit time.Duration
}

// stuckRule: a non-terminal status held for at least Params.Statuses[status],
// counted from StatusSince (UpdatedAt when the source does not say when the status
// was entered). Statuses without a limit are never stuck. A stuck order is
// grouped under "<source>/<status>" and asks to be re-checked every cycle, so
// that while it stays stuck every snapshot holds it and its group is evaluated.
//
// An order that has shipped is never stuck in processing: its parcel is in the
// courier's hands, and the shipping kinds watch it.
func (r *run) stuckRule(o *orderbot.Order, pays []orderbot.Payment, nc *nextCheck) {
	if !r.active.has(kStuck) || o.Status.Terminal() || !o.CancelledAt.IsZero() {
		return
	}
	r.authorizationRule(o, pays, nc)
	if o.Status == orderbot.OrderProcessing && o.Shipped() {
		return
	}
	limit, ok := r.params(kStuck).Statuses[o.Status]
	if !ok || limit <= 0 {
		return
	}
	since := o.StatusSince
	if since.IsZero() {
		since = o.UpdatedAt
	}
	if since.IsZero() {
		return
	}
	due := since.Add(limit)
	if due.After(r.now) {
		nc.at(due, r.now)
		return
	}
	nc.asap(r.now)
	r.addStuck(o, o.Status, limit, stuckItem{o: o, since: since})
}

// addStuck puts a stuck order into its source/status group.
func (r *run) addStuck(o *orderbot.Order, status orderbot.OrderStatus, limit time.Duration, it stuckItem) {
	source := o.Source
	if source == "" {
		source = unknownSource
	}
	key := stuckKey{source: source, status: status}
	if r.stuck == nil {
		r.stuck = make(map[stuckKey]*stuckGroup)
	}
	g := r.stuck[key]
	if g == nil {
		g = &stuckGroup{key: key, limit: limit}
		r.stuck[key] = g
	}
	g.items = append(g.items, it)
}

// authorizationRule: a card payment authorised but not captured within
// Params.CaptureWithin (product.md §3 puts it under system.stuck). An
// authorisation is not a payment: the provider voids it (Stripe after 7 days)
// and the sale is lost. The signals are the order's financial status
// "authorized" (Shopify) and an authorised payment at the provider (Stripe
// requires_capture) while no payment has succeeded; payments count only while
// the payments data set is covered, so a stale cache cannot keep one alive.
// The authorisation is dated by the provider's payment, else by the order's
// creation: a card is authorised at checkout.
func (r *run) authorizationRule(o *orderbot.Order, pays []orderbot.Payment, nc *nextCheck) {
	within := r.params(kStuck).CaptureWithin
	if within <= 0 {
		return
	}
	var at time.Time
	if o.Financial == orderbot.FinancialAuthorized {
		at = o.CreatedAt
	}
	if !r.covPayments.IsZero() {
		for i := range pays {
			switch pays[i].Status {
			case orderbot.PaymentSucceeded:
				return // captured (or paid another way): not an open authorisation
			case orderbot.PaymentAuthorized:
				if t := pays[i].CreatedAt; at.IsZero() || (!t.IsZero() && t.Before(at)) {
					at = t
				}
			}
		}
	}
	if at.IsZero() {
		return
	}
	due := at.Add(within)
	if due.After(r.now) {
		nc.at(due, r.now)
		return
	}
	nc.asap(r.now)
	r.addStuck(o, uncaptured, within, stuckItem{o: o, since: at, void: at.Add(voidAfter)})
}

// stuckSubject is the grouping subject of a stuck group.
func stuckSubject(source string, status orderbot.OrderStatus) string {
	return source + "/" + string(status)
}

// flushStuck emits one anomaly per stuck group, listing its orders oldest first.
func (r *run) flushStuck() {
	for _, g := range r.stuck {
		sort.Slice(g.items, func(i, j int) bool {
			a, b := g.items[i], g.items[j]
			if !a.since.Equal(b.since) {
				return a.since.Before(b.since)
			}
			return a.o.ID < b.o.ID
		})
		oldest := g.items[0]
		n := len(g.items)
		names := make([]string, 0, min(n, memberNames))
		for _, it := range g.items[:min(n, memberNames)] {
			names = append(names, orderName(it.o))
		}
		if g.key.status == uncaptured {
			r.emitUncaptured(g, names)
			continue
		}
		facts := []orderbot.Fact{
			fact("Status", string(g.key.status)),
			fact("Allowed", age(g.limit)),
			fact("Orders stuck", strconv.Itoa(n)),
		}
		for i, it := range g.items {
			if i == r.d.maxListed {
				facts = append(facts, more(n-i))
				break
			}
			facts = append(facts, fact("Order", orderLabel(it.o)+": "+string(g.key.status)+" since "+stamp(it.since, r.now)))
		}
		what := "Order " + orderName(oldest.o) + " has"
		if n > 1 {
			what = strconv.Itoa(n) + " orders have"
		}
		summary := what + " been " + string(g.key.status) + " at " + g.key.source + " longer than " + age(g.limit) +
			" (oldest for " + age(r.now.Sub(oldest.since)) + ")"
		if n > 1 {
			summary += ": " + memberList(names, n)
		}
		r.emit(kStuck, orderbot.Anomaly{
			Subject: stuckSubject(g.key.source, g.key.status), Source: g.key.source, Summary: summary, Facts: facts,
		})
	}
}

// emitUncaptured emits the group of authorisations not captured in time at
// one source, oldest first, with each one's capture deadline (when the
// provider voids it).
func (r *run) emitUncaptured(g *stuckGroup, names []string) {
	n := len(g.items)
	first := g.items[0]
	facts := []orderbot.Fact{
		fact("Capture deadline", stamp(first.void, r.now)+" (the provider voids an authorisation after "+age(voidAfter)+")"),
		fact("Allowed uncaptured", age(g.limit)),
		fact("Authorisations not captured", strconv.Itoa(n)),
	}
	for i, it := range g.items {
		if i == r.d.maxListed {
			facts = append(facts, more(n-i))
			break
		}
		facts = append(facts, fact("Order", orderLabel(it.o)+": "+it.o.Total.String()+" authorised "+stamp(it.since, r.now)+
			", capture by "+stamp(it.void, r.now)))
	}
	what := "The payment of order " + orderName(first.o) + " was"
	if n > 1 {
		what = strconv.Itoa(n) + " payments were"
	}
	summary := what + " authorised at " + g.key.source + " but not captured within " + age(g.limit) +
		"; capture by " + stamp(first.void, r.now) + " or the provider voids it"
	if n > 1 {
		summary += " (the first one): " + memberList(names, n)
	}
	r.emit(kStuck, orderbot.Anomaly{
		Subject: stuckSubject(g.key.source, g.key.status), Source: g.key.source, Summary: summary, Facts: facts,
		Deadline: first.void,
	})
}

// violationRule reports order states that cannot happen in a correct flow. The
// exact rule, after oms-practice.md (§3.2 短款 "hold shipment", §6.1 S1
// "refund-while-shipping", §8 O1 拦截):
//
//  1. Shipped but unpaid: the order shipped (fulfilment partial or full, or a
//     ship time), is not cancelled (rule 2 judges those, whose payment is
//     voided by design), is not cash on delivery, and its financial status is pending
//     or voided, so no money was captured or even authorised. Authorised counts
//     as secured because shops capture on fulfilment; partially paid (a deposit)
//     counts as paid; an empty status is unknown and not judged. Bank transfers
//     are included: a shop ships those after the money arrives.
//  2. Cancelled but shipped: the order is cancelled and shipped, and not every
//     parcel is known (from tracking) to be returning or returned. A cancelled
//     order whose goods are on their way back is a handled return.
//  3. Refunded but shipped: the financial status is refunded (in full), the order
//     shipped and is not cancelled (rule 2 covers that), and not every parcel is
//     returning or returned: the customer has both the money and the goods.
//     Partial refunds are ordinary (one item refunded) and not judged.
//
// An order breaking several rules gets one anomaly listing each.
func (r *run) violationRule(o *orderbot.Order) {
	if !r.active.has(kViolation) || !o.Shipped() {
		return
	}
	cancelled := o.Cancelled()
	unpaid := !cancelled && !o.IsCOD() && (o.Financial == orderbot.FinancialPending || o.Financial == orderbot.FinancialVoided)
	refunded := !cancelled && o.Financial == orderbot.FinancialRefunded
	if !unpaid && !cancelled && !refunded {
		return
	}
	returned := r.allReturned(o)
	var reasons []string
	if unpaid {
		reasons = append(reasons, "shipped but unpaid (financial status "+string(o.Financial)+", payment method "+methodText(o.PaymentMethod)+")")
	}
	if cancelled && !returned {
		reasons = append(reasons, "cancelled but shipped")
	}
	if refunded && !returned {
		reasons = append(reasons, "refunded in full but shipped and not returned")
	}
	if len(reasons) == 0 {
		return
	}
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Status", string(o.Status)+", financial "+financialText(o.Financial)+", fulfilment "+fulfilmentText(o.Fulfillment)),
		fact("Payment method", methodText(o.PaymentMethod)),
		fact("Order total", o.Total.String()),
	}
	if o.Refunded.Minor != 0 {
		facts = append(facts, fact("Refunded", o.Refunded.String()))
	}
	if !o.ShippedAt.IsZero() {
		facts = append(facts, fact("Shipped", stamp(o.ShippedAt, r.now)))
	}
	if !o.CancelledAt.IsZero() {
		facts = append(facts, fact("Cancelled", stamp(o.CancelledAt, r.now)))
	}
	for i := range o.Shipments {
		if i == r.d.maxListed {
			facts = append(facts, more(len(o.Shipments)-i))
			break
		}
		ref := &o.Shipments[i]
		facts = append(facts, fact("Parcel", parcelLine(ref, r.parcelOf(o, i, new(orderbot.Shipment)), r.now)))
	}
	for _, why := range reasons {
		facts = append(facts, fact("Violation", why))
	}
	r.emit(kViolation, orderbot.Anomaly{
		Subject: o.ID, OrderID: o.ID, Source: o.Source, Facts: facts,
		Summary: "Order " + orderName(o) + " is " + strings.Join(reasons, "; "),
	})
}

// allReturned reports whether the order has parcels and tracking says every one
// is returning or returned. Parcels without a tracking record are not known to
// be returned.
func (r *run) allReturned(o *orderbot.Order) bool {
	if len(o.Shipments) == 0 {
		return false
	}
	var buf orderbot.Shipment
	for i := range o.Shipments {
		sh := r.parcelOf(o, i, &buf)
		if sh == nil || (sh.Status != orderbot.ShipReturned && sh.Status != orderbot.ShipReturning) {
			return false
		}
	}
	return true
}

// sources evaluates system.source_down: a source is down when at least
// Params.Failures polls in a row failed, or when its committed cursor has not
// advanced for Params.MaxAge (polls "succeed" but commit nothing, or the job no
// longer runs). Sources without a cursor (per-parcel tracking lookups) are
// judged on failures only.
func (r *run) sources() {
	if !r.active.has(kSourceDown) {
		return
	}
	p := r.params(kSourceDown)
	for i := range r.snap.Sources {
		s := &r.snap.Sources[i]
		if s.Name == "" {
			continue
		}
		r.markSource(s.Name, kSourceDown)
		failing := p.Failures > 0 && s.ConsecutiveFailures >= p.Failures
		stale := p.MaxAge > 0 && !s.CursorAt.IsZero() && r.due(s.CursorAt, p.MaxAge)
		if !failing && !stale {
			continue
		}
		what := string(s.Kind)
		if what == "" {
			what = "data"
		}
		facts := []orderbot.Fact{
			fact("Source", s.Name),
			fact("Provides", what),
			fact("Failed polls in a row", strconv.Itoa(s.ConsecutiveFailures)),
			fact("Last success", stamp(s.LastSuccess, r.now)),
		}
		if !s.CursorAt.IsZero() {
			facts = append(facts, fact("Cursor", stamp(s.CursorAt, r.now)))
		}
		if s.LastError != "" {
			facts = append(facts, fact("Last error", clip(s.LastError, 300)))
		}
		var summary string
		if failing {
			summary = "Source " + s.Name + " (" + what + ") failed " + strconv.Itoa(s.ConsecutiveFailures) + " polls in a row"
			if s.LastError != "" {
				summary += ": " + clip(s.LastError, 120)
			}
		} else {
			summary = "Source " + s.Name + " (" + what + ") has not advanced its cursor for " + age(r.now.Sub(s.CursorAt)) +
				" (allowed " + age(p.MaxAge) + ")"
		}
		r.emit(kSourceDown, orderbot.Anomaly{Subject: s.Name, Source: s.Name, Summary: summary, Facts: facts})
	}
}

func (r *run) markSource(name string, k kindIdx) {
	if r.eval.sources == nil {
		r.eval.sources = make(map[string]kindMask)
	}
	r.eval.sources[name] |= bit(k)
}
