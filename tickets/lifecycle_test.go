package tickets

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// modelTicket is a ticket as the lifecycle table says it must be: the walk
// below moves it only by the rows Decide picks and the effects they name.
type modelTicket struct {
	id                 string
	state              orderbot.TicketState
	owner              string
	version            int64
	escalation         int
	reopened           int
	snoozedUntil       time.Time
	ackDue, resDue     time.Time     // zero while snoozed or absent
	ackLeft, resLeft   time.Duration // remaining while snoozed
	ackPaused          bool
	resPaused          bool
	ackAllow, resAllow time.Duration
	resolvedBy         string
}

type outcome struct {
	change  store.Change
	errKind orderbot.ErrorKind
}

func (m *modelTicket) input(tr store.Transition, now time.Time) Input {
	in := Input{Ticket: orderbot.Ticket{State: m.state, Owner: m.owner, SnoozedUntil: m.snoozedUntil},
		Actor: tr.Actor, Owner: tr.Owner, Until: tr.Until, Now: now}
	if m.resolvedBy != "" {
		in.Ticket.Resolution = &orderbot.Resolution{By: m.resolvedBy}
	}
	return in
}

// apply runs one event through the table: the row Decide picks gives the
// outcome; an applied row is then subject to the compare-and-set on Version
// (which the scripts check after the guards) and moves the model by its To
// and Effects.
func (m *modelTicket) apply(t *testing.T, tr store.Transition, now time.Time) outcome {
	t.Helper()
	r, ok := Decide(m.state, Event(tr.Action), m.input(tr, now))
	if !ok {
		t.Fatalf("the lifecycle has no row for %s on a %s ticket", tr.Action, m.state)
	}
	switch r.Outcome {
	case Invalid:
		return outcome{errKind: orderbot.KindInvalid}
	case Refused:
		return outcome{errKind: orderbot.KindConflict}
	case Unchanged:
		return outcome{}
	}
	if tr.IfVersion != 0 && tr.IfVersion != m.version {
		return outcome{errKind: orderbot.KindConflict}
	}
	e := r.Effects
	if e&ResumeSLA != 0 {
		if m.ackPaused {
			m.ackDue, m.ackPaused = now.Add(m.ackLeft), false
		}
		if m.resPaused {
			m.resDue, m.resPaused = now.Add(m.resLeft), false
		}
		m.snoozedUntil = time.Time{}
	}
	if e&PauseSLA != 0 {
		if !m.ackDue.IsZero() {
			m.ackLeft, m.ackPaused, m.ackDue = m.ackDue.Sub(now), true, time.Time{}
		}
		if !m.resDue.IsZero() {
			m.resLeft, m.resPaused, m.resDue = m.resDue.Sub(now), true, time.Time{}
		}
	}
	switch {
	case e&OwnerActor != 0:
		m.owner = tr.Actor
	case e&OwnerTarget != 0:
		m.owner = tr.Owner
	case e&OwnerClear != 0:
		m.owner = ""
	}
	if e&SnoozeUntil != 0 {
		m.snoozedUntil = tr.Until
	}
	if e&EscalationUp != 0 {
		m.escalation++
	}
	if e&RecordResolution != 0 {
		m.resolvedBy = tr.Actor
	}
	if e&FreshSLA != 0 {
		m.owner, m.resolvedBy, m.snoozedUntil = "", "", time.Time{}
		m.ackPaused, m.resPaused = false, false
		m.ackDue, m.resDue = now.Add(m.ackAllow), now.Add(m.resAllow)
		m.reopened++
	}
	m.state = r.To
	m.version++
	return outcome{change: r.Change}
}

func (m *modelTicket) check(t *testing.T, step int, got orderbot.Ticket) {
	t.Helper()
	if got.State != m.state || got.Owner != m.owner || got.Version != m.version || got.Escalation != m.escalation ||
		got.Reopened != m.reopened || !got.SnoozedUntil.Equal(m.snoozedUntil) ||
		!got.AckDue.Equal(m.ackDue) || !got.ResolveDue.Equal(m.resDue) {
		t.Fatalf("step %d: %s diverged from the lifecycle table\nstore: state=%s owner=%q v=%d esc=%d reopened=%d snooze=%v ack=%v res=%v\ntable: state=%s owner=%q v=%d esc=%d reopened=%d snooze=%v ack=%v res=%v",
			step, m.id, got.State, got.Owner, got.Version, got.Escalation, got.Reopened, got.SnoozedUntil, got.AckDue, got.ResolveDue,
			m.state, m.owner, m.version, m.escalation, m.reopened, m.snoozedUntil, m.ackDue, m.resDue)
	}
	if (got.State == orderbot.StateResolved) != (got.Resolution != nil) {
		t.Fatalf("step %d: %s state %s with resolution %+v", step, m.id, got.State, got.Resolution)
	}
}

// TestLifecycleScriptsMatchTable is a seeded random walk over tickets, actors,
// events, versions and time: each event goes through Lifecycle.Apply (and the
// SLA sweeper through Lifecycle.Sweep) to the store's Lua scripts, and after
// every step each stored ticket must be where the lifecycle table puts it.
func TestLifecycleScriptsMatchTable(t *testing.T) {
	for _, seed := range []int64{1, 2, 42} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			c := &clock{t: t0}
			st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: c.now, AuditMax: 1000})
			if err != nil {
				t.Fatal(err)
			}
			life := NewLifecycle(st)
			ctx := context.Background()
			models := make([]*modelTicket, 3)
			for i := range models {
				a := orderbot.Anomaly{Kind: orderbot.PaymentUnrecorded, Subject: fmt.Sprintf("M%d", i), OrderID: fmt.Sprintf("M%d", i),
					Severity: orderbot.SeverityHigh, Department: "finance", Summary: "s", DetectedAt: c.t}
				rs, err := life.Detect(ctx, []store.Upsert{{Anomaly: a, AckDue: c.t.Add(15 * time.Minute),
					ResolveDue: c.t.Add(2 * time.Hour), ReopenWithin: 24 * time.Hour}})
				if err != nil {
					t.Fatal(err)
				}
				if r, ok := Decide(StateNone, Detected, Input{}); !ok || rs[0].Change != r.Change || rs[0].Ticket.State != r.To {
					t.Fatalf("first detection: store %s/%s, table %+v", rs[0].Change, rs[0].Ticket.State, r)
				}
				tk := rs[0].Ticket
				models[i] = &modelTicket{id: tk.ID, state: orderbot.StateOpen, version: 1,
					ackDue: tk.AckDue, resDue: tk.ResolveDue, ackAllow: 15 * time.Minute, resAllow: 2 * time.Hour}
			}
			actors := []string{"U1", "U2", "U3", Actor}
			events := []orderbot.Action{orderbot.ActClaim, orderbot.ActRelease, orderbot.ActReassign, orderbot.ActSnooze,
				orderbot.ActWake, orderbot.ActEscalate, orderbot.ActResolve, orderbot.ActAutoResolve, orderbot.ActReopen, orderbot.ActNote}
			for step := 0; step < 200; step++ {
				c.t = c.t.Add(time.Duration(rng.Intn(40)) * time.Minute)
				now := c.t
				if rng.Intn(8) == 0 {
					// A sweep whose only escalation step lies beyond the walk: it
					// applies the Wake rows to every snooze that ended, and no
					// SLAStep row.
					evs, err := life.Sweep(ctx, now, []time.Duration{1000 * time.Hour}, 100)
					if err != nil {
						t.Fatal(err)
					}
					woken := 0
					for _, m := range models {
						if m.state == orderbot.StateSnoozed && !m.snoozedUntil.After(now) {
							if m.apply(t, store.Transition{Action: orderbot.ActWake, Actor: Actor}, now).change != store.ChangeWoken {
								t.Fatalf("step %d: the table does not wake %s", step, m.id)
							}
							woken++
						}
					}
					if len(evs) != woken {
						t.Fatalf("step %d: sweep woke %d tickets, table %d", step, len(evs), woken)
					}
				}
				m := models[rng.Intn(len(models))]
				tr := store.Transition{Action: events[rng.Intn(len(events))], Actor: actors[rng.Intn(len(actors))]}
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
				want := m.apply(t, tr, now)
				got, ch, err := life.Apply(ctx, m.id, tr)
				if orderbot.KindOf(err) != want.errKind || ch != want.change {
					t.Fatalf("step %d: %s %+v on %s: store (%q, %v), table (%q, %q)", step, tr.Action, tr, m.id, ch, err, want.change, want.errKind)
				}
				for _, mm := range models {
					stored, err := st.Get(ctx, mm.id)
					if err != nil {
						t.Fatal(err)
					}
					mm.check(t, step, stored)
					if mm == m && want.errKind != orderbot.KindInvalid && !reflect.DeepEqual(stored, got) {
						t.Fatalf("step %d: returned ticket differs from stored", step)
					}
				}
			}
		})
	}
}

// TestLifecycleTableIsComplete: every staff or orderbot action on a ticket in
// any real state is decided by exactly one row for any input, so nothing the
// scripts do falls outside the table.
func TestLifecycleTableIsComplete(t *testing.T) {
	now := t0
	inputs := []Input{
		{Actor: "U1", Owner: "U1", Until: now.Add(time.Hour), Now: now},
		{Actor: "U1", Owner: "U2", Until: now.Add(-time.Hour), Now: now,
			Ticket: orderbot.Ticket{Owner: "U1", SnoozedUntil: now.Add(time.Hour), Resolution: &orderbot.Resolution{By: "U1"}}},
		{Actor: "U2", Owner: "U1", Until: now, Now: now, Ticket: orderbot.Ticket{Owner: "U1", SnoozedUntil: now.Add(-time.Minute)}},
	}
	states := []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed, orderbot.StateResolved}
	for ev := range applyEvents {
		for _, s := range states {
			for _, in := range inputs {
				r, ok := Decide(s, ev, in)
				if !ok {
					t.Fatalf("no row decides %s on a %s ticket (%+v)", ev, s, in)
				}
				if r.Outcome == Applied && (r.To == "" || r.Change == "") {
					t.Fatalf("row %+v applies without a next state or change", r)
				}
				if r.Outcome != Applied && r.Change != "" {
					t.Fatalf("row %+v changes nothing but names change %s", r, r.Change)
				}
			}
		}
	}
	if len(applyEvents) != 10 {
		t.Fatalf("Apply takes %d events, want the 10 ticket actions", len(applyEvents))
	}
}

// rowsFor returns the (change, next state) pairs the table allows for ev on
// a ticket in state from.
func rowsFor(from orderbot.TicketState, ev Event) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, r := range Table() {
		if r.From == from && r.Event == ev && r.Outcome == Applied {
			out[[2]string{string(r.Change), string(r.To)}] = true
		}
	}
	return out
}

// TestLifecycleDetectionMatchesTable: the upsert script's answer to a
// detection, from every state a fingerprint can be in, is one of the table's
// Detected rows for that state, and the flap guard's answers for a cleared
// condition are its Cleared rows.
func TestLifecycleDetectionMatchesTable(t *testing.T) {
	c := &clock{t: t0}
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	life, ctx := NewLifecycle(st), context.Background()
	seen := func(subject string, openAfter int) store.Upsert {
		return store.Upsert{Anomaly: orderbot.Anomaly{Kind: orderbot.PaymentUnrecorded, Subject: subject, OrderID: subject,
			Severity: orderbot.SeverityHigh, Department: "finance", Summary: "s " + subject, DetectedAt: c.t},
			AckDue: c.t.Add(15 * time.Minute), ResolveDue: c.t.Add(2 * time.Hour), ReopenWithin: time.Hour, OpenAfter: openAfter}
	}
	detect := func(from orderbot.TicketState, u store.Upsert) orderbot.Ticket {
		t.Helper()
		rs, err := life.Detect(ctx, []store.Upsert{u})
		if err != nil {
			t.Fatal(err)
		}
		to := rs[0].Ticket.State
		if rs[0].Change == store.ChangePending {
			to = StatePending
		}
		if !rowsFor(from, Detected)[[2]string{string(rs[0].Change), string(to)}] {
			t.Fatalf("detected on %s: the script made %s → %s, which no row of the table allows", from, rs[0].Change, to)
		}
		return rs[0].Ticket
	}
	// none → pending → open, with a flap guard of two evaluations.
	detect(StateNone, seen("a", 2))
	c.t = c.t.Add(time.Minute)
	a := detect(StatePending, seen("a", 2))
	if a.State != orderbot.StateOpen {
		t.Fatalf("second evaluation left %s %s", a.ID, a.State)
	}
	// Each active state: recurred, then updated when the summary changes.
	for _, tr := range []store.Transition{{}, {Action: orderbot.ActClaim, Actor: "U1"},
		{Action: orderbot.ActSnooze, Actor: "U1", Until: c.t.Add(time.Hour)}} {
		if tr.Action != "" {
			if _, _, err := life.Apply(ctx, a.ID, tr); err != nil {
				t.Fatal(err)
			}
		}
		cur, _ := st.Get(ctx, a.ID)
		detect(cur.State, seen("a", 2))
		u := seen("a", 2)
		u.Anomaly.Summary += " " + string(tr.Action)
		detect(cur.State, u)
	}
	// Resolved within the reopen window: reopened; after it: a new ticket.
	if _, _, err := life.Apply(ctx, a.ID, store.Transition{Action: orderbot.ActResolve, Actor: "U1", Resolution: &orderbot.Resolution{Code: "other"}}); err != nil {
		t.Fatal(err)
	}
	if got := detect(orderbot.StateResolved, seen("a", 0)); got.ID != a.ID || got.Reopened != 1 {
		t.Fatalf("detection within the reopen window gave %+v", got)
	}
	if _, _, err := life.Apply(ctx, a.ID, store.Transition{Action: orderbot.ActResolve, Actor: "U1", Resolution: &orderbot.Resolution{Code: "other"}}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Hour)
	if got := detect(orderbot.StateResolved, seen("a", 0)); got.ID == a.ID {
		t.Fatalf("detection after the reopen window reopened %s", a.ID)
	}

	// Cleared: the flap guard answers with the table's Cleared rows.
	b := detect(StateNone, seen("b", 0))
	g := orderbot.FlapGuard{ResolveAfter: 2}
	verdicts := map[store.ClearVerdict]store.Change{store.ClearResolve: store.ChangeAutoResolved, store.ClearFlap: store.ChangeUpdated}
	for i := 0; i < 2; i++ {
		v, err := life.Clearing(ctx, g, c.t, []store.Cleared{{Fingerprint: b.Fingerprint, LastSeen: b.LastSeenAt}})
		if err != nil {
			t.Fatal(err)
		}
		ch, ok := verdicts[v[0]]
		if !ok {
			ch = ChangeClearing
		}
		found := false
		for _, r := range Table() {
			found = found || r.From == b.State && r.Event == Cleared && r.Change == ch
		}
		if !found {
			t.Fatalf("cleared verdict %v (%s) on %s is no row of the table", v[0], ch, b.State)
		}
		c.t = c.t.Add(time.Minute)
	}
}
