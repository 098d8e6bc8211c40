package notice

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orderbot/orderbot"
)

// Message is one notice to one recipient.
type Message struct {
	// To is an E.164 phone number (+8613800138000) for SMS or an email address.
	To string
	// Subject is the email subject; SMS adapters ignore it.
	Subject string
	// Text is the plain-text body (the SMS text, the email's text part).
	Text string
	// HTML is the optional HTML part of an email, already escaped by the
	// template that rendered it.
	HTML string
	// TemplateCode names a provider-side template (Alibaba SMS_xxx).
	TemplateCode string
	// TemplateParams are the template's parameters (Alibaba).
	TemplateParams map[string]string
	// Reference is the idempotency/reference id of this notice (ticket plus
	// template, say); adapters pass it to the provider where it has a field
	// for it, so a delivery receipt or a support query can find the notice.
	Reference string
}

// Receipt is a provider's acceptance of a message.
type Receipt struct {
	// ProviderID is the provider's id of the message: Twilio's SID, Alibaba's
	// BizId, SendGrid's X-Message-Id, the SMTP server's queue id when it
	// gives one. It may be empty when the provider accepted the message
	// without naming it.
	ProviderID string
	// Status is the provider's status of the message on acceptance
	// ("queued", "accepted", ...).
	Status string
}

// Sender delivers a message through one provider. Send never retries: a
// message that may have gone out must not go out twice.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// ErrOutcomeUnknown is wrapped in the error of a send whose request may have
// been delivered to the provider but whose answer was never read (a timeout,
// a dropped connection or a cancellation after the request was written).
var ErrOutcomeUnknown = errors.New("outcome unknown: the message may have been sent")

// ErrRecipientOptedOut is wrapped in the error of a send the provider refused
// because the recipient opted out of messages from us (Twilio 21610, a STOP
// reply): the notifier adds the recipient to the opt-out list.
var ErrRecipientOptedOut = errors.New("the recipient opted out")

// OutcomeUnknown builds the error for a send that may have gone through:
// KindPermanent so that nothing retries it, with ErrOutcomeUnknown and cause
// both in the chain. provider names the provider in the staff-readable text.
func OutcomeUnknown(op, provider string, cause error) *orderbot.Error {
	return &orderbot.Error{
		Kind: orderbot.KindPermanent,
		Op:   op,
		Msg: provider + " did not confirm the message in time; it may have been sent, so it was not " +
			"retried: check with " + provider + " before sending it again",
		Err: fmt.Errorf("%w: %w", ErrOutcomeUnknown, cause),
	}
}

// CheckHeaderValue returns a KindInvalid error when v holds a CR, LF or NUL:
// in an email subject or address those would let a customer-supplied value
// inject headers. what names the field in the message ("subject").
func CheckHeaderValue(op, what, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return orderbot.Errorf(orderbot.KindInvalid, op, "the email %s contains a line break, which is not allowed", what)
	}
	return nil
}
