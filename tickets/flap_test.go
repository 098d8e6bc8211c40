package tickets

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
)

// flapRig applies the payment.unrecorded snapshot (condition true while the
// order is unpaid) one minute apart.
type flapRig struct {
	t   *testing.T
	e   *Engine
	st  *store.Store
	c   *clock
	det *detect.Detector
}

func newFlapRig(t *testing.T, g orderbot.FlapGuard) *flapRig {
	settings := orderbot.DefaultKindSettings()
	ks := settings[orderbot.PaymentUnrecorded]
	ks.Flap = g
	settings[orderbot.PaymentUnrecorded] = ks
	e, st, c := newEngineClock(t, settings)
	return &flapRig{t: t, e: e, st: st, c: c, det: detect.New(settings, detect.Options{})}
}

// step advances the clock by d and applies one evaluation; it returns the
// changes of payment.unrecorded:o1.
func (r *flapRig) step(d time.Duration, condition bool) []store.Change {
	r.t.Helper()
	r.c.t = r.c.t.Add(d)
	ch, err := r.e.Apply(context.Background(), r.det.Run(snapshotAt(r.c.t, !condition)))
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.Change
	for _, c := range ch {
		if c.Ticket.Fingerprint == orderbot.Fingerprint(orderbot.PaymentUnrecorded, "o1") {
			out = append(out, c.Change)
		}
	}
	return out
}

func (r *flapRig) want(d time.Duration, condition bool, want store.Change) {
	r.t.Helper()
	got := r.step(d, condition)
	if want == "" && len(got) == 0 {
		return
	}
	if len(got) != 1 || got[0] != want {
		r.t.Fatalf("at %s (condition %v): changes %v, want %q", r.c.t.Format("15:04"), condition, got, want)
	}
}

func (r *flapRig) ticket() orderbot.Ticket {
	r.t.Helper()
	tk, err := r.st.GetByFingerprint(context.Background(), orderbot.Fingerprint(orderbot.PaymentUnrecorded, "o1"))
	if err != nil {
		r.t.Fatal(err)
	}
	return tk
}

// The evaluations must be consecutive: one that finds the condition gone
// starts the count over, and a repeated evaluation (same time, a retried
// cycle) counts once.
func TestFlapGuardOpensAfterConsecutiveEvaluations(t *testing.T) {
	r := newFlapRig(t, orderbot.FlapGuard{OpenAfter: 3, ResolveAfter: 1})
	r.want(time.Minute, true, store.ChangePending)
	r.want(time.Minute, true, store.ChangePending)
	r.want(time.Minute, false, "") // gone: the count starts over
	r.want(time.Minute, true, store.ChangePending)
	r.want(time.Minute, true, store.ChangePending)
	r.want(0, true, store.ChangePending) // the same evaluation again
	r.want(time.Minute, true, store.ChangeOpened)
	if tk := r.ticket(); tk.ID != "T1" {
		t.Fatalf("first ticket is %s: pending conditions must not use up ticket ids", tk.ID)
	}
}

// A duration guard (like a Prometheus rule's `for`) opens once the condition
// has held that long, however many evaluations that took.
func TestFlapGuardOpensAfterDuration(t *testing.T) {
	r := newFlapRig(t, orderbot.FlapGuard{OpenAfter: 1, OpenFor: 10 * time.Minute, ResolveAfter: 1, ResolveFor: 5 * time.Minute})
	r.want(time.Minute, true, store.ChangePending)
	r.want(4*time.Minute, true, store.ChangePending)
	r.want(4*time.Minute, true, store.ChangePending) // 8 minutes
	r.want(2*time.Minute, true, store.ChangeOpened)  // 10 minutes
	// Resolve side: clear for 5 minutes.
	r.want(time.Minute, false, ChangeClearing)
	r.want(4*time.Minute, false, ChangeClearing)
	r.want(time.Minute, false, store.ChangeAutoResolved)
}

// A condition that comes back while its ticket is clearing restarts the
// clearing count (keep_firing_for).
func TestFlapGuardClearingRestartsWhenTheConditionReturns(t *testing.T) {
	r := newFlapRig(t, orderbot.FlapGuard{OpenAfter: 1, ResolveAfter: 3})
	r.want(time.Minute, true, store.ChangeOpened)
	r.want(time.Minute, false, ChangeClearing)
	r.want(time.Minute, false, ChangeClearing)
	r.step(time.Minute, true) // back: recurrence
	r.want(time.Minute, false, ChangeClearing)
	r.want(time.Minute, false, ChangeClearing)
	r.want(time.Minute, false, store.ChangeAutoResolved)
}

// The pending and clearing counts live in Redis: a second engine (another
// replica, or this one after a restart) continues them.
func TestFlapGuardStateIsSharedByReplicas(t *testing.T) {
	r := newFlapRig(t, orderbot.FlapGuard{OpenAfter: 2, ResolveAfter: 2})
	r.want(time.Minute, true, store.ChangePending)
	r.e = New(r.st, Options{Now: r.c.now, Settings: r.e.settings})
	r.want(time.Minute, true, store.ChangeOpened)
	r.want(time.Minute, false, ChangeClearing)
	r.e = New(r.st, Options{Now: r.c.now, Settings: r.e.settings})
	r.want(time.Minute, false, store.ChangeAutoResolved)
}

// A ticket that keeps clearing and coming back is auto-resolved (and
// reopened) at most ChurnLimit times in ChurnWindow; then it stays open,
// marked flapping, and posts nothing more while the condition flips. Once the
// condition has been clear for a whole window it resolves.
func TestFlappingTicketStaysOpen(t *testing.T) {
	r := newFlapRig(t, orderbot.FlapGuard{OpenAfter: 1, ResolveAfter: 1, ChurnLimit: 2, ChurnWindow: time.Hour})
	r.want(time.Minute, true, store.ChangeOpened)
	r.want(time.Minute, false, store.ChangeAutoResolved)
	r.want(time.Minute, true, store.ChangeReopened)
	r.want(time.Minute, false, store.ChangeAutoResolved)
	r.want(time.Minute, true, store.ChangeReopened)
	r.want(time.Minute, false, store.ChangeUpdated) // marked flapping instead of resolved
	tk := r.ticket()
	if !tk.Flapping || !tk.State.Active() {
		t.Fatalf("ticket = %+v, want active and flapping", tk)
	}
	audit, err := r.st.Audit(context.Background(), tk.ID, 1)
	if err != nil || len(audit) != 1 || audit[0].Action != store.ActFlapping {
		t.Fatalf("last history entry = %+v, %v; want the flapping mark", audit, err)
	}
	for range 3 {
		for _, ch := range r.step(time.Minute, true) {
			if ch != store.ChangeRecurred && ch != store.ChangeUpdated {
				t.Fatalf("flapping ticket changed %q when its condition came back", ch)
			}
		}
		r.want(time.Minute, false, ChangeClearing)
	}
	r.want(30*time.Minute, false, ChangeClearing)
	r.want(30*time.Minute, false, store.ChangeAutoResolved)
	if tk := r.ticket(); tk.State != orderbot.StateResolved {
		t.Fatalf("ticket = %+v, want resolved after a clear window", tk)
	}
}

// Time-based kinds have waited their threshold already: with the default
// guard a late dispatch opens on the first evaluation past its deadline, and
// a cross-system kind (payment.unrecorded) on the next poll, never later.
func TestDefaultGuardDelaysByAtMostOnePoll(t *testing.T) {
	for _, k := range orderbot.Kinds() {
		spec, _ := orderbot.Spec(k)
		if spec.Manual {
			continue
		}
		g := orderbot.DefaultFlapGuard(k)
		if g.OpenFor != 0 || g.OpenAfter > 2 || g.OpenAfter < 1 || g.ResolveAfter < 1 {
			t.Errorf("%s: default guard %+v may delay a ticket by more than one poll", k, g)
		}
		if spec.Params.After > 0 || spec.Params.MaxAge > 0 || len(spec.Params.Statuses) > 0 {
			switch k {
			case orderbot.PaymentUnrecorded, orderbot.PaymentMissing:
				// Two systems polled apart: one more look.
			default:
				if g.OpenAfter != 1 {
					t.Errorf("%s is time-based but opens after %d evaluations", k, g.OpenAfter)
				}
			}
		}
	}
}
