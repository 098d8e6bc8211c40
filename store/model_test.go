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

// TestTransitionInvariants is a seeded random walk over tickets, actors, actions,
// versions and time that checks, after every step, every index and SLA set
// against each ticket and the history against the changes made. Which change
// each step must make is the lifecycle table's business: the tickets
// package's TestLifecycleScriptsMatchTable checks these scripts against it.
func TestTransitionInvariants(t *testing.T) {
	seeds := []int64{1, 2, 42}
	const steps = 200
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			e := newEnv(t, Options{AuditMax: 1000})
			ctx := context.Background()
			ids := make([]string, 3)
			changes := map[string]int{}
			for i := range ids {
				ids[i] = e.openTicket(t, fmt.Sprintf("M%d", i)).ID
			}
			actors := []string{"U1", "U2", "U3", "orderbot"}
			actions := []orderbot.Action{orderbot.ActClaim, orderbot.ActRelease, orderbot.ActReassign, orderbot.ActSnooze,
				orderbot.ActWake, orderbot.ActEscalate, orderbot.ActResolve, orderbot.ActAutoResolve, orderbot.ActReopen, orderbot.ActNote}
			for step := 0; step < steps; step++ {
				now := e.clock.Advance(time.Duration(rng.Intn(40)) * time.Minute)
				if rng.Intn(8) == 0 {
					// A sweeper pass whose only escalation step lies beyond the
					// walk: it wakes every snooze that ended and fires nothing else.
					evs, err := e.st.SweepSLA(ctx, now, []time.Duration{1000 * time.Hour}, 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, ev := range evs {
						if ev.Kind != "wake" {
							t.Fatalf("step %d: sweep fired %+v", step, ev)
						}
						changes[ev.Ticket.ID]++
					}
				}
				id := ids[rng.Intn(len(ids))]
				before, err := e.st.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
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
					tr.IfVersion = before.Version
				case 1:
					tr.IfVersion = before.Version - 1
				}
				got, ch, err := e.st.Transition(ctx, id, tr)
				if ch != "" {
					changes[id]++
					if err != nil || got.Version != before.Version+1 {
						t.Fatalf("step %d: %s on %s made %q at version %d (was %d), error %v", step, tr.Action, id, ch, got.Version, before.Version, err)
					}
				}
				invalid := orderbot.IsKind(err, orderbot.KindInvalid)
				for _, other := range ids {
					stored, err := e.st.Get(ctx, other)
					if err != nil {
						t.Fatal(err)
					}
					checkIndexes(t, e, stored)
					if other == id && !invalid && !reflect.DeepEqual(stored, got) {
						t.Fatalf("step %d: returned ticket differs from stored", step)
					}
				}
				au, err := e.st.Audit(ctx, id, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(au) != changes[id]+1 {
					t.Fatalf("step %d: %s has %d history entries after %d changes", step, id, len(au), changes[id])
				}
			}
		})
	}
}
