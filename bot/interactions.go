package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// click is one card action decoded from a block_actions payload.
type click struct {
	action string // one of the act* ids
	ticket string
	// version is the version the card showed (0 when unknown), kept for logs.
	// Actions are checked against the ticket's current state rather than this
	// version, so an unrelated change (a recurrence) does not void a click.
	version int64
	option  string // snooze choice
	user    string // reassign target
	notice  string // notice id of the thread buttons of a notice
}

// parseClick decodes one block action of a card. Buttons carry "T12|7" in their
// value; selects carry no value, so the ticket comes from the block id
// ("ob|T12|v7|a"). ok is false for anything that is not a card action.
func parseClick(a *slack.BlockAction) (click, bool) {
	if a == nil {
		return click{}, false
	}
	c := click{action: a.ActionID}
	switch a.ActionID {
	case actClaim, actRelease, actEscalate, actResolve, actReopen, actNotify:
		c.ticket, c.version = parseActionValue(a.Value)
	case actNoticeResend, actNoticeMarkSent:
		c.ticket, c.notice, _ = strings.Cut(a.Value, "|")
		if !noticeIDPattern.MatchString(c.notice) {
			return click{}, false
		}
	case actSnooze:
		c.option = a.SelectedOption.Value
		c.ticket, c.version = ticketFromBlockID(a.BlockID)
		if c.option != snooze30m && c.option != snooze2h && c.option != snoozeTomorrow {
			return click{}, false
		}
	case actReassign:
		c.user = a.SelectedUser
		c.ticket, c.version = ticketFromBlockID(a.BlockID)
		if !userIDPattern.MatchString(c.user) {
			return click{}, false
		}
	default:
		return click{}, false
	}
	if !ticketIDPattern.MatchString(c.ticket) {
		return click{}, false
	}
	return c, true
}

// ticketFromBlockID reads the ticket and version from a card block id.
func ticketFromBlockID(id string) (string, int64) {
	parts := strings.Split(id, "|")
	if len(parts) < 3 || parts[0] != "ob" {
		return "", 0
	}
	_, v := parseActionValue("x|" + strings.TrimPrefix(parts[2], "v"))
	return parts[1], v
}

// dispatchInteraction routes one interaction and returns the body of the ack
// (nil for an empty 200, notQueued when a click was neither queued nor
// answered). Card clicks go to the click queue that RunClicks works through;
// only the modals' submissions are answered synchronously, because their
// validation errors must be in the ack.
func (b *Bot) dispatchInteraction(ic *slack.InteractionCallback) any {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		lost := 0
		for _, a := range ic.ActionCallback.BlockActions {
			c, ok := parseClick(a)
			if !ok {
				continue
			}
			if !b.takeClick(ic, a, c) {
				lost++
			}
		}
		if lost > 0 {
			return notQueued{clicks: lost}
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		switch ic.View.CallbackID {
		case callbackResolve:
			return b.submitResolve(ic)
		case callbackNotify:
			return b.submitNotify(ic)
		}
	}
	return nil
}

// reply tells the clicking user something only they see: through the payload's
// response URL when there is one, else with chat.postEphemeral.
func (b *Bot) reply(ctx context.Context, ic *slack.InteractionCallback, text string) {
	b.replied(ctx, ic, text)
}

// replied is reply reporting whether Slack took the message. A reply is the
// only trace a refused click leaves, so a failed one is tried once more.
func (b *Bot) replied(ctx context.Context, ic *slack.InteractionCallback, text string) bool {
	m := note(text)
	var ce *callError
	for attempt := 0; attempt < 2; attempt++ {
		switch {
		case ic.ResponseURL != "":
			ce = b.api.respond(ctx, ic.ResponseURL, m, false)
		case ic.Channel.ID != "" || ic.Container.ChannelID != "":
			ch := ic.Channel.ID
			if ch == "" {
				ch = ic.Container.ChannelID
			}
			ce = b.api.ephemeral(ctx, ch, ic.User.ID, m)
		default:
			return false
		}
		if ce == nil || ctx.Err() != nil {
			break
		}
	}
	if ce != nil {
		b.log.Warn("slack reply failed", slog.String("error", ce.err.Error()))
		return false
	}
	return true
}

// handleClick applies a card action after the ack: it checks who may act,
// applies the transition as a compare-and-set against the ticket as it is now,
// and explains a refusal or a lost race to the user. The card itself is updated
// by the poster from the outbox entry the transition writes.
func (b *Bot) handleClick(ctx context.Context, ic *slack.InteractionCallback, c click) {
	log := b.log.With(slog.String("ticket", c.ticket), slog.String("action", c.action), slog.Int64("card_version", c.version))
	switch c.action {
	case actResolve:
		b.openResolve(ctx, ic, c)
		return
	case actNotify:
		b.openNotify(ctx, ic, c)
		return
	case actNoticeResend, actNoticeMarkSent:
		b.settleNotice(ctx, ic, c)
		return
	}
	t, err := b.st.Get(ctx, c.ticket)
	if err != nil {
		b.reply(ctx, ic, userText(orderbot.UserMessage(err)))
		return
	}
	if err := b.authz.check(ctx, ic.User.ID, t.Department); err != nil {
		b.reply(ctx, ic, userText(orderbot.UserMessage(err)))
		return
	}
	tr := store.Transition{Actor: ic.User.ID}
	switch c.action {
	case actClaim:
		tr.Action = orderbot.ActClaim
	case actRelease:
		tr.Action = orderbot.ActRelease
	case actEscalate:
		tr.Action = orderbot.ActEscalate
	case actReopen:
		tr.Action = orderbot.ActReopen
	case actReassign:
		tr.Action, tr.Owner = orderbot.ActReassign, c.user
	case actSnooze:
		tr.Action, tr.Until = orderbot.ActSnooze, b.snoozeUntil(c.option)
	}
	after, change, err := b.life.Apply(ctx, t.ID, tr)
	if err != nil {
		if !orderbot.IsKind(err, orderbot.KindConflict) && !orderbot.IsKind(err, orderbot.KindInvalid) {
			log.Warn("ticket action failed", slog.String("error", err.Error()))
		}
		b.reply(ctx, ic, userText(orderbot.UserMessage(err)))
		return
	}
	if change == "" && c.action == actClaim {
		b.reply(ctx, ic, "You already own "+t.ID+".")
		return
	}
	// A click on an ephemeral card (from /ob ticket) refreshes that card; cards
	// in channels are updated by the poster.
	if ic.Container.IsEphemeral && ic.ResponseURL != "" {
		m := b.cards.ticketCard(cardView{T: after, Now: b.opts.Clock()})
		if ce := b.api.respond(ctx, ic.ResponseURL, m, true); ce != nil {
			log.Warn("refreshing ephemeral card failed", slog.String("error", ce.err.Error()))
		}
	}
}

// sentence makes sure a message to a user starts upper case and ends with a
// full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

// snoozeUntil turns a snooze choice into a time: 30 minutes, 2 hours, or 09:00
// tomorrow in the configured time zone.
func (b *Bot) snoozeUntil(option string) time.Time {
	now := b.opts.Clock()
	switch option {
	case snooze30m:
		return now.Add(30 * time.Minute)
	case snooze2h:
		return now.Add(2 * time.Hour)
	}
	l := now.In(b.opts.Location)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 9, 0, 0, 0, b.opts.Location)
}

// openResolve opens the Resolve modal. views.open comes first: the trigger id
// expires three seconds after the click and works once, so only a bounded ticket
// read happens before it; permission is checked after, and a refusal replaces
// the modal's content.
func (b *Bot) openResolve(ctx context.Context, ic *slack.InteractionCallback, c click) {
	log := b.log.With(slog.String("ticket", c.ticket), slog.String("action", c.action))
	readCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	t, err := b.st.Get(readCtx, c.ticket)
	cancel()
	var view slack.ModalViewRequest
	canResolve := false
	switch {
	case err != nil:
		view = noticeModal("Resolve "+c.ticket, userText(orderbot.UserMessage(err)))
	case t.State == orderbot.StateResolved:
		view = noticeModal(t.ID, esc(t.ID)+" is already resolved.")
	default:
		ch := ic.Container.ChannelID
		if ch == "" {
			ch = ic.Channel.ID
		}
		view = b.cards.resolveModal(t, resolveMeta{Ticket: t.ID, Version: t.Version, Kind: string(t.Kind), Channel: ch, User: ic.User.ID})
		canResolve = true
	}
	dept := ""
	if canResolve {
		dept = t.Department
	}
	b.openModal(ctx, ic, log, view, "Resolve form", "Resolve "+c.ticket, dept)
}

// openModal opens view while the click's trigger id is valid (three seconds,
// once) and then, when dept is set, checks that the user may act for it,
// replacing the modal's content with the refusal. form names the modal in the
// retry hint, title heads the refusal.
func (b *Bot) openModal(ctx context.Context, ic *slack.InteractionCallback, log *slog.Logger, view slack.ModalViewRequest, form, title, dept string) {
	openCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	resp, err := b.api.c.OpenViewContext(openCtx, ic.TriggerID, view)
	cancel()
	if err != nil {
		log.Warn("views.open failed", slog.String("error", classify("slack.views.open", err).err.Error()))
		b.reply(ctx, ic, "The "+form+" could not be opened in time; please click the button again.")
		return
	}
	if dept == "" {
		return
	}
	if err := b.authz.check(ctx, ic.User.ID, dept); err != nil {
		denied := noticeModal(title, userText(orderbot.UserMessage(err)))
		if _, uerr := b.api.c.UpdateViewContext(ctx, denied, "", resp.Hash, resp.ID); uerr != nil {
			log.Warn("views.update failed", slog.String("error", classify("slack.views.update", uerr).err.Error()))
			b.reply(ctx, ic, userText(orderbot.UserMessage(err)))
		}
	}
}

// readResolve decodes and validates a Resolve modal submission without any
// I/O; problem is the sentence to show under the code field.
func readResolve(ic *slack.InteractionCallback) (meta resolveMeta, code, noteText, problem string) {
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || !ticketIDPattern.MatchString(meta.Ticket) {
		return meta, "", "", "This form is out of date; close it and click Resolve again."
	}
	if ic.View.State != nil {
		code = ic.View.State.Values[blockCode][actionCode].SelectedOption.Value
		noteText = ic.View.State.Values[blockNote][actionNote].Value
	}
	spec, ok := orderbot.Spec(orderbot.Kind(meta.Kind))
	if !ok || !contains(spec.Resolutions, code) {
		return meta, code, noteText, "Choose one of the listed resolutions."
	}
	return meta, code, noteText, ""
}

// submitResolve validates and applies the Resolve modal synchronously, within
// Slack's three seconds, so that problems show next to the field.
func (b *Bot) submitResolve(ic *slack.InteractionCallback) any {
	meta, code, noteText, problem := readResolve(ic)
	if problem != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockCode: problem})
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	t, err := b.st.Get(ctx, meta.Ticket)
	if err == nil {
		err = b.authz.check(ctx, ic.User.ID, t.Department)
	}
	if err == nil {
		_, _, err = b.life.Apply(ctx, meta.Ticket, store.Transition{
			Action: orderbot.ActResolve, Actor: ic.User.ID,
			Resolution: &orderbot.Resolution{Code: code, Note: noteText},
		})
	}
	if err != nil {
		if !orderbot.IsKind(err, orderbot.KindConflict) && !orderbot.IsKind(err, orderbot.KindUnauthorized) {
			b.log.Warn("resolve failed", slog.String("ticket", meta.Ticket), slog.String("error", err.Error()))
		}
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockCode: clip(sentence(orderbot.UserMessage(err)), 150)})
	}
	return nil
}
