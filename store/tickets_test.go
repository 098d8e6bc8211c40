package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

func TestUpsertOpenRecurUpdate(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	now := e.clock.Now()
	base := anomaly(orderbot.PaymentUnrecorded, "1001")
	base.DetectedAt = now

	changed := base
	changed.Summary = "Order 1001: payment succeeded 40 minutes ago, order still unpaid"
	critical := changed
	critical.Severity = orderbot.SeverityCritical
	moved := critical
	moved.Department = "support"

	steps := []struct {
		name      string
		a         orderbot.Anomaly
		advance   time.Duration
		want      Change
		count     int64
		version   int64
		outbox    int64 // slack outbox length after the step
		auditHint string
	}{
		{"first sighting opens", base, 0, ChangeOpened, 1, 1, 1, ""},
		{"same anomaly recurs", base, time.Minute, ChangeRecurred, 2, 1, 1, ""},
		{"again, still quiet", base, time.Minute, ChangeRecurred, 3, 1, 1, ""},
		{"new summary updates", changed, time.Minute, ChangeUpdated, 4, 2, 2, "details changed"},
		{"severity change updates", critical, time.Minute, ChangeUpdated, 5, 3, 3, "severity high -> critical"},
		{"department change updates", moved, time.Minute, ChangeUpdated, 6, 4, 4, "department finance -> support"},
		{"unchanged again recurs", moved, time.Minute, ChangeRecurred, 7, 4, 4, ""},
	}
	var id string
	for _, st := range steps {
		now := e.clock.Advance(st.advance)
		a := st.a
		a.DetectedAt = now
		res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a, AckDue: now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour)}})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := res[0]
		if got.Change != st.want || got.Ticket.Count != st.count || got.Ticket.Version != st.version {
			t.Fatalf("%s: change %s count %d version %d, want %s %d %d", st.name, got.Change, got.Ticket.Count, got.Ticket.Version, st.want, st.count, st.version)
		}
		if id == "" {
			id = got.Ticket.ID
		} else if got.Ticket.ID != id {
			t.Fatalf("%s: ticket %s, want %s", st.name, got.Ticket.ID, id)
		}
		if !got.Ticket.LastSeenAt.Equal(now) {
			t.Fatalf("%s: last seen %v, want %v", st.name, got.Ticket.LastSeenAt, now)
		}
		// The returned ticket is exactly what Get reads back.
		stored, err := e.st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, got.Ticket) {
			t.Fatalf("%s: returned ticket differs from stored:\n got %+v\nwant %+v", st.name, got.Ticket, stored)
		}
		if n := e.srv.Universal(t).XLen(ctx, e.st.outboxKey(OutboxTicketChanges)).Val(); n != st.outbox {
			t.Fatalf("%s: outbox has %d entries, want %d", st.name, n, st.outbox)
		}
		if st.auditHint != "" {
			au, err := e.st.Audit(ctx, id, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(au) != 1 || !strings.Contains(au[0].Detail, st.auditHint) || au[0].Action != orderbot.ActRecur {
				t.Fatalf("%s: last audit %+v, want detail %q", st.name, au, st.auditHint)
			}
		}
	}
	// SLA targets stay those of the open: a recurring condition never resets them.
	tk, _ := e.st.Get(ctx, id)
	opened := steps[0]
	_ = opened
	if want := now.Add(15 * time.Minute); !tk.AckDue.Equal(want) {
		t.Fatalf("ack due moved to %v, want %v", tk.AckDue, want)
	}
	// Indexes follow the department change.
	c := e.srv.Universal(t)
	if c.SIsMember(ctx, e.st.indexKey(idxDept, "finance"), id).Val() || !c.SIsMember(ctx, e.st.indexKey(idxDept, "support"), id).Val() {
		t.Fatal("department index not moved")
	}
}

func TestUpsertValidation(t *testing.T) {
	e := newEnv(t, Options{})
	bad := []orderbot.Anomaly{
		{Kind: orderbot.PaymentMissing},
		{Subject: "1001"},
		{Kind: orderbot.PaymentMissing, Subject: "10\x0001"},
		{Kind: orderbot.PaymentMissing, Subject: "1001", Source: "a\x1fb"},
	}
	for i, a := range bad {
		_, err := e.st.UpsertTickets(context.Background(), []Upsert{{Anomaly: a}})
		if !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("case %d: err %v, want invalid", i, err)
		}
	}
}

// Two replicas (two Store values, two connection pools) fold the same anomalies
// at the same time: every fingerprint still gets exactly one ticket.
func TestUpsertConcurrentOneTicketPerFingerprint(t *testing.T) {
	e := newEnv(t, Options{UpsertBatch: 7})
	other := newStoreOn(t, e.srv, Options{Now: e.clock.Now, UpsertBatch: 13})
	ctx := context.Background()
	const n = 300
	ups := make([]Upsert, n)
	for i := range ups {
		ups[i] = Upsert{Anomaly: anomaly(orderbot.ShippingStalled, fmt.Sprintf("O%04d", i))}
	}
	reversed := make([]Upsert, n)
	for i := range ups {
		reversed[n-1-i] = ups[i]
	}
	ids := make([]map[string]string, 4)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, in := e.st, ups
			if g%2 == 1 {
				st, in = other, reversed
			}
			res, err := st.UpsertTickets(ctx, in)
			if err != nil {
				t.Error(err)
				return
			}
			ids[g] = map[string]string{}
			for _, r := range res {
				ids[g][r.Ticket.Fingerprint] = r.Ticket.ID
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for g := 1; g < 4; g++ {
		if !reflect.DeepEqual(ids[0], ids[g]) {
			t.Fatalf("goroutine %d saw other ticket ids than goroutine 0", g)
		}
	}
	c := e.srv.Universal(t)
	if got := c.HLen(ctx, e.st.fpIndexKey()).Val(); got != n {
		t.Fatalf("fingerprint index has %d entries, want %d", got, n)
	}
	if got := c.Get(ctx, e.st.seqKey()).Val(); got != fmt.Sprint(n) {
		t.Fatalf("%s ticket ids handed out, want %d", got, n)
	}
	counts, err := e.st.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[orderbot.StateOpen] != n {
		t.Fatalf("open tickets %d, want %d", counts[orderbot.StateOpen], n)
	}
	tk, err := e.st.GetByFingerprint(ctx, ups[0].Anomaly.Fingerprint())
	if err != nil || tk.Count != 4 {
		t.Fatalf("ticket %+v err %v: want count 4", tk, err)
	}
	if got := c.XLen(ctx, e.st.outboxKey(OutboxTicketChanges)).Val(); got != n {
		t.Fatalf("outbox has %d entries, want one per opened ticket (%d)", got, n)
	}
}

func TestReopenWithinWindowAndNewTicketAfter(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	first := e.openTicket(t, "2002")
	if _, ch, err := e.st.Transition(ctx, first.ID, Transition{Action: orderbot.ActResolve, Actor: "U1",
		Resolution: &orderbot.Resolution{Code: "order_marked_paid"}}); err != nil || ch != ChangeResolved {
		t.Fatalf("resolve: %s %v", ch, err)
	}

	// Back within the window: the same ticket reopens with fresh targets.
	now := e.clock.Advance(time.Hour)
	res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: anomaly(orderbot.PaymentUnrecorded, "2002"),
		AckDue: now.Add(10 * time.Minute), ResolveDue: now.Add(time.Hour), ReopenWithin: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	re := res[0]
	if re.Change != ChangeReopened || re.Ticket.ID != first.ID || re.Ticket.State != orderbot.StateOpen ||
		re.Ticket.Reopened != 1 || re.Ticket.Resolution != nil || re.Ticket.Count != 2 {
		t.Fatalf("reopen: %+v", re)
	}
	if !re.Ticket.AckDue.Equal(now.Add(10*time.Minute)) || !re.Ticket.ResolveDue.Equal(now.Add(time.Hour)) {
		t.Fatalf("reopen targets %v %v", re.Ticket.AckDue, re.Ticket.ResolveDue)
	}
	c := e.srv.Universal(t)
	if !c.SIsMember(ctx, e.st.indexKey(idxState, "open"), first.ID).Val() || c.SIsMember(ctx, e.st.indexKey(idxState, "resolved"), first.ID).Val() {
		t.Fatal("state index not moved back to open")
	}
	if c.ZScore(ctx, e.st.slaKey(slaAck), first.ID).Err() != nil {
		t.Fatal("reopened ticket is not on the ack clock")
	}

	// Resolved again and back after the window: a new ticket.
	if _, _, err := e.st.Transition(ctx, first.ID, Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(25 * time.Hour)
	res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: anomaly(orderbot.PaymentUnrecorded, "2002"), ReopenWithin: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Change != ChangeOpened || res[0].Ticket.ID == first.ID {
		t.Fatalf("after the window: %s %s, want a new ticket", res[0].Change, res[0].Ticket.ID)
	}
	byFP, err := e.st.GetByFingerprint(ctx, first.Fingerprint)
	if err != nil || byFP.ID != res[0].Ticket.ID {
		t.Fatalf("fingerprint points at %s (%v), want the new ticket %s", byFP.ID, err, res[0].Ticket.ID)
	}
	old, _ := e.st.Get(ctx, first.ID)
	if old.State != orderbot.StateResolved {
		t.Fatalf("old ticket is %s, want resolved", old.State)
	}
}

// product.md §12: 50 simultaneous Claim clicks → exactly one owner.
func TestClaimRaceExactlyOneWinner(t *testing.T) {
	e := newEnv(t, Options{})
	other := newStoreOn(t, e.srv, Options{Now: e.clock.Now})
	tk := e.openTicket(t, "3003")
	ctx := context.Background()
	const n = 50
	type result struct {
		actor string
		tk    orderbot.Ticket
		ch    Change
		err   error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := e.st
			if i%2 == 1 {
				st = other
			}
			actor := fmt.Sprintf("U%03d", i)
			<-start
			got, ch, err := st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActClaim, Actor: actor})
			results[i] = result{actor, got, ch, err}
		}()
	}
	close(start)
	wg.Wait()
	var winner string
	for _, r := range results {
		if r.err == nil {
			if winner != "" {
				t.Fatalf("two winners: %s and %s", winner, r.actor)
			}
			winner = r.actor
			if r.ch != ChangeClaimed || r.tk.Owner != r.actor {
				t.Fatalf("winner result %s %+v", r.ch, r.tk)
			}
		}
	}
	if winner == "" {
		t.Fatal("nobody won the claim")
	}
	want := fmt.Sprintf("%s is already claimed by <@%s> since 10:32 UTC", tk.ID, winner)
	for _, r := range results {
		if r.actor == winner {
			continue
		}
		oe := mustKind(t, r.err, orderbot.KindConflict)
		if oe.Msg != want {
			t.Fatalf("loser message %q, want %q", oe.Msg, want)
		}
		if r.tk.Owner != winner || r.tk.State != orderbot.StateClaimed {
			t.Fatalf("loser did not get the current ticket: %+v", r.tk)
		}
	}
	final, _ := e.st.Get(ctx, tk.ID)
	if final.Version != 2 {
		t.Fatalf("version %d after one claim, want 2", final.Version)
	}
	au, _ := e.st.Audit(ctx, tk.ID, 0)
	if len(au) != 2 {
		t.Fatalf("history has %d entries, want open + one claim", len(au))
	}
}

// transitionCase drives one ticket through setup actions, then checks one
// action's outcome.
type transitionCase struct {
	name    string
	setup   []Transition
	advance time.Duration // before the action
	tr      Transition
	change  Change
	errKind orderbot.ErrorKind
	errMsg  string // substring
	state   orderbot.TicketState
	owner   string
}

func TestTransitions(t *testing.T) {
	claim := func(u string) Transition { return Transition{Action: orderbot.ActClaim, Actor: u} }
	resolve := Transition{Action: orderbot.ActResolve, Actor: "U1", Resolution: &orderbot.Resolution{Code: "refunded", Note: "refunded in Stripe"}}
	snooze := Transition{Action: orderbot.ActSnooze, Actor: "U1", Until: newClock().Now().Add(time.Hour)}
	cases := []transitionCase{
		{name: "claim open", tr: claim("U1"), change: ChangeClaimed, state: orderbot.StateClaimed, owner: "U1"},
		{name: "claim again by owner is a no-op", setup: []Transition{claim("U1")}, tr: claim("U1"), change: "", state: orderbot.StateClaimed, owner: "U1"},
		{name: "claim taken", setup: []Transition{claim("U1")}, tr: claim("U2"), errKind: orderbot.KindConflict, errMsg: "already claimed by <@U1>", state: orderbot.StateClaimed, owner: "U1"},
		{name: "claim snoozed", setup: []Transition{snooze}, tr: claim("U2"), change: ChangeClaimed, state: orderbot.StateClaimed, owner: "U2"},
		{name: "claim resolved", setup: []Transition{resolve}, tr: claim("U2"), errKind: orderbot.KindConflict, errMsg: "is resolved (by <@U1>", state: orderbot.StateResolved},
		{name: "release claimed", setup: []Transition{claim("U1")}, tr: Transition{Action: orderbot.ActRelease, Actor: "U1"}, change: ChangeReleased, state: orderbot.StateOpen},
		{name: "release open is a no-op", tr: Transition{Action: orderbot.ActRelease, Actor: "U1"}, change: "", state: orderbot.StateOpen},
		{name: "release snoozed", setup: []Transition{claim("U1"), snooze}, tr: Transition{Action: orderbot.ActRelease, Actor: "U1"}, errKind: orderbot.KindConflict, errMsg: "is snoozed until 11:32 UTC", state: orderbot.StateSnoozed, owner: "U1"},
		{name: "reassign open", tr: Transition{Action: orderbot.ActReassign, Actor: "U9", Owner: "U2"}, change: ChangeReassigned, state: orderbot.StateClaimed, owner: "U2"},
		{name: "reassign claimed", setup: []Transition{claim("U1")}, tr: Transition{Action: orderbot.ActReassign, Actor: "U9", Owner: "U2"}, change: ChangeReassigned, state: orderbot.StateClaimed, owner: "U2"},
		{name: "reassign to owner is a no-op", setup: []Transition{claim("U1")}, tr: Transition{Action: orderbot.ActReassign, Actor: "U9", Owner: "U1"}, change: "", state: orderbot.StateClaimed, owner: "U1"},
		{name: "reassign needs owner", tr: Transition{Action: orderbot.ActReassign, Actor: "U9"}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "reassign resolved", setup: []Transition{resolve}, tr: Transition{Action: orderbot.ActReassign, Actor: "U9", Owner: "U2"}, errKind: orderbot.KindConflict, state: orderbot.StateResolved},
		{name: "snooze open", tr: snooze, change: ChangeSnoozed, state: orderbot.StateSnoozed},
		{name: "snooze claimed keeps owner", setup: []Transition{claim("U1")}, tr: snooze, change: ChangeSnoozed, state: orderbot.StateSnoozed, owner: "U1"},
		{name: "snooze to the same time is a no-op", setup: []Transition{snooze}, tr: snooze, change: "", state: orderbot.StateSnoozed},
		{name: "snooze into the past", tr: Transition{Action: orderbot.ActSnooze, Actor: "U1", Until: newClock().Now().Add(-time.Minute)}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "wake before the end", setup: []Transition{snooze}, tr: Transition{Action: orderbot.ActWake, Actor: "U1"}, errKind: orderbot.KindConflict, errMsg: "snoozed until", state: orderbot.StateSnoozed},
		{name: "wake after the end, unowned", setup: []Transition{snooze}, advance: time.Hour, tr: Transition{Action: orderbot.ActWake, Actor: "orderbot"}, change: ChangeWoken, state: orderbot.StateOpen},
		{name: "wake after the end, owned", setup: []Transition{claim("U1"), snooze}, advance: 2 * time.Hour, tr: Transition{Action: orderbot.ActWake, Actor: "orderbot"}, change: ChangeWoken, state: orderbot.StateClaimed, owner: "U1"},
		{name: "wake of an open ticket is a no-op", tr: Transition{Action: orderbot.ActWake, Actor: "orderbot"}, change: "", state: orderbot.StateOpen},
		{name: "escalate", tr: Transition{Action: orderbot.ActEscalate, Actor: "U1"}, change: ChangeEscalated, state: orderbot.StateOpen},
		{name: "escalate resolved", setup: []Transition{resolve}, tr: Transition{Action: orderbot.ActEscalate, Actor: "U1"}, errKind: orderbot.KindConflict, state: orderbot.StateResolved},
		{name: "resolve needs a code", tr: Transition{Action: orderbot.ActResolve, Actor: "U1"}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "resolve snoozed", setup: []Transition{snooze}, tr: resolve, change: ChangeResolved, state: orderbot.StateResolved},
		{name: "resolve twice by the same person is a no-op", setup: []Transition{resolve}, tr: resolve, change: "", state: orderbot.StateResolved},
		{name: "resolve by someone else after a resolve", setup: []Transition{resolve}, tr: Transition{Action: orderbot.ActResolve, Actor: "U2", Resolution: &orderbot.Resolution{Code: "other"}}, errKind: orderbot.KindConflict, errMsg: "is resolved", state: orderbot.StateResolved},
		{name: "auto resolve claimed", setup: []Transition{claim("U1")}, tr: Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}, change: ChangeAutoResolved, state: orderbot.StateResolved, owner: "U1"},
		{name: "auto resolve resolved is a no-op", setup: []Transition{resolve}, tr: Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}, change: "", state: orderbot.StateResolved},
		{name: "reopen resolved", setup: []Transition{claim("U1"), resolve}, tr: Transition{Action: orderbot.ActReopen, Actor: "U2"}, change: ChangeReopened, state: orderbot.StateOpen},
		{name: "reopen open is a no-op", tr: Transition{Action: orderbot.ActReopen, Actor: "U2"}, change: "", state: orderbot.StateOpen},
		{name: "note on resolved", setup: []Transition{resolve}, tr: Transition{Action: orderbot.ActNote, Actor: "U2", Note: "customer called"}, change: ChangeNoted, state: orderbot.StateResolved},
		{name: "note needs text", tr: Transition{Action: orderbot.ActNote, Actor: "U2", Note: " \x07 "}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "unknown action", tr: Transition{Action: "dance", Actor: "U2"}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "no actor", tr: Transition{Action: orderbot.ActClaim}, errKind: orderbot.KindInvalid, state: orderbot.StateOpen},
		{name: "stale version", setup: []Transition{{Action: orderbot.ActNote, Actor: "U1", Note: "looking"}}, tr: Transition{Action: orderbot.ActClaim, Actor: "U2", IfVersion: 1}, errKind: orderbot.KindConflict, errMsg: "changed since you looked", state: orderbot.StateOpen},
		{name: "current version", setup: []Transition{{Action: orderbot.ActNote, Actor: "U1", Note: "looking"}}, tr: Transition{Action: orderbot.ActClaim, Actor: "U2", IfVersion: 2}, change: ChangeClaimed, state: orderbot.StateClaimed, owner: "U2"},
		{name: "idempotent repeat ignores a stale version", setup: []Transition{claim("U2")}, tr: Transition{Action: orderbot.ActClaim, Actor: "U2", IfVersion: 1}, change: "", state: orderbot.StateClaimed, owner: "U2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			ctx := context.Background()
			tk := e.openTicket(t, "4004")
			for _, s := range tc.setup {
				if _, _, err := e.st.Transition(ctx, tk.ID, s); err != nil {
					t.Fatalf("setup %s: %v", s.Action, err)
				}
			}
			e.clock.Advance(tc.advance)
			before, _ := e.st.Get(ctx, tk.ID)
			got, ch, err := e.st.Transition(ctx, strings.ToLower(tk.ID), tc.tr)
			if tc.errKind != "" {
				oe := mustKind(t, err, tc.errKind)
				if tc.errMsg != "" && !strings.Contains(oe.Msg, tc.errMsg) {
					t.Fatalf("message %q, want it to contain %q", oe.Msg, tc.errMsg)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if ch != tc.change {
				t.Fatalf("change %q, want %q", ch, tc.change)
			}
			after, _ := e.st.Get(ctx, tk.ID)
			if after.State != tc.state || after.Owner != tc.owner {
				t.Fatalf("state %s owner %q, want %s %q", after.State, after.Owner, tc.state, tc.owner)
			}
			if err == nil || tc.errKind == orderbot.KindConflict {
				if !reflect.DeepEqual(got, after) {
					t.Fatalf("returned ticket differs from stored:\n got %+v\nwant %+v", got, after)
				}
			}
			wantVersion := before.Version
			if ch != "" {
				wantVersion++
			}
			if after.Version != wantVersion {
				t.Fatalf("version %d, want %d", after.Version, wantVersion)
			}
			checkIndexes(t, e, after)
		})
	}
}

// checkIndexes verifies that every index and SLA set agrees with the ticket.
func checkIndexes(t *testing.T, e *testEnv, tk orderbot.Ticket) {
	t.Helper()
	ctx := context.Background()
	c := e.srv.Universal(t)
	for _, st := range []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed, orderbot.StateResolved} {
		if in := c.SIsMember(ctx, e.st.indexKey(idxState, string(st)), tk.ID).Val(); in != (st == tk.State) {
			t.Fatalf("%s: state index %s membership %v, ticket is %s", tk.ID, st, in, tk.State)
		}
	}
	if tk.Owner != "" && !c.SIsMember(ctx, e.st.indexKey(idxOwner, tk.Owner), tk.ID).Val() {
		t.Fatalf("%s: missing from owner index of %s", tk.ID, tk.Owner)
	}
	for _, key := range c.Keys(ctx, e.st.indexKey(idxOwner, "*")).Val() {
		owner := strings.TrimPrefix(key, e.st.indexKey(idxOwner, ""))
		if c.SIsMember(ctx, key, tk.ID).Val() != (owner == tk.Owner) {
			t.Fatalf("%s: owner index %s disagrees with owner %q", tk.ID, owner, tk.Owner)
		}
	}
	inAck := c.ZScore(ctx, e.st.slaKey(slaAck), tk.ID).Err() == nil
	inRes := c.ZScore(ctx, e.st.slaKey(slaResolve), tk.ID).Err() == nil
	inWake := c.ZScore(ctx, e.st.slaKey(slaWake), tk.ID).Err() == nil
	wantAck := tk.State == orderbot.StateOpen && !tk.AckDue.IsZero()
	wantRes := (tk.State == orderbot.StateOpen || tk.State == orderbot.StateClaimed) && !tk.ResolveDue.IsZero()
	wantWake := tk.State == orderbot.StateSnoozed
	if inAck != wantAck || inRes != wantRes || inWake != wantWake {
		t.Fatalf("%s (%s): SLA sets ack=%v res=%v wake=%v, want %v %v %v", tk.ID, tk.State, inAck, inRes, inWake, wantAck, wantRes, wantWake)
	}
	if tk.State == orderbot.StateSnoozed && (!tk.AckDue.IsZero() || !tk.ResolveDue.IsZero()) {
		t.Fatalf("%s: snoozed ticket shows running SLA targets", tk.ID)
	}
	inDone := c.ZScore(ctx, e.st.resolvedKey(), tk.ID).Err() == nil
	if inDone != (tk.State == orderbot.StateResolved) {
		t.Fatalf("%s: resolved set membership %v, state %s", tk.ID, inDone, tk.State)
	}
}

func TestSnoozePausesSLAAndWakeRestores(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	start := e.clock.Now()
	tk := e.openTicket(t, "5005") // ack due +15m, resolve due +2h
	steps := []time.Duration{0, 30 * time.Minute}

	e.clock.Advance(5 * time.Minute)
	snoozed, ch, err := e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActSnooze, Actor: "U1", Until: start.Add(65 * time.Minute)})
	if err != nil || ch != ChangeSnoozed {
		t.Fatalf("snooze: %s %v", ch, err)
	}
	if !snoozed.AckDue.IsZero() || !snoozed.ResolveDue.IsZero() || !snoozed.SnoozedUntil.Equal(start.Add(65*time.Minute)) {
		t.Fatalf("snoozed ticket %+v", snoozed)
	}
	checkIndexes(t, e, snoozed)

	// Past the original ack target, still snoozed: nothing fires.
	evs, err := e.st.SweepSLA(ctx, start.Add(30*time.Minute), steps, 100)
	if err != nil || len(evs) != 0 {
		t.Fatalf("sweep while snoozed: %v %v", evs, err)
	}

	// The snooze ends: the sweeper wakes it and the clocks resume with the
	// time that was left (10m of ack, 1h55m of resolve).
	wakeAt := e.clock.Advance(time.Hour) // start + 65m
	evs, err = e.st.SweepSLA(ctx, wakeAt, steps, 100)
	if err != nil || len(evs) != 1 || evs[0].Kind != SLAWake {
		t.Fatalf("sweep at snooze end: %+v %v", evs, err)
	}
	woken := evs[0].Ticket
	if woken.State != orderbot.StateOpen || !woken.AckDue.Equal(wakeAt.Add(10*time.Minute)) ||
		!woken.ResolveDue.Equal(wakeAt.Add(115*time.Minute)) || !woken.SnoozedUntil.IsZero() {
		t.Fatalf("woken ticket %+v", woken)
	}
	stored, _ := e.st.Get(ctx, tk.ID)
	if !reflect.DeepEqual(stored, woken) {
		t.Fatalf("event ticket differs from stored:\n got %+v\nwant %+v", woken, stored)
	}
	checkIndexes(t, e, stored)

	// The ack breach now comes 10 minutes after the wake, not before.
	if evs, _ := e.st.SweepSLA(ctx, wakeAt.Add(9*time.Minute), steps, 100); len(evs) != 0 {
		t.Fatalf("breach fired early: %+v", evs)
	}
	evs, _ = e.st.SweepSLA(ctx, wakeAt.Add(10*time.Minute), steps, 100)
	if len(evs) != 1 || evs[0].Kind != SLAAckBreach || evs[0].Step != 0 || evs[0].Ticket.Escalation != 1 {
		t.Fatalf("ack breach after wake: %+v", evs)
	}
}

func TestAutoResolveClaimedTicket(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	tk := e.openTicket(t, "6006")
	if _, _, err := e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActClaim, Actor: "U7"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	got, ch, err := e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot",
		Note: "payment recorded by the shop"})
	if err != nil || ch != ChangeAutoResolved {
		t.Fatalf("auto resolve: %s %v", ch, err)
	}
	r := got.Resolution
	if got.State != orderbot.StateResolved || r == nil || !r.Auto || r.Code != autoResolveCode || r.By != "orderbot" ||
		!r.At.Equal(e.clock.Now()) {
		t.Fatalf("resolved ticket %+v resolution %+v", got, r)
	}
	checkIndexes(t, e, got)
	if open, _ := e.st.OpenTicketsOfKind(ctx, orderbot.PaymentUnrecorded); len(open) != 0 {
		t.Fatalf("resolved ticket still listed as open: %+v", open)
	}
	// A resolved ticket cannot be claimed.
	_, _, err = e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActClaim, Actor: "U8"})
	if oe := mustKind(t, err, orderbot.KindConflict); oe.Msg != tk.ID+" is resolved (by orderbot at 10:33 UTC)" {
		t.Fatalf("message %q", oe.Msg)
	}
}

func TestTransitionOutboxAndAudit(t *testing.T) {
	e := newEnv(t, Options{AuditMax: 5})
	ctx := context.Background()
	tk := e.openTicket(t, "7007")
	acts := []Transition{
		{Action: orderbot.ActClaim, Actor: "U1"},
		{Action: orderbot.ActNote, Actor: "U1", Note: "called the customer"},
		{Action: orderbot.ActResolve, Actor: "U1", Resolution: &orderbot.Resolution{Code: "refunded", Note: "refund re_1"}},
	}
	for _, a := range acts {
		e.clock.Advance(time.Minute)
		if _, _, err := e.st.Transition(ctx, tk.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	au, err := e.st.Audit(ctx, tk.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []AuditEntry{
		{At: tk.OpenedAt, Actor: "orderbot", Action: orderbot.ActOpen, To: orderbot.StateOpen},
		{At: tk.OpenedAt.Add(time.Minute), Actor: "U1", Action: orderbot.ActClaim, From: orderbot.StateOpen, To: orderbot.StateClaimed},
		{At: tk.OpenedAt.Add(2 * time.Minute), Actor: "U1", Action: orderbot.ActNote, From: orderbot.StateClaimed, To: orderbot.StateClaimed, Detail: "called the customer"},
		{At: tk.OpenedAt.Add(3 * time.Minute), Actor: "U1", Action: orderbot.ActResolve, From: orderbot.StateClaimed, To: orderbot.StateResolved, Detail: "refunded: refund re_1"},
	}
	if !reflect.DeepEqual(au, want) {
		t.Fatalf("audit\n got %+v\nwant %+v", au, want)
	}
	if last, _ := e.st.Audit(ctx, tk.ID, 2); !reflect.DeepEqual(last, want[2:]) {
		t.Fatalf("audit limit 2: %+v", last)
	}
	// The history is capped at AuditMax entries, newest kept.
	for i := 0; i < 10; i++ {
		e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActNote, Actor: "U2", Note: fmt.Sprint("note ", i)})
	}
	au, _ = e.st.Audit(ctx, tk.ID, 0)
	if len(au) != 5 || au[4].Detail != "note 9" || au[0].Detail != "note 5" {
		t.Fatalf("capped audit %+v", au)
	}

	// Every change went to the Slack outbox with its version.
	got, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p1", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 14 {
		t.Fatalf("outbox has %d entries, want 14", len(got))
	}
	wantChanges := []Change{ChangeOpened, ChangeClaimed, ChangeNoted, ChangeResolved}
	for i, c := range wantChanges {
		if got[i].TicketID != tk.ID || got[i].Change != c || got[i].Version != int64(i+1) {
			t.Fatalf("outbox entry %d: %+v, want %s v%d", i, got[i], c, i+1)
		}
	}
	if got[1].Payload["actor"] != "U1" || got[2].Payload["detail"] != "called the customer" {
		t.Fatalf("outbox payloads %+v %+v", got[1].Payload, got[2].Payload)
	}
}

func TestListFiltersAndCounts(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	now := e.clock.Now()
	mk := func(kind orderbot.Kind, subject, dept string, ack time.Duration) orderbot.Ticket {
		a := anomaly(kind, subject)
		a.Department = dept
		res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a, AckDue: now.Add(ack), ResolveDue: now.Add(4 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Ticket
	}
	t1 := mk(orderbot.PaymentMissing, "A", "finance", time.Minute)
	t2 := mk(orderbot.PaymentMissing, "B", "finance", time.Hour)
	t3 := mk(orderbot.ShippingStalled, "C", "logistics", time.Minute)
	t4 := mk(orderbot.ShippingStalled, "D", "logistics", time.Hour)
	t5 := mk(orderbot.ShippingStalled, "E", "logistics", time.Minute)
	tr := func(id string, x Transition) {
		if _, _, err := e.st.Transition(ctx, id, x); err != nil {
			t.Fatal(err)
		}
	}
	tr(t2.ID, Transition{Action: orderbot.ActClaim, Actor: "U1"})
	tr(t4.ID, Transition{Action: orderbot.ActClaim, Actor: "U1"})
	tr(t3.ID, Transition{Action: orderbot.ActSnooze, Actor: "U2", Until: now.Add(3 * time.Hour)})
	tr(t5.ID, Transition{Action: orderbot.ActResolve, Actor: "U2", Resolution: &orderbot.Resolution{Code: "other"}})
	e.clock.Advance(10 * time.Minute)

	ids := func(ts []orderbot.Ticket) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"active", Filter{}, []string{t4.ID, t3.ID, t2.ID, t1.ID}},
		{"open", Filter{State: orderbot.StateOpen}, []string{t1.ID}},
		{"resolved", Filter{State: orderbot.StateResolved}, []string{t5.ID}},
		{"department", Filter{Department: "logistics"}, []string{t4.ID, t3.ID}},
		{"kind", Filter{Kind: orderbot.PaymentMissing}, []string{t2.ID, t1.ID}},
		{"mine", Filter{Owner: "U1"}, []string{t4.ID, t2.ID}},
		{"mine and kind", Filter{Owner: "U1", Kind: orderbot.ShippingStalled}, []string{t4.ID}},
		{"breached", Filter{Breached: true}, []string{t1.ID}},
		{"limit", Filter{Limit: 2}, []string{t4.ID, t3.ID}},
		{"nothing", Filter{Department: "tech"}, nil},
	}
	for _, tc := range cases {
		got, err := e.st.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ids(got), tc.want)
		}
	}
	counts, err := e.st.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[orderbot.TicketState]int64{orderbot.StateOpen: 1, orderbot.StateClaimed: 2, orderbot.StateSnoozed: 1, orderbot.StateResolved: 1}
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("counts %v, want %v", counts, want)
	}
	open, _ := e.st.OpenTicketsOfKind(ctx, orderbot.ShippingStalled)
	if !reflect.DeepEqual(ids(open), []string{t4.ID, t3.ID}) {
		t.Fatalf("open stalled tickets %v", ids(open))
	}
}

func TestGetAndMessageRef(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	tk := e.openTicket(t, "8008")
	for _, id := range []string{"T999", "x42", ""} {
		if _, err := e.st.Get(ctx, id); !orderbot.IsKind(err, orderbot.KindNotFound) {
			t.Errorf("Get(%q): %v, want not found", id, err)
		}
	}
	if _, err := e.st.GetByFingerprint(ctx, "payment.missing:none"); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Errorf("GetByFingerprint: %v", err)
	}
	if ch, ts, err := e.st.MessageRef(ctx, tk.ID); err != nil || ch != "" || ts != "" {
		t.Fatalf("unposted ref %q %q %v", ch, ts, err)
	}
	if err := e.st.SetMessageRef(ctx, tk.ID, "C123", "1700000000.000100"); err != nil {
		t.Fatal(err)
	}
	if ch, ts, err := e.st.MessageRef(ctx, " "+strings.ToLower(tk.ID)); err != nil || ch != "C123" || ts != "1700000000.000100" {
		t.Fatalf("ref %q %q %v", ch, ts, err)
	}
	if err := e.st.SetMessageRef(ctx, "T999", "C1", "1"); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("ref of a missing ticket: %v", err)
	}
	if _, _, err := e.st.MessageRef(ctx, "T999"); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("ref of a missing ticket: %v", err)
	}
	// The ref lives in the ticket hash and does not disturb it.
	got, _ := e.st.Get(ctx, tk.ID)
	if got.Version != tk.Version || got.State != orderbot.StateOpen {
		t.Fatalf("ticket changed by SetMessageRef: %+v", got)
	}
}

func TestPurgeResolved(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	old := e.openTicket(t, "9001")
	keep := e.openTicket(t, "9002")
	active := e.openTicket(t, "9003")
	res := Transition{Action: orderbot.ActResolve, Actor: "U1", Resolution: &orderbot.Resolution{Code: "other"}}
	e.st.Transition(ctx, old.ID, Transition{Action: orderbot.ActClaim, Actor: "U1"})
	e.st.Transition(ctx, old.ID, res)
	e.clock.Advance(48 * time.Hour)
	e.st.Transition(ctx, keep.ID, res)
	n, err := e.st.PurgeResolved(ctx, e.clock.Now().Add(-24*time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
	if _, err := e.st.Get(ctx, old.ID); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("purged ticket still there: %v", err)
	}
	if _, err := e.st.GetByFingerprint(ctx, old.Fingerprint); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("fingerprint of a purged ticket still resolves: %v", err)
	}
	c := e.srv.Universal(t)
	for _, k := range []string{e.st.indexKey(idxOwner, "U1"), e.st.indexKey(idxState, "resolved"), e.st.indexKey(idxKind, string(orderbot.PaymentUnrecorded))} {
		if c.SIsMember(ctx, k, old.ID).Val() {
			t.Fatalf("purged ticket still in %s", k)
		}
	}
	if c.Exists(ctx, e.st.auditKey(old.ID), e.st.ticketKey(old.ID), e.st.resolutionKey(old.ID)).Val() != 0 {
		t.Fatal("purged ticket left keys behind")
	}
	for _, id := range []string{keep.ID, active.ID} {
		if _, err := e.st.Get(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
}

// One call may carry the same fingerprint several times (a detector that emits
// per line item): they apply in input order, with the indexes right at the end.
func TestUpsertSameFingerprintInOneBatch(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	now := e.clock.Now()
	a := anomaly(orderbot.InventoryOversold, "SKU-1")
	a.OrderID = "" // grouped by SKU: no one order
	b := a
	b.Department = "warehouse"
	b.Summary = "SKU-1: 40 open, 12 in stock"
	other := anomaly(orderbot.InventoryOversold, "SKU-2")
	ups := []Upsert{
		{Anomaly: a, AckDue: now.Add(time.Hour)},
		{Anomaly: a},
		{Anomaly: other},
		{Anomaly: b},
		{Anomaly: b},
	}
	res, err := e.st.UpsertTickets(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	var got []Change
	for _, r := range res {
		got = append(got, r.Change)
	}
	want := []Change{ChangeOpened, ChangeRecurred, ChangeOpened, ChangeUpdated, ChangeRecurred}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	stored, err := e.st.Get(ctx, res[0].Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, res[4].Ticket) || stored.Count != 4 || stored.Department != "warehouse" || stored.Summary != b.Summary {
		t.Fatalf("stored %+v\nlast result %+v", stored, res[4].Ticket)
	}
	checkIndexes(t, e, stored)
	c := e.srv.Universal(t)
	if c.SIsMember(ctx, e.st.indexKey(idxDept, "finance"), stored.ID).Val() {
		t.Fatal("left in the old department index")
	}
}

// A ticket must stay compact for realistic ids and content, or the 2 KB budget
// is gone; and every field must read back exactly.
func TestTicketHashStaysCompact(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	c := e.srv.Universal(t)
	cases := []orderbot.Anomaly{
		{Kind: orderbot.CustomerInvalidAddr, Subject: "SAL-ORD-2025-000123", OrderID: "SAL-ORD-2025-000123", Source: "erpnext",
			Department: "support", Severity: orderbot.SeverityMedium, Summary: strings.Repeat("address missing postal code; ", 10)},
		{Kind: orderbot.InventorySyncLag, Subject: "erpnext-warehouse-main", Source: "erpnext-warehouse-main",
			Department: "tech", Severity: orderbot.SeverityHigh, Stage: "warning"},
		{Kind: orderbot.PaymentAfterClose, Subject: "5512345678901", OrderID: "5512345678902", Source: "stripe",
			Department: "finance", Severity: orderbot.SeverityCritical},
	}
	for _, a := range cases {
		res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a, AckDue: e.clock.Now().Add(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		tk := res[0].Ticket
		if tk.OrderID != a.OrderID || tk.Source != a.Source || tk.Stage != a.Stage || tk.Subject != a.Subject {
			t.Fatalf("round trip %+v from %+v", tk, a)
		}
		e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActClaim, Actor: "U0123ABCDE"})
		e.st.Transition(ctx, tk.ID, Transition{Action: orderbot.ActSnooze, Actor: "U0123ABCDE", Until: e.clock.Now().Add(time.Hour)})
		// One string per ticket, content included: the bound leaves most of the
		// 2 KB for its index, SLA and outbox entries, audit list and owner entry.
		if n := c.MemoryUsage(ctx, e.st.ticketKey(tk.ID)).Val(); n > 768 {
			t.Fatalf("%s ticket takes %d bytes, want at most 768", a.Kind, n)
		}
		stored, _ := e.st.Get(ctx, tk.ID)
		if stored.OrderID != a.OrderID || stored.Source != a.Source || stored.Owner != "U0123ABCDE" {
			t.Fatalf("stored %+v", stored)
		}
		// The order link may change without a visible update.
		a.OrderID = "other-1"
		res, _ = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
		if res[0].Change != ChangeRecurred || res[0].Ticket.OrderID != "other-1" || res[0].Ticket.Version != stored.Version {
			t.Fatalf("relinked: %s %+v", res[0].Change, res[0].Ticket)
		}
	}
}
