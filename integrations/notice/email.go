package notice

import (
	"net/mail"

	"github.com/orderbot/orderbot"
)

// CheckAddress refuses an email address that is not one plain address
// (mail.ParseAddress gives back exactly addr) or could break a header; what
// names it in the error ("sender address").
func CheckAddress(op, what, addr string) error {
	if err := CheckHeaderValue(op, what, addr); err != nil {
		return err
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return orderbot.Errorf(orderbot.KindInvalid, op, "the %s is not a valid email address", what)
	}
	return nil
}

// CheckEmail is what every email sender requires of m before it sends: a
// valid recipient address, a subject that fits in a header, and a text or
// HTML body.
func CheckEmail(op string, m Message) error {
	if err := CheckAddress(op, "recipient address", m.To); err != nil {
		return err
	}
	if err := CheckHeaderValue(op, "subject", m.Subject); err != nil {
		return err
	}
	if m.Subject == "" || (m.Text == "" && m.HTML == "") {
		return orderbot.Errorf(orderbot.KindInvalid, op, "an email needs a subject and a text or HTML body")
	}
	return nil
}

// CheckSender checks a sender's From address, its display name and the
// optional Reply-To address, as every email adapter's New does.
func CheckSender(op, from, fromName, replyTo string) error {
	if err := CheckAddress(op, "sender address", from); err != nil {
		return err
	}
	if err := CheckHeaderValue(op, "sender name", fromName); err != nil {
		return err
	}
	if replyTo != "" {
		return CheckAddress(op, "reply-to address", replyTo)
	}
	return nil
}
