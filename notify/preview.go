package notify

import (
	"context"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// ChannelPreview is the manual notice as it would go out by one channel.
type ChannelPreview struct {
	Channel string // ChannelSMS or ChannelEmail
	To      string // masked recipient
	Subject string // email only
	Body    string // the SMS text or the email's text part
	// Segments and Encoding describe an SMS.
	Segments int
	Encoding string
	// TemplateCode is the approved provider template an SMS goes as, if any.
	TemplateCode string
}

// Preview is what the "Notify customer" modal shows.
type Preview struct {
	Ticket orderbot.Ticket
	// Channels are the ways the customer can be reached, SMS first; empty
	// when Problem says why none works.
	Channels []ChannelPreview
	Problem  string
	// Existing is the manual notice already made for this order and kind:
	// another is not sent.
	Existing *store.Notice
	// Notices are all notices of the ticket, oldest first.
	Notices []store.Notice
}

// Preview renders the manual notice of a ticket for each channel that can
// reach its customer.
func (n *Notifier) Preview(ctx context.Context, ticketID string) (Preview, error) {
	const op = "notify.preview"
	t, err := n.st.Get(ctx, ticketID)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Ticket: t}
	if !n.CanNotify(t) {
		return p, orderbot.Errorf(orderbot.KindInvalid, op, "%s is not about one customer's order, so there is nobody to notify", t.ID)
	}
	if p.Notices, err = n.st.TicketNotices(ctx, t.ID); err != nil {
		return p, err
	}
	manualID := store.NoticeID(t.OrderID + "|" + string(t.Kind) + "|" + string(orderbot.NoticeManual))
	if ex, err := n.st.GetNotice(ctx, manualID); err == nil {
		p.Existing = &ex
	} else if !orderbot.IsKind(err, orderbot.KindNotFound) {
		return p, err
	}
	var problems []string
	for _, ch := range []string{ChannelSMS, ChannelEmail} {
		d, err := n.prepare(ctx, t, orderbot.NoticeManual, ch)
		if err != nil {
			return p, err
		}
		if d.problem != "" {
			problems = append(problems, d.problem)
			continue
		}
		if d.channel != ch {
			continue // an SMS without an approved template fell back to email
		}
		cp := ChannelPreview{Channel: ch, To: mask(ch, d.to)}
		if ch == ChannelSMS {
			cp.Body, cp.Segments, cp.Encoding, cp.TemplateCode = d.r.SMS, d.r.Segments, d.r.Encoding, d.msg.TemplateCode
		} else {
			cp.Subject, cp.Body = d.r.Subject, d.r.Text
		}
		p.Channels = append(p.Channels, cp)
	}
	if len(p.Channels) == 0 {
		p.Problem = joinProblems(problems)
	}
	return p, nil
}

func joinProblems(ps []string) string {
	seen := map[string]bool{}
	out := ""
	for _, p := range ps {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if out != "" {
			out += "; "
		}
		out += p
	}
	return out
}
