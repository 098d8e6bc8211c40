package orderbot

import "time"

// FlapGuard keeps a ticket from opening on a condition that is only briefly
// true and from closing on one that is only briefly clear, like a Prometheus
// alerting rule's `for` and `keep_firing_for`. Evaluations are the polls that
// examined the ticket's subject with complete data; where both an evaluation
// count and a duration are set, both must be met. A count of 1 and a zero
// duration mean "at once".
type FlapGuard struct {
	// OpenAfter is how many evaluations in a row must find the condition
	// before a ticket opens (or a resolved one reopens); at least 1.
	OpenAfter int
	// OpenFor is how long the condition must have been found, from the first
	// evaluation that found it, before a ticket opens; 0 = no duration.
	OpenFor time.Duration
	// ResolveAfter is how many evaluations in a row must find the condition
	// cleared before its ticket auto-resolves; at least 1.
	ResolveAfter int
	// ResolveFor is how long the condition must have been clear, from the
	// first evaluation that missed it, before its ticket auto-resolves.
	ResolveFor time.Duration
	// ChurnLimit is how many automatic resolutions a ticket may have within
	// ChurnWindow; one more and it stays open, marked flapping, instead of
	// resolving and reopening again. 0 turns the churn check off.
	ChurnLimit int
	// ChurnWindow is the window of ChurnLimit. A flapping ticket auto-resolves
	// only once its condition has been clear for a whole ChurnWindow.
	ChurnWindow time.Duration
}

// Gated reports whether a new condition has to wait before it opens a ticket.
func (g FlapGuard) Gated() bool { return g.OpenAfter > 1 || g.OpenFor > 0 }

// Lingers reports whether a cleared condition has to stay clear for more than
// one evaluation before its ticket auto-resolves.
func (g FlapGuard) Lingers() bool { return g.ResolveAfter > 1 || g.ResolveFor > 0 }

// defaultChurn: more than three automatic resolutions in a day is a ticket that
// flaps, not three problems that were fixed.
const (
	defaultChurnLimit  = 3
	defaultChurnWindow = 24 * time.Hour
)

// DefaultFlapGuard returns a kind's default flap guard. Kinds that compare two
// systems polled at different moments (a payment and its order, stock and open
// orders, an order and its parcels) open after a second evaluation still finds
// the condition: one system is often a poll ahead of the other for a moment.
// Time-based kinds already wait their threshold and open on the first
// evaluation past it; a one-sided fact (an exception scan, a bad phone number)
// opens at once. Kinds whose condition clears by a definite event (shipped, a
// carrier scan, the customer's data fixed, a successful poll) resolve on the
// first evaluation that sees it; the others wait for a second look.
func DefaultFlapGuard(k Kind) FlapGuard {
	g := FlapGuard{OpenAfter: 1, ResolveAfter: 2, ChurnLimit: defaultChurnLimit, ChurnWindow: defaultChurnWindow}
	switch k {
	case PaymentUnrecorded, PaymentMissing, PaymentAmountMismatch, InventoryOversold, SystemStateViolation:
		g.OpenAfter = 2
	case ShippingLateDispatch, ShippingNoPickup, ShippingOverdue, CustomerInvalidPhone, CustomerInvalidAddr,
		SystemSourceDown, ShippingNotReceived:
		g.ResolveAfter = 1
	}
	return g
}
