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
}

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
func (r *run) stuckRule(o *orderbot.Order, nc *nextCheck) {
	if !r.active.has(kStuck) || o.Status.Terminal() || !o.CancelledAt.IsZero() {
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
	source := o.Source
	if source == "" {
		source = unknownSource
	}
	key := stuckKey{source: source, status: o.Status}
	if r.stuck == nil {
		r.stuck = make(map[stuckKey]*stuckGroup)
	}
	g := r.stuck[key]
	if g == nil {
		g = &stuckGroup{key: key, limit: limit}
		r.stuck[key] = g
	}
	g.items = append(g.items, stuckItem{o: o, since: since})
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
		r.emit(kStuck, orderbot.Anomaly{
			Subject: stuckSubject(g.key.source, g.key.status), Source: g.key.source, Summary: summary, Facts: facts,
		})
	}
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
