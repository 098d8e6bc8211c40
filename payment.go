package orderbot

import "time"

// PaymentStatus is the normalised state of a payment at the provider.
type PaymentStatus string

// Normalised payment statuses.
const (
	PaymentPending PaymentStatus = "pending" // processing, requires action
	// PaymentAuthorized: the card is authorised and the money held, but not
	// captured (Stripe requires_capture). It is not a payment: the provider
	// voids it unless it is captured in time (Stripe after 7 days).
	PaymentAuthorized PaymentStatus = "authorized"
	PaymentSucceeded  PaymentStatus = "succeeded" // money captured
	PaymentFailed     PaymentStatus = "failed"
	PaymentCanceled   PaymentStatus = "canceled"
)

// Refund is money returned against a payment.
type Refund struct {
	ID        string    `json:"id"`
	Amount    Money     `json:"amount"`
	Status    string    `json:"status"` // provider status: pending, succeeded, failed, canceled
	CreatedAt time.Time `json:"created_at"`
}

// Payment is a payment as the payment provider records it.
type Payment struct {
	ID        string        `json:"id"`       // provider id, e.g. "pi_..."
	Provider  string        `json:"provider"` // e.g. "stripe"
	OrderID   string        `json:"order_id"` // linked order, empty when unlinked
	Amount    Money         `json:"amount"`   // captured (received) amount
	Status    PaymentStatus `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
	Refunds   []Refund      `json:"refunds,omitempty"`
	// RefundsUnreported: the provider reports the trade, not its partial
	// refunds (Alipay's trade.query), so Amount is known gross only and a
	// partial refund the shop records cannot be checked against it.
	RefundsUnreported bool `json:"refunds_unreported,omitempty"`
}

// RefundedMinor is the sum of succeeded refunds in minor units.
func (p *Payment) RefundedMinor() int64 {
	var n int64
	for _, r := range p.Refunds {
		if r.Status == "succeeded" {
			n += r.Amount.Minor
		}
	}
	return n
}

// FullyRefunded reports whether succeeded refunds cover the captured amount.
func (p *Payment) FullyRefunded() bool {
	return p.Amount.Minor > 0 && p.RefundedMinor() >= p.Amount.Minor
}
