package stripe

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// The wire types hold the fields of providers.md §1 that the mapping reads;
// the decoder skips the rest.

// list is Stripe's list envelope.
type list[T any] struct {
	Object  string `json:"object"`
	HasMore bool   `json:"has_more"`
	Data    []T    `json:"data"`
}

type paymentIntent struct {
	ID               string            `json:"id"`
	Amount           int64             `json:"amount"`
	AmountReceived   int64             `json:"amount_received"`
	Currency         string            `json:"currency"`
	Status           string            `json:"status"`
	Created          int64             `json:"created"`
	Metadata         map[string]string `json:"metadata"`
	LatestCharge     chargeRef         `json:"latest_charge"`
	Charges          *list[charge]     `json:"charges"` // API versions before 2022-11-15
	LastPaymentError *paymentError     `json:"last_payment_error"`
	Livemode         bool              `json:"livemode"`
}

type paymentError struct {
	Code        string `json:"code"`
	DeclineCode string `json:"decline_code"`
	Type        string `json:"type"`
}

type charge struct {
	ID             string        `json:"id"`
	Amount         int64         `json:"amount"`
	AmountCaptured int64         `json:"amount_captured"`
	AmountRefunded int64         `json:"amount_refunded"`
	Refunded       bool          `json:"refunded"`
	Status         string        `json:"status"`
	Currency       string        `json:"currency"`
	PaymentIntent  string        `json:"payment_intent"`
	Refunds        *list[refund] `json:"refunds"` // embedded on older API versions, else when expanded
}

type refund struct {
	ID            string `json:"id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	PaymentIntent string `json:"payment_intent"`
	Created       int64  `json:"created"`
	Status        string `json:"status"`
}

// chargeRef is an expandable field: a charge id, the expanded charge, or null.
type chargeRef struct {
	ID     string
	Charge *charge
}

// UnmarshalJSON accepts the three shapes Stripe sends for latest_charge.
func (r *chargeRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*r = chargeRef{}
		return nil
	case b[0] == '"':
		*r = chargeRef{}
		return json.Unmarshal(b, &r.ID)
	case b[0] == '{':
		var c charge
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		*r = chargeRef{ID: c.ID, Charge: &c}
		return nil
	}
	// The decoder adds the field path to this error.
	return &json.UnmarshalTypeError{Value: jsonKind(b[0]), Type: reflect.TypeFor[string]()}
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// errorEnvelope is Stripe's error body.
type errorEnvelope struct {
	Error struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param"`
	} `json:"error"`
}
