package tickets

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
)

// Actor is the name the engine records as the actor of automatic changes.
const Actor = "orderbot"

// AutoResolveCode is the resolution code of a ticket the engine closed because a
// later poll saw its condition cleared.
const AutoResolveCode = "condition_cleared"

// batchSize bounds one UpsertTickets call so a storm of anomalies becomes a
// series of bounded Redis round trips rather than one giant script call.
const batchSize = 500

// Options configure an Engine.
type Options struct {
	// Settings are the effective kind settings (config.KindSettings()).
	Settings map[orderbot.Kind]orderbot.KindSettings
	// ReopenWindow: a resolved ticket whose condition recurs within this window is
	// reopened; later, a new ticket is opened. Default 24h.
	ReopenWindow time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Engine folds detection results into tickets.
type Engine struct {
	st       *store.Store // reads only; every change goes through life
	life     *Lifecycle
	settings map[orderbot.Kind]orderbot.KindSettings
	reopen   time.Duration
	now      func() time.Time
}

// New returns an Engine writing to st.
func New(st *store.Store, opts Options) *Engine {
	if opts.Settings == nil {
		opts.Settings = orderbot.DefaultKindSettings()
	}
	if opts.ReopenWindow <= 0 {
		opts.ReopenWindow = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{st: st, life: NewLifecycle(st), settings: opts.Settings, reopen: opts.ReopenWindow, now: opts.Now}
}

// ChangeClearing is the Change of an active ticket whose condition an
// evaluation found cleared but that the kind's flap guard keeps open for now
// (not clear for long enough, or flapping). Nothing was written to the ticket;
// the poll cycle looks at its order again on the next poll.
const ChangeClearing store.Change = "clearing"

// Change is one ticket change the engine made, for logs and `poll --once` output.
type Change struct {
	Ticket orderbot.Ticket
	Change store.Change
}

// Apply folds res into tickets: every anomaly is upserted by fingerprint, then
// every active ticket of a kind whose subject res evaluated with complete data and
// did not find again is auto-resolved. It returns the changes in order.
func (e *Engine) Apply(ctx context.Context, res *detect.Result) ([]Change, error) {
	changes, err := e.Upsert(ctx, res.Anomalies)
	if err != nil {
		return changes, err
	}
	found := make(map[string]struct{}, len(res.Anomalies))
	for i := range res.Anomalies {
		found[res.Anomalies[i].Fingerprint()] = struct{}{}
	}
	if err := e.dropPending(ctx, res, found); err != nil {
		return changes, err
	}
	resolved, err := e.autoResolve(ctx, res, found)
	return append(changes, resolved...), err
}

// Upsert folds anomalies into tickets without auto-resolving anything (used for
// findings that are not the result of a full evaluation, such as a source that
// just failed its poll).
func (e *Engine) Upsert(ctx context.Context, anomalies []orderbot.Anomaly) ([]Change, error) {
	var changes []Change
	ups := make([]store.Upsert, 0, min(len(anomalies), batchSize))
	flush := func() error {
		if len(ups) == 0 {
			return nil
		}
		rs, err := e.life.Detect(ctx, ups)
		if err != nil {
			return fmt.Errorf("tickets: upsert: %w", err)
		}
		for _, r := range rs {
			changes = append(changes, Change{Ticket: r.Ticket, Change: r.Change})
		}
		ups = ups[:0]
		return nil
	}
	for i := range anomalies {
		ups = append(ups, e.upsertFor(anomalies[i]))
		if len(ups) == batchSize {
			if err := flush(); err != nil {
				return changes, err
			}
		}
	}
	return changes, flush()
}

// upsertFor computes the SLA targets of the ticket an anomaly would open.
func (e *Engine) upsertFor(a orderbot.Anomaly) store.Upsert {
	ks, ok := e.settings[a.Kind]
	if !ok {
		ks, _ = orderbot.DefaultSettings(a.Kind)
	}
	now := a.DetectedAt
	if now.IsZero() {
		now = e.now()
	}
	u := store.Upsert{Anomaly: a, ReopenWithin: e.reopen, OpenAfter: ks.Flap.OpenAfter, OpenFor: ks.Flap.OpenFor}
	if ks.AckSLA > 0 {
		u.AckDue = now.Add(ks.AckSLA)
	}
	switch {
	case ks.ResolveByShipBy && !a.Deadline.IsZero():
		u.ResolveDue = a.Deadline
	case ks.ResolveSLA > 0:
		u.ResolveDue = now.Add(ks.ResolveSLA)
	case ks.ResolveByShipBy:
		// No ship-by known: fall back to the ack target so the ticket still has a
		// resolve clock instead of none at all.
		u.ResolveDue = u.AckDue
	}
	return u
}

// detected returns the enabled detection kinds, sorted.
func (e *Engine) detected() []orderbot.Kind {
	kinds := make([]orderbot.Kind, 0, len(e.settings))
	for k, ks := range e.settings {
		if spec, ok := orderbot.Spec(k); ok && !spec.Manual && ks.Enabled {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	return kinds
}

// dropPending forgets the pending conditions (found, but not yet in enough
// evaluations to open) that res evaluated and did not find again, so that the
// flap guard counts evaluations in a row.
func (e *Engine) dropPending(ctx context.Context, res *detect.Result, found map[string]struct{}) error {
	for _, k := range e.detected() {
		if !e.settings[k].Flap.Gated() {
			continue
		}
		fps, err := e.st.PendingOfKind(ctx, k)
		if err != nil {
			return fmt.Errorf("tickets: listing pending %s conditions: %w", k, err)
		}
		var gone []string
		prefix := orderbot.Fingerprint(k, "")
		for _, fp := range fps {
			subject, ok := strings.CutPrefix(fp, prefix)
			if _, still := found[fp]; !ok || (!still && res.WasEvaluated(k, subject)) {
				gone = append(gone, fp)
			}
		}
		if err := e.life.DropPending(ctx, k, gone); err != nil {
			return fmt.Errorf("tickets: dropping cleared %s conditions: %w", k, err)
		}
	}
	return nil
}

// autoResolve closes active tickets whose condition res shows cleared, as the
// kind's flap guard allows: after enough evaluations found it cleared, and not
// once more than its churn limit (a ticket that would is marked flapping and
// stays open).
func (e *Engine) autoResolve(ctx context.Context, res *detect.Result, found map[string]struct{}) ([]Change, error) {
	var changes []Change
	for _, k := range e.detected() {
		g := e.settings[k].Flap
		open, err := e.st.OpenTicketsOfKind(ctx, k)
		if err != nil {
			return changes, fmt.Errorf("tickets: listing open %s tickets: %w", k, err)
		}
		var cleared []orderbot.Ticket
		for _, t := range open {
			if _, still := found[t.Fingerprint]; still || !res.WasEvaluated(k, t.Subject) {
				continue
			}
			cleared = append(cleared, t)
		}
		if len(cleared) == 0 {
			continue
		}
		resolve := cleared
		if g.Lingers() || g.ChurnLimit > 0 || anyFlapping(cleared) {
			resolve, err = e.guardClearing(ctx, g, cleared, &changes)
			if err != nil {
				return changes, err
			}
		}
		for _, t := range resolve {
			now := e.now()
			nt, ch, err := e.life.Apply(ctx, t.ID, store.Transition{
				Action: orderbot.ActAutoResolve, Actor: Actor, IfVersion: t.Version,
				Resolution: &orderbot.Resolution{Code: AutoResolveCode, Note: "a later poll saw the condition cleared", By: Actor, At: now, Auto: true},
			})
			if err != nil {
				if orderbot.IsKind(err, orderbot.KindConflict) {
					// Staff or another replica changed it meanwhile; the next cycle
					// looks again with the current version.
					continue
				}
				return changes, fmt.Errorf("tickets: auto-resolving %s: %w", t.ID, err)
			}
			if ch != "" {
				changes = append(changes, Change{Ticket: nt, Change: ch})
			}
		}
	}
	return changes, nil
}

func anyFlapping(ts []orderbot.Ticket) bool {
	for i := range ts {
		if ts[i].Flapping {
			return true
		}
	}
	return false
}

// guardClearing asks the store's flap guard about tickets found cleared and
// returns those to auto-resolve now. The others stay open: a ChangeClearing
// for each (so the poll cycle looks again), and a flapping mark for those
// that churned too often.
func (e *Engine) guardClearing(ctx context.Context, g orderbot.FlapGuard, cleared []orderbot.Ticket, changes *[]Change) ([]orderbot.Ticket, error) {
	cs := make([]store.Cleared, len(cleared))
	for i, t := range cleared {
		cs[i] = store.Cleared{Fingerprint: t.Fingerprint, LastSeen: t.LastSeenAt, Flapping: t.Flapping}
	}
	verdicts, err := e.life.Clearing(ctx, g, e.now(), cs)
	if err != nil {
		return nil, fmt.Errorf("tickets: flap guard: %w", err)
	}
	var resolve []orderbot.Ticket
	for i, t := range cleared {
		switch verdicts[i] {
		case store.ClearResolve:
			resolve = append(resolve, t)
			continue
		case store.ClearFlap:
			why := fmt.Sprintf("the condition cleared and came back %d times within %s; the ticket stays open until someone resolves it or the condition stays clear for %s",
				g.ChurnLimit, humanDuration(g.ChurnWindow), humanDuration(g.ChurnWindow))
			nt, ch, err := e.life.MarkFlapping(ctx, t.ID, why)
			if err != nil {
				return nil, fmt.Errorf("tickets: marking %s flapping: %w", t.ID, err)
			}
			if ch != "" {
				*changes = append(*changes, Change{Ticket: nt, Change: ch})
				continue
			}
		}
		*changes = append(*changes, Change{Ticket: t, Change: ChangeClearing})
	}
	return resolve, nil
}

// humanDuration writes a flap-guard window the way people say it: 24h, 90m.
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
