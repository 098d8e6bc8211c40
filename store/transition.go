package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/orderbot/orderbot"
)

// Transition is one action on a ticket by staff or by orderbot. Which action
// is allowed in which state, what it changes and when a repeat is a no-op is
// the ticket lifecycle table in package tickets (tickets.Table); lua/
// transition.lua is its storage, checking the table's guards against the
// ticket as it is, atomically, and tickets.Lifecycle is the only caller.
type Transition struct {
	Action orderbot.Action
	Actor  string // Slack user id, or "orderbot"
	// Owner is the reassign target.
	Owner string
	// Until is when a snooze ends; it must be in the future.
	Until time.Time
	// Resolution is required for resolve; for auto_resolve a nil Resolution
	// means code "condition_cleared". By, At and Auto are filled in.
	Resolution *orderbot.Resolution
	// Note is the note text (required for note), or a comment on any action.
	Note string
	// IfVersion, when non-zero, makes the action a compare-and-set on
	// Ticket.Version: a ticket changed since the caller read it is a conflict.
	IfVersion int64
	// AckDue and ResolveDue are the new SLA targets of a reopen. When both are
	// zero the ticket gets its original allowances again (the time from open to
	// each target), counted from the reopen, so a Reopen button needs no SLA
	// configuration; when either is set both are taken as given (zero = none).
	AckDue     time.Time
	ResolveDue time.Time
}

// autoResolveCode is the resolution code of an auto_resolve without one.
const autoResolveCode = "condition_cleared"

// maxDetail bounds the free text kept in history and outbox entries (Slack
// sections hold 3,000 characters).
const maxDetail = 1000

// Transition applies tr to ticket id in one atomic compare-and-set. It returns
// the ticket after the change and the change made ("" for an idempotent
// repeat). When the ticket's state forbids the action it returns a KindConflict
// *orderbot.Error whose Msg says why in a plain sentence, together with the
// ticket as it is now, so the caller can show it. A missing ticket is
// KindNotFound; a malformed transition KindInvalid.
func (s *Store) Transition(ctx context.Context, id string, tr Transition) (orderbot.Ticket, Change, error) {
	const op = "store.transition"
	nid, ok := normalizeID(id)
	if !ok {
		return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id; ticket ids look like T1042", clip(id, 40))
	}
	now := s.now()
	resJSON, detail, err := prepare(&tr, now)
	if err != nil {
		return orderbot.Ticket{}, "", err
	}
	ackDue, resolveDue := int64(-1), int64(-1)
	if tr.Action == orderbot.ActReopen && (!tr.AckDue.IsZero() || !tr.ResolveDue.IsZero()) {
		ackDue, resolveDue = ms(tr.AckDue), ms(tr.ResolveDue)
	}
	args := append(s.ticketArgs(now, 10), nid, string(tr.Action), tr.Actor, tr.Owner, ms(tr.Until),
		resJSON, detail, tr.IfVersion, ackDue, resolveDue)
	reply, err := s.evalSha(ctx, scriptTransition, s.tkeys, args...).Slice()
	if err != nil {
		return orderbot.Ticket{}, "", s.fail(op, err)
	}
	status, _ := reply[0].(string)
	if status == "notfound" {
		return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindNotFound, op, "%s does not exist", nid)
	}
	if len(reply) != 4 {
		return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindPermanent, op, "unexpected reply from the transition script")
	}
	rs, _ := reply[3].(string)
	t, _, err := decodeTicket(nid, reply[2], rs, true)
	if err != nil {
		return orderbot.Ticket{}, "", orderbot.Wrap(orderbot.KindPermanent, op, err, "the ticket is unreadable")
	}
	why, _ := reply[1].(string)
	switch status {
	case "ok":
		if why != "" && s.opts.Observe != nil {
			s.opts.Observe(t, Change(why), 0)
		}
		return t, Change(why), nil
	case "conflict":
		return t, "", orderbot.Errorf(orderbot.KindConflict, op, "%s", conflictMessage(&t, why, tr.IfVersion, now))
	case "invalid":
		msg := "that action is not possible"
		if why == "past" {
			msg = "a snooze must end in the future"
		}
		return t, "", orderbot.Errorf(orderbot.KindInvalid, op, "%s", msg)
	}
	return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindPermanent, op, "unexpected reply from the transition script")
}

// prepare validates a transition and returns the resolution JSON and the
// history detail text.
func prepare(tr *Transition, now time.Time) (resJSON, detail string, err error) {
	const op = "store.transition"
	if strings.TrimSpace(tr.Actor) == "" {
		return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "the action has no actor")
	}
	if hasSeparator(tr.Actor) || hasSeparator(tr.Owner) {
		return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "the actor or owner has a control character")
	}
	note := cleanText(tr.Note)
	switch tr.Action {
	case orderbot.ActClaim, orderbot.ActRelease, orderbot.ActWake, orderbot.ActEscalate, orderbot.ActReopen:
		detail = note
	case orderbot.ActReassign:
		if strings.TrimSpace(tr.Owner) == "" {
			return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "reassign needs the new owner")
		}
		detail = join("to "+tr.Owner, note)
	case orderbot.ActSnooze:
		if !tr.Until.After(now) {
			return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "a snooze must end in the future")
		}
		detail = join("until "+tr.Until.UTC().Format(time.RFC3339), note)
	case orderbot.ActResolve, orderbot.ActAutoResolve:
		var r orderbot.Resolution
		if tr.Resolution != nil {
			r = *tr.Resolution
		}
		r.Code = strings.TrimSpace(r.Code)
		if r.Code == "" {
			if tr.Action == orderbot.ActResolve {
				return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "resolving needs a resolution code")
			}
			r.Code = autoResolveCode
		}
		r.Note = cleanText(r.Note)
		r.By, r.At, r.Auto = tr.Actor, now.UTC().Truncate(time.Millisecond), tr.Action == orderbot.ActAutoResolve
		b, err := json.Marshal(r)
		if err != nil {
			return "", "", orderbot.Wrap(orderbot.KindInvalid, op, err, "the resolution cannot be stored")
		}
		resJSON = string(b)
		detail = join(r.Code, r.Note)
		if r.Note == "" {
			detail = join(r.Code, note)
		}
	case orderbot.ActNote:
		if note == "" {
			return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "a note needs text")
		}
		detail = note
	default:
		return "", "", orderbot.Errorf(orderbot.KindInvalid, op, "%q is not a ticket action", clip(string(tr.Action), 40))
	}
	return resJSON, detail, nil
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + ": " + b
}

// cleanText drops control characters (other than newlines) and bounds length:
// notes come from Slack users and end up in history, outbox and cards.
func cleanText(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
	return clip(s, maxDetail)
}

// conflictMessage is the sentence shown to someone whose action lost a race or
// does not fit the ticket's state.
func conflictMessage(t *orderbot.Ticket, reason string, ifVersion int64, now time.Time) string {
	switch reason {
	case "claimed":
		return fmt.Sprintf("%s is already claimed by %s since %s", t.ID, mention(t.Owner), clockText(t.ClaimedAt, now))
	case "resolved":
		if t.Resolution != nil && t.Resolution.By != "" {
			return fmt.Sprintf("%s is resolved (by %s at %s)", t.ID, mention(t.Resolution.By), clockText(t.Resolution.At, now))
		}
		return fmt.Sprintf("%s is resolved", t.ID)
	case "snoozed":
		return fmt.Sprintf("%s is snoozed until %s", t.ID, clockText(t.SnoozedUntil, now))
	case "version":
		return fmt.Sprintf("%s changed since you looked at it (version %d, now %d); it is %s", t.ID, ifVersion, t.Version, describeState(t))
	}
	return fmt.Sprintf("%s is %s", t.ID, describeState(t))
}

func describeState(t *orderbot.Ticket) string {
	switch t.State {
	case orderbot.StateClaimed:
		return "claimed by " + mention(t.Owner)
	case orderbot.StateSnoozed:
		return "snoozed"
	}
	return string(t.State)
}

// mention renders an actor for Slack text: a user id becomes <@U123>, anything
// else (such as "orderbot") stays as it is.
func mention(actor string) string {
	if isSlackUserID(actor) {
		return "<@" + actor + ">"
	}
	return actor
}

func isSlackUserID(s string) bool {
	if len(s) < 2 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// clockText is "10:32 UTC" for today and "3 Jan 10:32 UTC" for another day.
func clockText(t, now time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}
