package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

type firing struct {
	kind SLAKind
	step int
	at   time.Time
}

// Four sweepers on two Store values sweep at every tick at the same time; every
// escalation step of every ticket still fires exactly once, at its time.
func TestSweepSLAStepsFireOnceAcrossSweepers(t *testing.T) {
	e := newEnv(t, Options{})
	other := newStoreOn(t, e.srv, Options{Now: e.clock.Now})
	ctx := context.Background()
	start := e.clock.Now()
	steps := []time.Duration{0, 30 * time.Minute, 2 * time.Hour}
	const n = 20
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, e.openTicket(t, fmt.Sprintf("S%02d", i)).ID) // ack +15m, resolve +2h
	}
	claimed := map[string]bool{}
	var mu sync.Mutex
	fired := map[string][]firing{}
	const tick = 5 * time.Minute
	for now := start; now.Before(start.Add(6 * time.Hour)); now = now.Add(tick) {
		e.clock.Advance(now.Sub(e.clock.Now()))
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := e.st
				if g%2 == 1 {
					st = other
				}
				evs, err := st.SweepSLA(ctx, now, steps, 7) // a small limit forces several rounds
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, ev := range evs {
					fired[ev.Ticket.ID] = append(fired[ev.Ticket.ID], firing{ev.Kind, ev.Step, now})
				}
			}()
		}
		wg.Wait()
		// Drain what the small limit left for this tick.
		for {
			evs, err := e.st.SweepSLA(ctx, now, steps, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				fired[ev.Ticket.ID] = append(fired[ev.Ticket.ID], firing{ev.Kind, ev.Step, now})
			}
			if len(evs) == 0 {
				break
			}
		}
		// Half the tickets get claimed 20 minutes in, after their first ack
		// step: their ack chain stops, the resolve chain goes on.
		if now.Equal(start.Add(20 * time.Minute)) {
			for i, id := range ids {
				if i%2 == 0 {
					if _, _, err := e.st.Transition(ctx, id, Transition{Action: orderbot.ActClaim, Actor: "U1"}); err != nil {
						t.Fatal(err)
					}
					claimed[id] = true
				}
			}
		}
	}
	if t.Failed() {
		return
	}
	ackDue, resDue := start.Add(15*time.Minute), start.Add(2*time.Hour)
	for _, id := range ids {
		want := []firing{{SLAAckBreach, 0, ackDue}}
		if !claimed[id] {
			want = append(want, firing{SLAAckBreach, 1, ackDue.Add(30 * time.Minute)})
		}
		want = append(want, firing{SLAResolveBreach, 0, resDue})
		if !claimed[id] {
			want = append(want, firing{SLAAckBreach, 2, ackDue.Add(2 * time.Hour)})
		}
		want = append(want, firing{SLAResolveBreach, 1, resDue.Add(30 * time.Minute)}, firing{SLAResolveBreach, 2, resDue.Add(2 * time.Hour)})
		got := fired[id]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s fired\n %v\nwant\n %v", id, got, want)
		}
		tk, _ := e.st.Get(ctx, id)
		if tk.Escalation != len(want) {
			t.Fatalf("%s escalation %d, want %d", id, tk.Escalation, len(want))
		}
	}
	// Chains that ran out leave the SLA sets.
	c := e.srv.Universal(t)
	if n := c.ZCard(ctx, e.st.slaKey(slaAck)).Val() + c.ZCard(ctx, e.st.slaKey(slaResolve)).Val(); n != 0 {
		t.Fatalf("%d tickets still on SLA clocks after every step fired", n)
	}
	// Every step is in the Slack outbox once.
	entries, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "g", "c", 10_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	breaches := 0
	for _, en := range entries {
		if en.Change == ChangeAckBreach || en.Change == ChangeResolveBreach {
			breaches++
			if en.Payload["step"] == "" || en.Payload["clock"] == "" {
				t.Fatalf("breach entry without step or clock: %+v", en)
			}
		}
	}
	if want := n*6 - len(claimed)*2; breaches != want {
		t.Fatalf("%d breach entries in the outbox, want %d", breaches, want)
	}
}

func TestSweepSLAWarningAndCatchUp(t *testing.T) {
	steps := []time.Duration{0, 30 * time.Minute, 2 * time.Hour}
	t.Run("warning fires once before the target", func(t *testing.T) {
		e := newEnv(t, Options{WarnBefore: 10 * time.Minute})
		ctx := context.Background()
		start := e.clock.Now()
		tk := e.openTicket(t, "W1")
		if evs, _ := e.st.SweepSLA(ctx, start.Add(4*time.Minute), steps, 10); len(evs) != 0 {
			t.Fatalf("early: %+v", evs)
		}
		evs, err := e.st.SweepSLA(ctx, start.Add(5*time.Minute), steps, 10)
		if err != nil || len(evs) != 1 || evs[0].Kind != SLAWarning || evs[0].Clock != ClockAck || evs[0].Ticket.Escalation != 0 {
			t.Fatalf("warning: %+v %v", evs, err)
		}
		if evs, _ := e.st.SweepSLA(ctx, start.Add(6*time.Minute), steps, 10); len(evs) != 0 {
			t.Fatalf("warning fired twice: %+v", evs)
		}
		evs, _ = e.st.SweepSLA(ctx, start.Add(15*time.Minute), steps, 10)
		if len(evs) != 1 || evs[0].Kind != SLAAckBreach || evs[0].Step != 0 {
			t.Fatalf("breach after warning: %+v", evs)
		}
		// The resolve target's warning comes 10 minutes before it.
		evs, _ = e.st.SweepSLA(ctx, start.Add(110*time.Minute), steps, 10)
		kinds := map[string]bool{}
		for _, ev := range evs {
			kinds[string(ev.Kind)+"/"+ev.Clock] = true
		}
		if !kinds["warning/resolve"] {
			t.Fatalf("no resolve warning at due-10m: %+v", evs)
		}
		au, _ := e.st.Audit(ctx, tk.ID, 0)
		if au[1].Action != ActWarn || au[2].Action != orderbot.ActEscalate {
			t.Fatalf("history %+v", au)
		}
	})
	t.Run("after an outage missed steps follow one per sweep", func(t *testing.T) {
		e := newEnv(t, Options{WarnBefore: 10 * time.Minute})
		ctx := context.Background()
		start := e.clock.Now()
		a := anomaly(orderbot.PaymentMissing, "C1")
		if _, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a, AckDue: start.Add(15 * time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		late := start.Add(5 * time.Hour)
		for want := 0; want < 3; want++ {
			evs, err := e.st.SweepSLA(ctx, late, steps, 10)
			if err != nil || len(evs) != 1 || evs[0].Kind != SLAAckBreach || evs[0].Step != want {
				t.Fatalf("sweep %d: %+v %v (no warning after the target has passed)", want, evs, err)
			}
		}
		if evs, _ := e.st.SweepSLA(ctx, late, steps, 10); len(evs) != 0 {
			t.Fatalf("chain should be done: %+v", evs)
		}
	})
	t.Run("limit bounds one call", func(t *testing.T) {
		e := newEnv(t, Options{})
		ctx := context.Background()
		for i := 0; i < 10; i++ {
			e.openTicket(t, fmt.Sprint("L", i))
		}
		at := e.clock.Now().Add(20 * time.Minute)
		total := 0
		for round := 0; round < 5; round++ {
			evs, err := e.st.SweepSLA(ctx, at, steps, 4)
			if err != nil || len(evs) > 4 {
				t.Fatalf("round %d: %d events %v", round, len(evs), err)
			}
			total += len(evs)
		}
		if total != 10 {
			t.Fatalf("%d events, want one ack breach per ticket", total)
		}
	})
	t.Run("resolved and claimed tickets stop their chains", func(t *testing.T) {
		e := newEnv(t, Options{})
		ctx := context.Background()
		start := e.clock.Now()
		a := e.openTicket(t, "R1")
		b := e.openTicket(t, "R2")
		e.st.Transition(ctx, a.ID, Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"})
		e.st.Transition(ctx, b.ID, Transition{Action: orderbot.ActClaim, Actor: "U1"})
		evs, _ := e.st.SweepSLA(ctx, start.Add(16*time.Minute), steps, 10)
		if len(evs) != 0 {
			t.Fatalf("fired for resolved or claimed tickets: %+v", evs)
		}
		evs, _ = e.st.SweepSLA(ctx, start.Add(121*time.Minute), steps, 10)
		if len(evs) != 1 || evs[0].Ticket.ID != b.ID || evs[0].Kind != SLAResolveBreach {
			t.Fatalf("claimed ticket's resolve chain: %+v", evs)
		}
	})
}
