package detect

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// Payment rules. Practice (oms-practice.md §3.2) names the discrepancies between
// the payment provider and the shop: 长款 (money at the provider, order unpaid:
// payment.unrecorded), 短款 (order paid, no money: payment.missing), 金额不一致
// (amount_mismatch), 重复支付 (duplicate) and 关单后到账 (after_close).
//
// A payment is "live" when it succeeded, captured a positive amount and is not
// fully refunded: refunding a duplicate or a payment on a cancelled order clears
// the condition, which is how finance resolves those tickets.
//
// Provider and shop are polled at different times, so a rule that concludes from
// an absence (no payment yet, order not yet marked paid, refund not yet seen)
// fires only when the data set whose absence it reads is complete past the time
// that matters; before that the verdict is unknown: no anomaly, not evaluated,
// and the order is looked at again on the next cycle.

// payView summarises the payments of one order in one pass, without allocating.
type payView struct {
	list      []orderbot.Payment
	succeeded int   // succeeded payments, refunded or not
	live      int   // succeeded, positive and not fully refunded
	net       int64 // captured minus succeeded refunds, order currency only
	foreign   bool  // a succeeded payment in a currency other than the order's
	// grossOnly: a succeeded payment's provider does not report partial
	// refunds (Payment.RefundsUnreported).
	grossOnly bool
	latest    time.Time
}

func livePayment(p *orderbot.Payment) bool {
	return p.Status == orderbot.PaymentSucceeded && p.Amount.Minor > 0 && !p.FullyRefunded()
}

func viewPayments(list []orderbot.Payment, currency string) payView {
	v := payView{list: list}
	for i := range list {
		p := &list[i]
		if p.Status != orderbot.PaymentSucceeded {
			continue
		}
		v.succeeded++
		v.grossOnly = v.grossOnly || p.RefundsUnreported
		refunded := p.RefundedMinor()
		if p.Amount.Minor > 0 && refunded < p.Amount.Minor {
			v.live++
		}
		if currency != "" && p.Amount.Currency != "" && p.Amount.Currency != currency {
			v.foreign = true
		} else {
			v.net += p.Amount.Minor - refunded
		}
		if p.CreatedAt.After(v.latest) {
			v.latest = p.CreatedAt
		}
		for j := range p.Refunds {
			if t := p.Refunds[j].CreatedAt; t.After(v.latest) {
				v.latest = t
			}
		}
	}
	return v
}

// collectedByProvider reports whether money for the method flows through the
// payment provider, so that its absence there means money is missing. Bank
// transfers and other offline methods are reconciled against bank statements,
// cash on delivery against the courier.
func collectedByProvider(m orderbot.PaymentMethod) bool {
	return m == orderbot.PayCard || m == orderbot.PayWallet || m == ""
}

func (r *run) paymentRules(o *orderbot.Order, pv *payView, nc *nextCheck) {
	cancelled := o.Cancelled()
	if r.active.has(kUnrecorded) && !cancelled && !o.Financial.Paid() && pv.live > 0 {
		r.unrecorded(o.ID, o, pv, nc)
	}
	if r.active.has(kMissing) && !cancelled && o.Financial.Paid() && !o.IsCOD() &&
		collectedByProvider(o.PaymentMethod) && pv.succeeded == 0 {
		r.missing(o, pv, nc)
	}
	// A cancelled order paid twice is one problem, money on a cancelled order
	// (refund all of it), reported by after_close alone.
	dup := false
	if r.active.has(kDuplicate) && !cancelled && pv.live >= 2 {
		dup = true
		r.duplicate(o.ID, o, pv)
	}
	// An order reported as duplicate is not also reported as amount mismatch: the
	// extra payment is the whole difference, and refunding it (the duplicate's
	// resolution) clears both. Once it is refunded, the mismatch rule runs again.
	if r.active.has(kMismatch) && !cancelled && !dup && o.Financial.Paid() && pv.succeeded > 0 {
		r.mismatch(o, pv, nc)
	}
	if r.active.has(kAfterClose) && cancelled && pv.live > 0 {
		r.afterClose(o, pv, nc)
	}
}

// unrecorded: a live payment at least After old while the order is unpaid, or
// unknown to the store (o == nil). The order data must be complete up to the
// payment time + After: otherwise the order may have been marked paid since and
// the store has not seen it yet.
func (r *run) unrecorded(id string, o *orderbot.Order, pv *payView, nc *nextCheck) {
	after := r.params(kUnrecorded).After
	firing, pending, blind := 0, false, false
	for i := range pv.list {
		p := &pv.list[i]
		if !livePayment(p) {
			continue
		}
		due := p.CreatedAt.Add(after)
		switch {
		case o == nil && p.CreatedAt.Before(r.sinceOrders):
			// The order may simply predate the first order poll.
			blind = true
			continue
		case due.After(r.now):
			nc.at(due, r.now)
		case r.covOrders.Before(due):
			pending = true
		default:
			firing++
		}
	}
	if firing == 0 {
		switch {
		case pending:
			r.skip(id, kUnrecorded)
			nc.asap(r.now)
		case blind:
			r.skip(id, kUnrecorded)
		}
		return
	}
	var first *orderbot.Payment
	var sum int64
	facts := make([]orderbot.Fact, 0, 6)
	if o != nil {
		facts = append(facts, fact("Order", orderLabel(o)),
			fact("Order status", string(o.Status)+", financial "+financialText(o.Financial)),
			fact("Order total", o.Total.String()))
	} else {
		facts = append(facts, fact("Order", id+" (not found in the shop)"))
	}
	listed := 0
	for i := range pv.list {
		p := &pv.list[i]
		if !livePayment(p) || p.CreatedAt.Add(after).After(r.now) || r.covOrders.Before(p.CreatedAt.Add(after)) {
			continue
		}
		if first == nil {
			first = p
		}
		sum += p.Amount.Minor
		if listed < r.d.maxListed {
			facts = append(facts, fact("Payment", paymentLine(p, r.now)))
			listed++
		}
	}
	if firing > listed {
		facts = append(facts, more(firing-listed))
	}
	what := "Payment " + first.ID + " of " + first.Amount.String()
	if firing > 1 {
		what = strconv.Itoa(firing) + " payments totalling " + orderbot.Money{Minor: sum, Currency: first.Amount.Currency}.String()
	}
	var summary string
	if o != nil {
		summary = what + " succeeded " + age(r.now.Sub(first.CreatedAt)) + " ago but order " + orderName(o) +
			" is still " + financialText(o.Financial)
	} else {
		summary = what + " succeeded " + age(r.now.Sub(first.CreatedAt)) + " ago but order " + id +
			" was not found in the shop"
	}
	r.emit(kUnrecorded, orderbot.Anomaly{Subject: id, OrderID: id, Source: first.Provider, Summary: summary, Facts: facts,
		AtRisk: orderbot.Money{Minor: sum, Currency: first.Amount.Currency}})
}

// missing: the order is marked paid through the provider for at least After and
// the provider has no succeeded payment for it, with payment data complete up to
// that time.
func (r *run) missing(o *orderbot.Order, pv *payView, nc *nextCheck) {
	start := o.PaidAt
	if start.IsZero() {
		start = o.CreatedAt
	}
	due := start.Add(r.params(kMissing).After)
	switch {
	case start.Before(r.sincePayments):
		// Paid before the first payment poll looked: its payment may exist
		// unseen, so nothing can be concluded.
		r.skip(o.ID, kMissing)
		return
	case due.After(r.now):
		nc.at(due, r.now)
		return
	case r.covPayments.Before(due):
		r.skip(o.ID, kMissing)
		nc.asap(r.now)
		return
	}
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Financial status", financialText(o.Financial)),
		fact("Order total", o.Total.String()),
		fact("Marked paid", stamp(start, r.now)),
		fact("Payment method", methodText(o.PaymentMethod)),
	}
	if len(pv.list) == 0 {
		facts = append(facts, fact("Provider payments", "none"))
	}
	for i := range pv.list {
		if i == r.d.maxListed {
			facts = append(facts, more(len(pv.list)-i))
			break
		}
		facts = append(facts, fact("Provider payment", paymentLine(&pv.list[i], r.now)))
	}
	r.emit(kMissing, orderbot.Anomaly{
		Subject: o.ID, OrderID: o.ID, Source: o.Source, Facts: facts,
		Summary: "Order " + orderName(o) + " (" + o.Total.String() + ") is marked " + financialText(o.Financial) +
			" since " + age(r.now.Sub(start)) + " but the payment provider has no succeeded payment for it",
	})
}

// duplicate: two or more live payments for one order (o == nil when the order is
// unknown to the store).
func (r *run) duplicate(id string, o *orderbot.Order, pv *payView) {
	facts := make([]orderbot.Fact, 0, 4+pv.live)
	var first *orderbot.Payment
	var sum int64
	listed := 0
	for i := range pv.list {
		p := &pv.list[i]
		if !livePayment(p) {
			continue
		}
		if first == nil {
			first = p
		}
		sum += p.Amount.Minor - p.RefundedMinor()
		if listed < r.d.maxListed {
			facts = append(facts, fact("Payment", paymentLine(p, r.now)))
			listed++
		}
	}
	if pv.live > listed {
		facts = append(facts, more(pv.live-listed))
	}
	total := orderbot.Money{Minor: sum, Currency: first.Amount.Currency}
	head := []orderbot.Fact{fact("Order", id), fact("Succeeded payments", strconv.Itoa(pv.live)), fact("Captured, net of refunds", total.String())}
	summary := "Order " + id + " has " + strconv.Itoa(pv.live) + " succeeded payments totalling " + total.String()
	if o != nil {
		head[0] = fact("Order", orderLabel(o))
		head = append(head, fact("Order total", o.Total.String()))
		summary = "Order " + orderName(o) + " has " + strconv.Itoa(pv.live) + " succeeded payments totalling " +
			total.String() + " for a " + o.Total.String() + " order"
	}
	// The duplicate charge: what was captured beyond the order total (beyond
	// the first payment when the order is unknown).
	extra := sum - first.Amount.Minor
	if o != nil && o.Total.Currency == total.Currency {
		extra = sum - o.Total.Minor
	}
	r.emit(kDuplicate, orderbot.Anomaly{
		Subject: id, OrderID: id, Source: first.Provider, Summary: summary, Facts: append(head, facts...),
		AtRisk: orderbot.Money{Minor: max(extra, 0), Currency: total.Currency},
	})
}

// mismatch compares what the provider kept (captured minus refunds) with what the
// order says is owed (total minus refunded). A partial refund recorded on both
// sides cancels out. Because the two sides are polled separately, it fires only
// when the order data is complete past the newest payment or refund and the
// payment data past the order's last change; otherwise a refund seen on one side
// only would look like a mismatch.
func (r *run) mismatch(o *orderbot.Order, pv *payView, nc *nextCheck) {
	expected := o.Total.Minor
	if (o.Refunded.Currency == "" || o.Refunded.Currency == o.Total.Currency) && !pv.grossOnly {
		// A provider that does not report partial refunds is compared gross
		// with gross: the order's refunds cannot be seen on its side.
		expected -= o.Refunded.Minor
	}
	diff := pv.net - expected
	if !pv.foreign {
		if diff == 0 {
			return
		}
		tol := toleranceMinor(r.params(kMismatch).Tolerance, o.Total.Currency)
		if o.Financial == orderbot.FinancialPartiallyPaid {
			// A deposit or instalment order is legitimately short of its total
			// until the balance is paid; only an overcharge is a mismatch.
			if diff <= tol {
				return
			}
		} else if diff <= tol && diff >= -tol {
			return
		}
	}
	if r.covOrders.Before(pv.latest) || r.covPayments.Before(o.UpdatedAt) {
		r.skip(o.ID, kMismatch)
		nc.asap(r.now)
		return
	}
	var captured, refunded int64
	var provider string
	currencies := ""
	for i := range pv.list {
		p := &pv.list[i]
		if p.Status != orderbot.PaymentSucceeded {
			continue
		}
		if provider == "" {
			provider = p.Provider
		}
		if p.Amount.Currency != o.Total.Currency && p.Amount.Currency != "" {
			if currencies != "" {
				currencies += ", "
			}
			currencies += p.ID + " in " + p.Amount.Currency
			continue
		}
		captured += p.Amount.Minor
		refunded += p.RefundedMinor()
	}
	cur := o.Total.Currency
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Order total", o.Total.String()),
		fact("Refunded on order", orderbot.Money{Minor: o.Total.Minor - expected, Currency: cur}.String()),
		fact("Captured at provider", orderbot.Money{Minor: captured, Currency: cur}.String()),
		fact("Refunded at provider", orderbot.Money{Minor: refunded, Currency: cur}.String()),
	}
	var summary string
	if pv.foreign {
		facts = append(facts, fact("Currency", "order in "+cur+"; "+currencies))
		summary = "Order " + orderName(o) + " is in " + cur + " but was paid in another currency (" + currencies + ")"
	} else {
		d := orderbot.Money{Minor: diff, Currency: cur}
		facts = append(facts, fact("Difference (provider − order)", d.String()))
		word := "more"
		if diff < 0 {
			word = "less"
			d.Minor = -diff
		}
		summary = "Payment provider kept " + d.String() + " " + word + " than order " + orderName(o) +
			" is owed (" + orderbot.Money{Minor: pv.net, Currency: cur}.String() + " vs " +
			orderbot.Money{Minor: expected, Currency: cur}.String() + ")"
	}
	risk := orderbot.Money{Minor: abs64(diff), Currency: cur}
	if pv.foreign {
		risk = o.Total
	}
	r.emit(kMismatch, orderbot.Anomaly{Subject: o.ID, OrderID: o.ID, Source: provider, Summary: summary, Facts: facts, AtRisk: risk})
}

// toleranceMinor converts a tolerance in major units to the currency's minor
// units (0.01 USD → 1, 0.01 JPY → 0).
func toleranceMinor(major float64, currency string) int64 {
	if major <= 0 {
		return 0
	}
	return int64(math.Round(major * math.Pow10(orderbot.MinorDigits(currency))))
}

// afterClose: a live payment on a cancelled order, including a payment that
// succeeded after the cancellation. The payment data must be complete up to the
// cancellation so that a refund issued with it has been seen.
func (r *run) afterClose(o *orderbot.Order, pv *payView, nc *nextCheck) {
	ref := o.CancelledAt
	if ref.IsZero() {
		ref = o.UpdatedAt
	}
	if r.covPayments.Before(ref) {
		r.skip(o.ID, kAfterClose)
		nc.asap(r.now)
		return
	}
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Cancelled", stamp(o.CancelledAt, r.now)),
		fact("Order total", o.Total.String()),
	}
	var first *orderbot.Payment
	late := 0
	listed := 0
	for i := range pv.list {
		p := &pv.list[i]
		if !livePayment(p) {
			continue
		}
		if first == nil {
			first = p
		}
		if !o.CancelledAt.IsZero() && p.CreatedAt.After(o.CancelledAt) {
			late++
		}
		if listed < r.d.maxListed {
			facts = append(facts, fact("Payment", paymentLine(p, r.now)))
			listed++
		}
	}
	if pv.live > listed {
		facts = append(facts, more(pv.live-listed))
	}
	summary := "Order " + orderName(o) + " is cancelled but payment " + first.ID + " of " + first.Amount.String() +
		" is not refunded"
	if late > 0 {
		summary = "Order " + orderName(o) + " was cancelled, then paid: payment " + first.ID + " of " +
			first.Amount.String() + " is not refunded"
		facts = append(facts, fact("Paid after cancellation", strconv.Itoa(late)+" payment(s)"))
	}
	if pv.live > 1 {
		summary += " (" + strconv.Itoa(pv.live) + " payments)"
	}
	r.emit(kAfterClose, orderbot.Anomaly{Subject: o.ID, OrderID: o.ID, Source: first.Provider, Summary: summary, Facts: facts})
}

// unknownOrderPayments evaluates the payments whose order id has no order in the
// snapshot: the store does not know the order (a lost webhook, an order created
// and lost at the shop). Payments with no order id cannot be attributed and are
// left to the provider's own reconciliation.
func (r *run) unknownOrderPayments() {
	if !r.active.has(kUnrecorded) && !r.active.has(kDuplicate) {
		if r.blind&(bit(kUnrecorded)|bit(kDuplicate)) != 0 {
			// The orders have never been polled: these payments' order ids
			// come back on the next cycle, or a payment older than the next
			// windows would never be judged.
			for id, pays := range r.snap.Payments {
				if _, ok := r.eval.orders.find(id); id != "" && len(pays) > 0 && !ok {
					if r.nextUnknown == nil {
						r.nextUnknown = make(map[string]time.Time)
					}
					r.nextUnknown[id] = r.now
				}
			}
		}
		return
	}
	if !r.paymentAny {
		return
	}
	known := r.eval.orders
	var unknown []string
	switch {
	case len(r.snap.Payments) == 0:
		return
	case r.snap.Records == nil && r.matchedN >= len(r.snap.Payments):
		// Every entry belongs to a snapshot order (the usual cycle of the maps
		// form): nothing to look for. Order ids are unique in a snapshot (the
		// poll cycle merges records by id); a duplicate order record would be
		// counted twice here.
		return
	}
	// With Records, Payments should hold only the payments of unknown orders,
	// but an entry for a known order is tolerated.
	for id, pays := range r.snap.Payments {
		if _, ok := known.find(id); id != "" && len(pays) > 0 && !ok {
			unknown = append(unknown, id)
		}
	}
	// Map order must not leak into anything observable.
	sort.Strings(unknown)
	for _, id := range unknown {
		var nc nextCheck
		pv := viewPayments(r.snap.Payments[id], "")
		known.add(id)
		// Only the payment-side kinds can say anything about an order the store
		// does not have; every other kind keeps its ticket as it is.
		mask := ^(bit(kUnrecorded) | bit(kDuplicate))
		switch {
		case r.active.has(kUnrecorded) && pv.live > 0:
			r.unrecorded(id, nil, &pv, &nc)
		case r.blind.has(kUnrecorded) && pv.live > 0:
			nc.asap(r.now) // the orders have never been polled: look again
		}
		if r.active.has(kDuplicate) && pv.live >= 2 {
			r.duplicate(id, nil, &pv)
		}
		if r.eval.skipped == nil {
			r.eval.skipped = make(map[string]kindMask)
		}
		r.eval.skipped[id] |= mask
		if nc.set {
			if r.nextUnknown == nil {
				r.nextUnknown = make(map[string]time.Time)
			}
			r.nextUnknown[id] = nc.t
		}
	}
}

func paymentLine(p *orderbot.Payment, now time.Time) string {
	s := p.ID + " " + p.Amount.String() + ", " + string(p.Status) + " " + stamp(p.CreatedAt, now)
	if n := p.RefundedMinor(); n > 0 {
		s += ", refunded " + orderbot.Money{Minor: n, Currency: p.Amount.Currency}.String()
	}
	return s
}

func financialText(f orderbot.FinancialStatus) string {
	if f == "" {
		return "unpaid (no financial status)"
	}
	return string(f)
}

func methodText(m orderbot.PaymentMethod) string {
	if m == "" {
		return "not stated"
	}
	return string(m)
}
