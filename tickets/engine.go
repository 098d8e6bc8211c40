package tickets

import (
	"context"
	"fmt"
	"sort"
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
	st       *store.Store
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
	return &Engine{st: st, settings: opts.Settings, reopen: opts.ReopenWindow, now: opts.Now}
}

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
	resolved, err := e.autoResolve(ctx, res)
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
		rs, err := e.st.UpsertTickets(ctx, ups)
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
	u := store.Upsert{Anomaly: a, ReopenWithin: e.reopen}
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

// autoResolve closes active tickets whose condition res shows cleared.
func (e *Engine) autoResolve(ctx context.Context, res *detect.Result) ([]Change, error) {
	found := make(map[string]struct{}, len(res.Anomalies))
	for i := range res.Anomalies {
		found[res.Anomalies[i].Fingerprint()] = struct{}{}
	}
	kinds := make([]orderbot.Kind, 0, len(e.settings))
	for k, ks := range e.settings {
		if spec, ok := orderbot.Spec(k); ok && !spec.Manual && ks.Enabled {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	var changes []Change
	for _, k := range kinds {
		open, err := e.st.OpenTicketsOfKind(ctx, k)
		if err != nil {
			return changes, fmt.Errorf("tickets: listing open %s tickets: %w", k, err)
		}
		for _, t := range open {
			if _, still := found[t.Fingerprint]; still || !res.WasEvaluated(k, t.Subject) {
				continue
			}
			now := e.now()
			nt, ch, err := e.st.Transition(ctx, t.ID, store.Transition{
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
