package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
)

// noticeIDPattern is the form of store.NoticeID.
var noticeIDPattern = regexp.MustCompile(`^N[0-9a-f]{16}$`)

// openNotify opens the Notify customer modal with the rendered preview. As
// with Resolve, views.open comes first within the trigger's three seconds and
// permission is checked after, replacing the content on refusal.
func (b *Bot) openNotify(ctx context.Context, ic *slack.InteractionCallback, c click) {
	log := b.log.With(slog.String("ticket", c.ticket), slog.String("action", c.action))
	title := "Notify customer"
	var view slack.ModalViewRequest
	var dept string
	ok := false
	if b.opts.Notices == nil {
		view = noticeModal(title, "Customer notices are not configured (notices.enabled).")
	} else {
		readCtx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		p, err := b.opts.Notices.Preview(readCtx, c.ticket)
		cancel()
		if err != nil {
			view = noticeModal(title, userText(orderbot.UserMessage(err)))
		} else {
			view = b.cards.notifyModal(p, notifyMeta{Ticket: p.Ticket.ID, User: ic.User.ID})
			dept, ok = p.Ticket.Department, true
		}
	}
	if !ok {
		dept = ""
	}
	b.openModal(ctx, ic, log, view, "Notify customer form", title, dept)
}

// submitNotify creates the manual notice synchronously, so a refusal shows
// under the channel choice. The notice itself goes out through the notifier's
// outbox, and its thread lines tell the outcome.
func (b *Bot) submitNotify(ic *slack.InteractionCallback) any {
	fail := func(msg string) any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockChannel: clip(sentence(msg), 150)})
	}
	var meta notifyMeta
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || !ticketIDPattern.MatchString(meta.Ticket) {
		return fail("This form is out of date; close it and click Notify customer again")
	}
	if b.opts.Notices == nil {
		return fail("Customer notices are not configured")
	}
	channel := ""
	if ic.View.State != nil {
		channel = ic.View.State.Values[blockChannel][actionChannel].SelectedOption.Value
	}
	if channel != "sms" && channel != "email" {
		return fail("Choose how to send the notice")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	t, err := b.st.Get(ctx, meta.Ticket)
	if err == nil {
		err = b.authz.check(ctx, ic.User.ID, t.Department)
	}
	if err != nil {
		return fail(orderbot.UserMessage(err))
	}
	n, created, err := b.opts.Notices.Notify(ctx, meta.Ticket, channel, ic.User.ID)
	if err != nil {
		if !orderbot.IsKind(err, orderbot.KindInvalid) {
			b.log.Warn("manual notice failed", slog.String("ticket", meta.Ticket), slog.String("error", err.Error()))
		}
		return fail(orderbot.UserMessage(err))
	}
	if !created {
		return fail("A manual notice about this order was already made (" + string(n.State) + "); another is not sent")
	}
	return nil
}

// settleNotice applies a notice thread button: send again, or record as sent.
func (b *Bot) settleNotice(ctx context.Context, ic *slack.InteractionCallback, c click) {
	if b.opts.Notices == nil {
		b.reply(ctx, ic, "Customer notices are not configured.")
		return
	}
	t, err := b.st.Get(ctx, c.ticket)
	if err == nil {
		err = b.authz.check(ctx, ic.User.ID, t.Department)
	}
	if err == nil {
		if c.action == actNoticeResend {
			_, err = b.opts.Notices.Resend(ctx, c.notice, ic.User.ID)
		} else {
			_, err = b.opts.Notices.MarkSent(ctx, c.notice, ic.User.ID)
		}
	}
	if err != nil {
		if !orderbot.IsKind(err, orderbot.KindConflict) && !orderbot.IsKind(err, orderbot.KindUnauthorized) &&
			!orderbot.IsKind(err, orderbot.KindNotFound) {
			b.log.Warn("settling a notice failed", slog.String("ticket", c.ticket), slog.String("notice", c.notice), slog.String("error", err.Error()))
		}
		b.reply(ctx, ic, userText(sentence(orderbot.UserMessage(err))))
	}
}
