package store

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// modelTicket is the state machine of Transition written plainly in Go. The
// property test below drives the Lua implementation and this model with the same
// random actions and requires them to agree after every step.
type modelTicket struct {
	id                string
	state             orderbot.TicketState
	owner             string
	version           int64
	escalation        int
	reopened          int
	snoozedUntil      time.Time
	ackDue, resDue    time.Time     // zero while snoozed or absent
	ackLeft, resLeft  time.Duration // remaining while snoozed
	ackPaused         bool
	resPaused         bool
	ackAllow, resAllw time.Duration
	resolvedBy        string
	changes           int // audit entries written
}

type outcome struct {
	change  Change
	errKind orderbot.ErrorKind
}

func (m *modelTicket) resume(now time.Time) {
	if m.ackPaused {
		m.ackDue, m.ackPaused = now.Add(m.ackLeft), false
	}
	if m.resPaused {
		m.resDue, m.resPaused = now.Add(m.resLeft), false
	}
	m.snoozedUntil = time.Time{}
}

// apply mirrors Transition: validation, then no-op, then state conflicts, then
// the version check, then the change.
func (m *modelTicket) apply(tr Transition, now time.Time) outcome {
	conflict := outcome{errKind: orderbot.KindConflict}
	noop := outcome{}
	active := m.state != orderbot.StateResolved
	if tr.Action == orderbot.ActSnooze && !tr.Until.After(now) {
		return outcome{errKind: orderbot.KindInvalid}
	}
	var verdict string // ok, noop, conflict
	switch tr.Action {
	case orderbot.ActNote:
		verdict = "ok"
	case orderbot.ActReopen:
		verdict = map[bool]string{true: "noop", false: "ok"}[active]
	case orderbot.ActResolve, orderbot.ActAutoResolve:
		switch {
		case active:
			verdict = "ok"
		case tr.Action == orderbot.ActAutoResolve || m.resolvedBy == tr.Actor:
			verdict = "noop"
		default:
			verdict = "conflict"
		}
	default:
		if !active {
			verdict = "conflict"
			break
		}
		switch tr.Action {
		case orderbot.ActClaim:
			verdict = "ok"
			if m.state == orderbot.StateClaimed {
				verdict = map[bool]string{true: "noop", false: "conflict"}[m.owner == tr.Actor]
			}
		case orderbot.ActRelease:
			verdict = map[orderbot.TicketState]string{orderbot.StateOpen: "noop", orderbot.StateSnoozed: "conflict", orderbot.StateClaimed: "ok"}[m.state]
		case orderbot.ActReassign:
			verdict = "ok"
			if m.state == orderbot.StateClaimed && m.owner == tr.Owner {
				verdict = "noop"
			}
		case orderbot.ActSnooze:
			verdict = "ok"
			if m.state == orderbot.StateSnoozed && m.snoozedUntil.Equal(tr.Until) {
				verdict = "noop"
			}
		case orderbot.ActWake:
			switch {
			case m.state != orderbot.StateSnoozed:
				verdict = "noop"
			case m.snoozedUntil.After(now):
				verdict = "conflict"
			default:
				verdict = "ok"
			}
		case orderbot.ActEscalate:
			verdict = "ok"
		}
	}
	switch verdict {
	case "noop":
		return noop
	case "conflict":
		return conflict
	}
	if tr.IfVersion != 0 && tr.IfVersion != m.version {
		return conflict
	}
	var ch Change
	switch tr.Action {
	case orderbot.ActClaim:
		if m.state == orderbot.StateSnoozed {
			m.resume(now)
		}
		m.state, m.owner, ch = orderbot.StateClaimed, tr.Actor, ChangeClaimed
	case orderbot.ActRelease:
		m.state, m.owner, ch = orderbot.StateOpen, "", ChangeReleased
	case orderbot.ActReassign:
		if m.state == orderbot.StateSnoozed {
			m.resume(now)
		}
		m.state, m.owner, ch = orderbot.StateClaimed, tr.Owner, ChangeReassigned
	case orderbot.ActSnooze:
		if m.state != orderbot.StateSnoozed {
			if !m.ackDue.IsZero() {
				m.ackLeft, m.ackPaused, m.ackDue = m.ackDue.Sub(now), true, time.Time{}
			}
			if !m.resDue.IsZero() {
				m.resLeft, m.resPaused, m.resDue = m.resDue.Sub(now), true, time.Time{}
			}
		}
		m.state, m.snoozedUntil, ch = orderbot.StateSnoozed, tr.Until, ChangeSnoozed
	case orderbot.ActWake:
		m.resume(now)
		m.state, ch = orderbot.StateOpen, ChangeWoken
		if m.owner != "" {
			m.state = orderbot.StateClaimed
		}
	case orderbot.ActEscalate:
		m.escalation++
		ch = ChangeEscalated
	case orderbot.ActResolve, orderbot.ActAutoResolve:
		if m.state == orderbot.StateSnoozed {
			m.resume(now)
		}
		m.state, m.resolvedBy, ch = orderbot.StateResolved, tr.Actor, ChangeResolved
		if tr.Action == orderbot.ActAutoResolve {
			ch = ChangeAutoResolved
		}
	case orderbot.ActReopen:
		m.state, m.owner, m.resolvedBy, m.snoozedUntil = orderbot.StateOpen, "", "", time.Time{}
		m.ackPaused, m.resPaused = false, false
		m.ackDue, m.resDue = now.Add(m.ackAllow), now.Add(m.resAllw)
		m.reopened++
		ch = ChangeReopened
	case orderbot.ActNote:
		ch = ChangeNoted
	}
	m.version++
	m.changes++
	return outcome{change: ch}
}

func (m *modelTicket) check(t *testing.T, step int, got orderbot.Ticket) {
	t.Helper()
	if got.State != m.state || got.Owner != m.owner || got.Version != m.version || got.Escalation != m.escalation ||
		got.Reopened != m.reopened || !got.SnoozedUntil.Equal(m.snoozedUntil) ||
		!got.AckDue.Equal(m.ackDue) || !got.ResolveDue.Equal(m.resDue) {
		t.Fatalf("step %d: %s diverged from the model\nstore: state=%s owner=%q v=%d esc=%d reopened=%d snooze=%v ack=%v res=%v\nmodel: state=%s owner=%q v=%d esc=%d reopened=%d snooze=%v ack=%v res=%v",
			step, m.id, got.State, got.Owner, got.Version, got.Escalation, got.Reopened, got.SnoozedUntil, got.AckDue, got.ResolveDue,
			m.state, m.owner, m.version, m.escalation, m.reopened, m.snoozedUntil, m.ackDue, m.resDue)
	}
	if (got.State == orderbot.StateResolved) != (got.Resolution != nil) {
		t.Fatalf("step %d: %s state %s with resolution %+v", step, m.id, got.State, got.Resolution)
	}
}

// TestTransitionModel is a seeded random walk over tickets, actors, actions,
// versions and time, checked step by step against modelTicket, with every
// index and SLA set checked against each ticket.
func TestTransitionModel(t *testing.T) {
	seeds := []int64{1, 2, 42}
	const steps = 200
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			e := newEnv(t, Options{AuditMax: 1000})
			ctx := context.Background()
			models := make([]*modelTicket, 3)
			for i := range models {
				tk := e.openTicket(t, fmt.Sprintf("M%d", i))
				models[i] = &modelTicket{id: tk.ID, state: orderbot.StateOpen, version: 1,
					ackDue: tk.AckDue, resDue: tk.ResolveDue, ackAllow: 15 * time.Minute, resAllw: 2 * time.Hour}
			}
			actors := []string{"U1", "U2", "U3", "orderbot"}
			actions := []orderbot.Action{orderbot.ActClaim, orderbot.ActRelease, orderbot.ActReassign, orderbot.ActSnooze,
				orderbot.ActWake, orderbot.ActEscalate, orderbot.ActResolve, orderbot.ActAutoResolve, orderbot.ActReopen, orderbot.ActNote}
			for step := 0; step < steps; step++ {
				now := e.clock.Advance(time.Duration(rng.Intn(40)) * time.Minute)
				if rng.Intn(8) == 0 {
					// A sweeper pass whose only escalation step lies beyond the
					// walk: it wakes every snooze that ended, exactly as the
					// model's wake, and fires nothing else.
					evs, err := e.st.SweepSLA(ctx, now, []time.Duration{1000 * time.Hour}, 100)
					if err != nil {
						t.Fatal(err)
					}
					woken := 0
					for _, m := range models {
						if m.state == orderbot.StateSnoozed && !m.snoozedUntil.After(now) {
							m.apply(Transition{Action: orderbot.ActWake, Actor: "orderbot"}, now)
							woken++
						}
					}
					if len(evs) != woken {
						t.Fatalf("step %d: sweep woke %d tickets, model %d", step, len(evs), woken)
					}
				}
				m := models[rng.Intn(len(models))]
				tr := Transition{Action: actions[rng.Intn(len(actions))], Actor: actors[rng.Intn(len(actors))]}
				switch tr.Action {
				case orderbot.ActReassign:
					tr.Owner = actors[rng.Intn(3)]
				case orderbot.ActSnooze:
					tr.Until = now.Add(time.Duration(rng.Intn(120)-10) * time.Minute)
				case orderbot.ActResolve:
					tr.Resolution = &orderbot.Resolution{Code: "other"}
				case orderbot.ActNote:
					tr.Note = "n"
				}
				switch rng.Intn(6) {
				case 0:
					tr.IfVersion = m.version
				case 1:
					tr.IfVersion = m.version - 1
				}
				want := m.apply(tr, now)
				got, ch, err := e.st.Transition(ctx, m.id, tr)
				if orderbot.KindOf(err) != want.errKind || ch != want.change {
					t.Fatalf("step %d: %s %+v on %s: store (%q, %v), model (%q, %q)", step, tr.Action, tr, m.id, ch, err, want.change, want.errKind)
				}
				for _, mm := range models {
					stored, err := e.st.Get(ctx, mm.id)
					if err != nil {
						t.Fatal(err)
					}
					mm.check(t, step, stored)
					checkIndexes(t, e, stored)
					if mm == m && want.errKind != orderbot.KindInvalid && !reflect.DeepEqual(stored, got) {
						t.Fatalf("step %d: returned ticket differs from stored", step)
					}
				}
				au, err := e.st.Audit(ctx, m.id, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(au) != m.changes+1 {
					t.Fatalf("step %d: %s has %d history entries, model %d", step, m.id, len(au), m.changes+1)
				}
			}
		})
	}
}
