package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// ScorecardPoster posts a scorecard alert (bot.Bot).
type ScorecardPoster interface {
	PostScorecard(ctx context.Context, channel string, s analytics.Score) error
}

// ScorecardWatch is the courier and payment-channel scorecard alert: it
// computes the scorecard (analytics.Scorecard) and posts each degraded rate
// once per degradation across replicas. The mark of a posted degradation stays
// while the rate stays high, so a degradation lasting weeks is posted once;
// it is cleared when the rate is back near its usual level, so the next
// degradation is posted again.
type ScorecardWatch struct {
	Store    *store.Store
	Poster   ScorecardPoster
	Channel  string
	Rule     analytics.ScoreRule
	Location *time.Location
	Holder   string
	Now      func() time.Time
	Log      *slog.Logger
}

// Run checks the scorecard and returns how many alerts this call posted.
func (w *ScorecardWatch) Run(ctx context.Context) (int, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	scores, err := analytics.Scorecard(ctx, w.Store, w.Location, now(), w.Rule)
	if err != nil {
		return 0, err
	}
	weeks := w.Rule.Weeks
	if weeks <= 0 {
		weeks = 4
	}
	// Longer than a degradation can last: by then the raised rate is the
	// baseline.
	keep := time.Duration(weeks+2) * 7 * 24 * time.Hour
	posted := 0
	for _, s := range scores {
		name := fmt.Sprintf("scorecard:%s:%s:%s", s.Dim, s.Kind, s.Member)
		switch {
		case s.Degraded:
			ok, err := postOnce(ctx, w.Store, name, w.Holder, 5*time.Minute, keep, func(ctx context.Context) error {
				return w.Poster.PostScorecard(ctx, w.Channel, s)
			})
			if err != nil {
				return posted, fmt.Errorf("scorecard: %w", err)
			}
			if ok {
				posted++
				if w.Log != nil {
					w.Log.Info("scorecard alert posted", "dim", s.Dim, "member", s.Member, "kind", string(s.Kind),
						"rate", s.Rate(), "baseline", s.Baseline)
				}
			}
		case s.Recovered:
			if err := w.Store.UnmarkPosted(ctx, name); err != nil {
				return posted, fmt.Errorf("scorecard: %w", err)
			}
		}
	}
	return posted, nil
}

// countSeen adds the cycle's parcels per courier and payments per channel to
// the scorecard's denominators: one round trip for the cycle. Payments count
// when they took or hold money (succeeded, authorised): those are the ones
// whose callback the shop can lose.
func countSeen(ctx context.Context, st *store.Store, now time.Time, shipments []orderbot.Shipment, payments []orderbot.Payment) error {
	parcels := map[string][]string{}
	for i := range shipments {
		sh := &shipments[i]
		parcels[sh.Carrier] = append(parcels[sh.Carrier], sh.TrackingNumber)
	}
	if err := st.CountSeen(ctx, store.DimCourier, now, parcels); err != nil {
		return err
	}
	paid := map[string][]string{}
	for i := range payments {
		p := &payments[i]
		if p.Status == orderbot.PaymentSucceeded || p.Status == orderbot.PaymentAuthorized {
			paid[p.Provider] = append(paid[p.Provider], p.ID)
		}
	}
	return st.CountSeen(ctx, store.DimChannel, now, paid)
}
