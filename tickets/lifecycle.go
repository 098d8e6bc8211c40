package tickets

import (
	"context"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Event is something that happens to a ticket. Staff and system actions are
// the orderbot.Action values (claim, snooze, resolve, ...); a detection cycle
// adds Detected and Cleared, and the SLA sweeper adds SLAStep.
type Event string

// Events of the lifecycle table.
const (
	// Detected: a detection cycle found the ticket's condition (an upsert).
	Detected Event = "detected"
	// Cleared: a cycle evaluated the subject and did not find the condition.
	Cleared Event = "cleared"
	// SLAStep: an ack or resolve target (or the warning before it) passed and
	// the escalation chain's next step is due.
	SLAStep Event = "sla_step"

	Claim       = Event(orderbot.ActClaim)
	Release     = Event(orderbot.ActRelease)
	Reassign    = Event(orderbot.ActReassign)
	Snooze      = Event(orderbot.ActSnooze)
	Wake        = Event(orderbot.ActWake)
	Escalate    = Event(orderbot.ActEscalate)
	Resolve     = Event(orderbot.ActResolve)
	AutoResolve = Event(orderbot.ActAutoResolve)
	Reopen      = Event(orderbot.ActReopen)
	Note        = Event(orderbot.ActNote)
)

// Pseudo-states of the table: a fingerprint with no ticket, and one whose
// condition the flap guard is still counting before it opens a ticket.
const (
	StateNone    orderbot.TicketState = "none"
	StatePending orderbot.TicketState = "pending"
)

// Outcome is what a row does when its guard holds.
type Outcome uint8

// Outcomes. Applied rows write the ticket, its history and its outbox entry in
// one script; Unchanged is an idempotent repeat (Change ""); Refused is a
// KindConflict error naming Reason; Invalid a KindInvalid error.
const (
	Applied Outcome = iota
	Unchanged
	Refused
	Invalid
)

// String names the outcome as the table documentation does.
func (o Outcome) String() string {
	return [...]string{"applied", "unchanged", "refused", "invalid"}[o]
}

// Effect is one thing an applied row does beyond setting the state. Every
// applied row also bumps Version and writes a history entry and an outbox
// entry (except the quiet ones: recurred and pending).
type Effect uint16

// Effects, in the order the scripts apply them.
const (
	// ResumeSLA: a snoozed ticket's paused SLA time restarts from now.
	ResumeSLA Effect = 1 << iota
	// PauseSLA: the time left to each target is kept and the targets stop.
	PauseSLA
	// OwnerActor: the actor owns the ticket (claimed_at = now).
	OwnerActor
	// OwnerTarget: the reassign target owns the ticket.
	OwnerTarget
	// OwnerClear: nobody owns the ticket.
	OwnerClear
	// SnoozeUntil: the ticket sleeps until the event's Until.
	SnoozeUntil
	// EscalationUp: Escalation + 1.
	EscalationUp
	// RecordResolution: resolution, resolver and time recorded; off every SLA set.
	RecordResolution
	// FreshSLA: new SLA targets from now (a reopen: the original allowances
	// unless the event names targets), Reopened + 1, owner and resolution cleared.
	FreshSLA
	// MarkFlapping: the ticket is marked flapping and stays open.
	MarkFlapping
)

var effectNames = []string{"resume SLA", "pause SLA", "owner = actor", "owner = target", "owner cleared",
	"snooze until", "escalation + 1", "record resolution", "fresh SLA, reopened + 1", "mark flapping"}

// String lists the effects in words, comma-separated.
func (e Effect) String() string {
	s := ""
	for i, n := range effectNames {
		if e&(1<<i) != 0 {
			if s != "" {
				s += ", "
			}
			s += n
		}
	}
	return s
}

// Input is what a guard may look at: the ticket as the script reads it and the
// event's arguments.
type Input struct {
	Ticket orderbot.Ticket
	Actor  string    // who acts (Slack user id or "orderbot")
	Owner  string    // reassign target
	Until  time.Time // end of a snooze
	Now    time.Time
}

// Rule is one row of the lifecycle: in state From, event Event whose Guard
// holds has Outcome; an applied row moves to To (To == From for a change that
// keeps the state), reports Change and has Effects. Script names the Lua script
// in store/lua that stores the row atomically.
type Rule struct {
	From    orderbot.TicketState
	Event   Event
	Guard   string // the condition in words; "" means always
	holds   func(Input) bool
	Outcome Outcome
	Reason  string // why a Refused or Invalid row refuses (the script's reason)
	To      orderbot.TicketState
	Change  store.Change
	Effects Effect
	Script  string
}

// Holds reports whether r's guard holds for in.
func (r *Rule) Holds(in Input) bool { return r.holds == nil || r.holds(in) }

var active = []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed}

// Guards.
func ownedByActor(in Input) bool  { return in.Ticket.Owner == in.Actor }
func ownedByTarget(in Input) bool { return in.Ticket.Owner == in.Owner }
func untilPast(in Input) bool     { return !in.Until.After(in.Now) }
func sameUntil(in Input) bool     { return in.Ticket.SnoozedUntil.Equal(in.Until) }
func snoozeRunning(in Input) bool { return in.Ticket.SnoozedUntil.After(in.Now) }
func hasOwner(in Input) bool      { return in.Ticket.Owner != "" }
func resolvedByActor(in Input) bool {
	return in.Ticket.Resolution != nil && in.Ticket.Resolution.By == in.Actor
}

// table is the ticket lifecycle: for each (state, event) the rows in the order
// their guards are tried; the first row whose guard holds decides. Every
// transition of every ticket goes through one of these rows, and
// TestLifecycleScriptsMatchTable drives the Lua scripts with random events and
// checks every outcome against this table.
var table = buildTable()

func buildTable() []Rule {
	var t []Rule
	add := func(r Rule) { t = append(t, r) }
	each := func(states []orderbot.TicketState, r Rule) {
		for _, s := range states {
			r.From = s
			if r.To == "" && r.Outcome == Applied {
				r.To = s
			}
			add(r)
			if r.To == s {
				r.To = ""
			}
		}
	}
	const upsert, tr, sweep, clearing, flapping = "pending.lua + upsert.lua", "transition.lua", "sweep.lua", "clearing.lua", "flapping.lua"

	// A detection cycle (Engine.Upsert, Engine.Apply).
	add(Rule{From: StateNone, Event: Detected, Guard: "flap guard gated and not yet seen often or long enough",
		Outcome: Applied, To: StatePending, Change: store.ChangePending, Script: upsert})
	add(Rule{From: StateNone, Event: Detected, Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeOpened, Script: upsert})
	add(Rule{From: StatePending, Event: Detected, Guard: "still not seen often or long enough",
		Outcome: Applied, To: StatePending, Change: store.ChangePending, Script: upsert})
	add(Rule{From: StatePending, Event: Detected, Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeOpened, Script: upsert})
	add(Rule{From: StatePending, Event: Cleared, Outcome: Applied, To: StateNone, Script: "Store.DropPending"})
	each(active, Rule{Event: Detected, Guard: "summary, facts, stage, severity or department changed",
		Outcome: Applied, Change: store.ChangeUpdated, Script: upsert})
	each(active, Rule{Event: Detected, Outcome: Applied, Change: store.ChangeRecurred, Script: upsert})
	add(Rule{From: orderbot.StateResolved, Event: Detected, Guard: "flap guard gated and not yet seen often or long enough",
		Outcome: Applied, To: StatePending, Change: store.ChangePending, Script: upsert})
	add(Rule{From: orderbot.StateResolved, Event: Detected, Guard: "resolved within the reopen window",
		Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeReopened, Effects: FreshSLA, Script: upsert})
	add(Rule{From: orderbot.StateResolved, Event: Detected, Guard: "resolved before the reopen window (a new ticket)",
		Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeOpened, Script: upsert})
	each(active, Rule{Event: Cleared, Guard: "the flap guard wants more clear evaluations or time",
		Outcome: Unchanged, Change: ChangeClearing, Script: clearing})
	each(active, Rule{Event: Cleared, Guard: "it auto-resolved more often than the churn limit",
		Outcome: Applied, Change: store.ChangeUpdated, Effects: MarkFlapping, Script: flapping})
	each(active, Rule{Event: Cleared, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeAutoResolved,
		Effects: ResumeSLA | RecordResolution, Script: clearing + ", then " + tr})

	// Staff (Slack) and orderbot actions (Lifecycle.Apply).
	invalidSnooze := Rule{Event: Snooze, Guard: "Until not in the future", holds: untilPast, Outcome: Invalid, Reason: "past", Script: tr}
	each(append(active, orderbot.StateResolved), invalidSnooze)

	add(Rule{From: orderbot.StateOpen, Event: Claim, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeClaimed, Effects: OwnerActor, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Claim, Guard: "the actor owns it", holds: ownedByActor, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Claim, Outcome: Refused, Reason: "claimed", Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Claim, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeClaimed, Effects: ResumeSLA | OwnerActor, Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: Release, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Release, Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeReleased, Effects: OwnerClear, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Release, Outcome: Refused, Reason: "snoozed", Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: Reassign, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeReassigned, Effects: OwnerTarget, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Reassign, Guard: "the target owns it", holds: ownedByTarget, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Reassign, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeReassigned, Effects: OwnerTarget, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Reassign, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeReassigned, Effects: ResumeSLA | OwnerTarget, Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: Snooze, Outcome: Applied, To: orderbot.StateSnoozed, Change: store.ChangeSnoozed, Effects: PauseSLA | SnoozeUntil, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Snooze, Outcome: Applied, To: orderbot.StateSnoozed, Change: store.ChangeSnoozed, Effects: PauseSLA | SnoozeUntil, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Snooze, Guard: "the same Until", holds: sameUntil, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Snooze, Outcome: Applied, To: orderbot.StateSnoozed, Change: store.ChangeSnoozed, Effects: SnoozeUntil, Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: Wake, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Wake, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Wake, Guard: "the snooze has not ended", holds: snoozeRunning, Outcome: Refused, Reason: "snoozed", Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Wake, Guard: "it has an owner", holds: hasOwner, Outcome: Applied, To: orderbot.StateClaimed, Change: store.ChangeWoken, Effects: ResumeSLA, Script: tr + ", " + sweep})
	add(Rule{From: orderbot.StateSnoozed, Event: Wake, Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeWoken, Effects: ResumeSLA, Script: tr + ", " + sweep})

	each(active, Rule{Event: Escalate, Outcome: Applied, Change: store.ChangeEscalated, Effects: EscalationUp, Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: Resolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeResolved, Effects: RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: Resolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeResolved, Effects: RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: Resolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeResolved, Effects: ResumeSLA | RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateResolved, Event: Resolve, Guard: "the actor resolved it", holds: resolvedByActor, Outcome: Unchanged, Script: tr})

	add(Rule{From: orderbot.StateOpen, Event: AutoResolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeAutoResolved, Effects: RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateClaimed, Event: AutoResolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeAutoResolved, Effects: RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateSnoozed, Event: AutoResolve, Outcome: Applied, To: orderbot.StateResolved, Change: store.ChangeAutoResolved, Effects: ResumeSLA | RecordResolution, Script: tr})
	add(Rule{From: orderbot.StateResolved, Event: AutoResolve, Outcome: Unchanged, Script: tr})

	each(active, Rule{Event: Reopen, Outcome: Unchanged, Script: tr})
	add(Rule{From: orderbot.StateResolved, Event: Reopen, Outcome: Applied, To: orderbot.StateOpen, Change: store.ChangeReopened, Effects: FreshSLA, Script: tr})

	each(append(active, orderbot.StateResolved), Rule{Event: Note, Outcome: Applied, Change: store.ChangeNoted, Script: tr})

	// Every other action on a resolved ticket is refused.
	for _, ev := range []Event{Claim, Release, Reassign, Snooze, Wake, Escalate, Resolve} {
		add(Rule{From: orderbot.StateResolved, Event: ev, Outcome: Refused, Reason: "resolved", Script: tr})
	}

	// The SLA sweeper (Lifecycle.Sweep): wakes ended snoozes (the Wake rows)
	// and runs the escalation chains.
	for _, r := range []struct {
		from  orderbot.TicketState
		guard string
		ch    store.Change
	}{
		{orderbot.StateOpen, "the ack target passed and the ack chain's next step is due", store.ChangeAckBreach},
		{orderbot.StateOpen, "the resolve target passed and the resolve chain's next step is due", store.ChangeResolveBreach},
		{orderbot.StateOpen, "a target is within the warning time (once per target)", store.ChangeWarning},
		{orderbot.StateClaimed, "the resolve target passed and the resolve chain's next step is due", store.ChangeResolveBreach},
		{orderbot.StateClaimed, "the resolve target is within the warning time (once)", store.ChangeWarning},
	} {
		add(Rule{From: r.from, Event: SLAStep, Guard: r.guard, Outcome: Applied, To: r.from, Change: r.ch, Effects: EscalationUp, Script: sweep})
	}
	return t
}

// Table returns the lifecycle's rows, in the order guards are tried.
func Table() []Rule { return append([]Rule(nil), table...) }

// Decide returns the row that governs event ev on a ticket in state from with
// input in: the first row for (from, ev) whose guard holds. Rows whose guard
// the scripts evaluate from data Input does not carry (the flap guard's
// counts, what an update changed, SLA timers) are skipped; ok is false when no
// row decides.
func Decide(from orderbot.TicketState, ev Event, in Input) (Rule, bool) {
	for i := range table {
		r := &table[i]
		if r.From != from || r.Event != ev {
			continue
		}
		if r.holds != nil && r.holds(in) || r.holds == nil && r.Guard == "" {
			return *r, true
		}
	}
	return Rule{}, false
}

// Lifecycle is the only way tickets change state: the engine, Slack clicks and
// the SLA sweeper all go through it. It checks each event against the table
// and has the store's Lua scripts apply it atomically.
type Lifecycle struct {
	st *store.Store
}

// NewLifecycle returns the lifecycle of the tickets in st.
func NewLifecycle(st *store.Store) *Lifecycle { return &Lifecycle{st: st} }

// applyEvents are the events Apply takes: the ones transition.lua stores.
var applyEvents = func() map[Event]bool {
	m := map[Event]bool{}
	for _, r := range table {
		if strings.HasPrefix(r.Script, "transition.lua") {
			m[r.Event] = true
		}
	}
	return m
}()

// Apply applies a staff or orderbot action (tr.Action is the event) to ticket
// id. An action the table has no rows for is KindInvalid before the store is
// asked; otherwise the result is the store's: the ticket after the change,
// the change made ("" for an idempotent repeat), a KindConflict error when the
// ticket's state refuses the action, KindNotFound for a missing ticket.
func (l *Lifecycle) Apply(ctx context.Context, id string, tr store.Transition) (orderbot.Ticket, store.Change, error) {
	if !applyEvents[Event(tr.Action)] {
		return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindInvalid, "tickets.apply", "%q is not a ticket action", tr.Action)
	}
	// The store's error goes back as it is: its message is what Slack shows.
	return l.st.Transition(ctx, id, tr)
}

// Sweep runs the SLA sweeper's events: wakes ended snoozes (the Wake rows) and
// fires the escalation steps that are due (the SLAStep rows). See
// store.Store.SweepSLA for steps and limit.
func (l *Lifecycle) Sweep(ctx context.Context, now time.Time, steps []time.Duration, limit int) ([]store.SLAEvent, error) {
	return l.st.SweepSLA(ctx, now, steps, limit)
}

// Detect stores a detection cycle's findings (the Detected rows): opens,
// updates, recurs, reopens or holds pending each by fingerprint, atomically.
func (l *Lifecycle) Detect(ctx context.Context, ups []store.Upsert) ([]store.UpsertResult, error) {
	return l.st.UpsertTickets(ctx, ups)
}

// DropPending forgets pending conditions a cycle found cleared (the Cleared
// row of StatePending).
func (l *Lifecycle) DropPending(ctx context.Context, k orderbot.Kind, fps []string) error {
	return l.st.DropPending(ctx, k, fps)
}

// Clearing asks the flap guard about active tickets a cycle found cleared (the
// guards of the Cleared rows): resolve now, keep clearing, or mark flapping.
func (l *Lifecycle) Clearing(ctx context.Context, g orderbot.FlapGuard, now time.Time, cs []store.Cleared) ([]store.ClearVerdict, error) {
	return l.st.Clearing(ctx, g, now, cs)
}

// MarkFlapping is the Cleared row with the MarkFlapping effect.
func (l *Lifecycle) MarkFlapping(ctx context.Context, id, why string) (orderbot.Ticket, store.Change, error) {
	return l.st.MarkFlapping(ctx, id, why)
}
