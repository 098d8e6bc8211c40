package stripefake

import (
	"slices"
	"strings"

	"github.com/orderbot/orderbot"
)

// The wire types are written from providers.md §1, independently of the
// adapter's, so the adapter tests check the adapter against the format and not
// against itself.

type wireList struct {
	Object  string `json:"object"`
	URL     string `json:"url"`
	HasMore bool   `json:"has_more"`
	Data    []any  `json:"data"`
}

type wirePaymentIntent struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	AmountCapturable   int64             `json:"amount_capturable"`
	AmountReceived     int64             `json:"amount_received"`
	CanceledAt         *int64            `json:"canceled_at"`
	CancellationReason *string           `json:"cancellation_reason"`
	CaptureMethod      string            `json:"capture_method"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	Customer           *string           `json:"customer"`
	Description        *string           `json:"description"`
	LastPaymentError   *wireError        `json:"last_payment_error"`
	LatestCharge       any               `json:"latest_charge"` // null, "ch_..." or the charge
	Livemode           bool              `json:"livemode"`
	Metadata           map[string]string `json:"metadata"`
	PaymentMethod      *string           `json:"payment_method"`
	ReceiptEmail       *string           `json:"receipt_email"`
	Status             string            `json:"status"`
}

type wireError struct {
	Code        string `json:"code,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
	Message     string `json:"message"`
	Param       string `json:"param,omitempty"`
	Type        string `json:"type"`
	DocURL      string `json:"doc_url,omitempty"`
}

type wireCharge struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Amount         int64             `json:"amount"`
	AmountCaptured int64             `json:"amount_captured"`
	AmountRefunded int64             `json:"amount_refunded"`
	Captured       bool              `json:"captured"`
	Created        int64             `json:"created"`
	Currency       string            `json:"currency"`
	Disputed       bool              `json:"disputed"`
	FailureCode    *string           `json:"failure_code"`
	FailureMessage *string           `json:"failure_message"`
	Livemode       bool              `json:"livemode"`
	Metadata       map[string]string `json:"metadata"`
	Paid           bool              `json:"paid"`
	PaymentIntent  string            `json:"payment_intent"`
	Refunded       bool              `json:"refunded"`
	Status         string            `json:"status"`
	// Refunds is present only when expanded (latest_charge.refunds): recent
	// API versions no longer embed it.
	Refunds *wireList `json:"refunds,omitempty"`
}

type wireRefund struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Charge        string            `json:"charge"`
	Created       int64             `json:"created"`
	Currency      string            `json:"currency"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent string            `json:"payment_intent"`
	Reason        *string           `json:"reason"`
	Status        string            `json:"status"`
}

func ptr[T any](v T) *T { return &v }

func chargeID(piID string) string { return "ch_" + strings.TrimPrefix(piID, "pi_") }

// renderIntent renders a stored payment as a PaymentIntent; expand embeds the
// latest charge instead of its id.
// expansion is what a request expands of an intent: its latest charge, and
// with it the charge's refunds.
type expansion struct{ charge, refunds bool }

// expansionOf reads expand[] paths relative to prefix ("data." on lists). As
// on Stripe, expanding a nested path (latest_charge.refunds) expands the
// objects on its way.
func expansionOf(paths []string, prefix string) expansion {
	var e expansion
	for _, p := range paths {
		switch strings.TrimPrefix(p, prefix) {
		case "latest_charge":
			e.charge = true
		case "latest_charge.refunds":
			e.charge, e.refunds = true, true
		}
	}
	return e
}

// embeddedRefunds is how many refunds an expanded list carries; more are
// flagged has_more and must be listed through /v1/refunds, as on Stripe.
const embeddedRefunds = 10

func renderIntent(p *orderbot.Payment, orderKey string, expand expansion) wirePaymentIntent {
	w := wirePaymentIntent{
		ID:            p.ID,
		Object:        "payment_intent",
		Amount:        p.Amount.Minor,
		CaptureMethod: "automatic",
		Created:       p.CreatedAt.Unix(),
		Currency:      strings.ToLower(p.Amount.Currency),
		Metadata:      map[string]string{},
	}
	if p.OrderID != "" {
		w.Metadata[orderKey] = p.OrderID
	}
	var ch *wireCharge
	switch p.Status {
	case orderbot.PaymentSucceeded:
		w.Status = "succeeded"
		w.AmountReceived = p.Amount.Minor
		ch = renderCharge(p, "succeeded")
	case orderbot.PaymentFailed:
		// A failed attempt sends the intent back for another payment method.
		w.Status = "requires_payment_method"
		w.LastPaymentError = &wireError{Code: "card_declined", DeclineCode: "generic_decline",
			Message: "Your card was declined.", Type: "card_error"}
		ch = renderCharge(p, "failed")
	case orderbot.PaymentAuthorized:
		// Manual capture: the charge succeeded as an authorisation and holds
		// the amount until it is captured or voided.
		w.Status, w.CaptureMethod, w.AmountCapturable = "requires_capture", "manual", p.Amount.Minor
		ch = renderCharge(p, "succeeded")
		ch.Captured, ch.AmountCaptured = false, 0
	case orderbot.PaymentCanceled:
		w.Status = "canceled"
		w.CanceledAt = ptr(p.CreatedAt.Unix())
		w.CancellationReason = ptr("abandoned")
	default:
		w.Status = "processing"
		ch = renderCharge(p, "pending")
	}
	switch {
	case ch == nil:
	case expand.charge:
		if expand.refunds {
			ch.Refunds = renderRefundList(p, ch.ID)
		}
		w.LatestCharge = ch
	default:
		w.LatestCharge = ch.ID
	}
	return w
}

func renderCharge(p *orderbot.Payment, status string) *wireCharge {
	c := &wireCharge{
		ID:            chargeID(p.ID),
		Object:        "charge",
		Amount:        p.Amount.Minor,
		Created:       p.CreatedAt.Unix(),
		Currency:      strings.ToLower(p.Amount.Currency),
		Metadata:      map[string]string{},
		PaymentIntent: p.ID,
		Status:        status,
	}
	switch status {
	case "succeeded":
		c.Captured, c.Paid = true, true
		c.AmountCaptured = p.Amount.Minor
	case "failed":
		c.FailureCode = ptr("card_declined")
		c.FailureMessage = ptr("Your card was declined.")
	}
	for _, r := range p.Refunds {
		// Stripe counts pending refunds in amount_refunded too.
		if r.Status == "succeeded" || r.Status == "pending" {
			c.AmountRefunded += r.Amount.Minor
		}
	}
	c.Refunded = c.AmountCaptured > 0 && c.AmountRefunded >= c.AmountCaptured
	return c
}

func renderRefund(r *orderbot.Refund, piID string) wireRefund {
	return wireRefund{
		ID:            r.ID,
		Object:        "refund",
		Amount:        r.Amount.Minor,
		Charge:        chargeID(piID),
		Created:       r.CreatedAt.Unix(),
		Currency:      strings.ToLower(r.Amount.Currency),
		Metadata:      map[string]string{},
		PaymentIntent: piID,
		Reason:        ptr("requested_by_customer"),
		Status:        r.Status,
	}
}

// renderRefundList is a charge's expanded refunds: a list object of the
// newest embeddedRefunds refunds, newest first, has_more when there are more.
func renderRefundList(p *orderbot.Payment, chID string) *wireList {
	rs := slices.Clone(p.Refunds)
	slices.SortFunc(rs, func(a, b orderbot.Refund) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	l := &wireList{Object: "list", URL: "/v1/charges/" + chID + "/refunds", Data: []any{}}
	if len(rs) > embeddedRefunds {
		rs, l.HasMore = rs[:embeddedRefunds], true
	}
	for i := range rs {
		l.Data = append(l.Data, renderRefund(&rs[i], p.ID))
	}
	return l
}
