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

// SpikePoster posts a spike alert with the spike's tickets (bot.Bot).
type SpikePoster interface {
	PostSpike(ctx context.Context, channel string, s analytics.Spike, tickets []orderbot.Ticket) error
}

// SpikeWatch is the spike alert job: after each hour it compares every kind's
// count of opened tickets in that hour with the kind's usual level for that
// hour of the week (analytics.Spikes) and posts each spike once across
// replicas (a lease per kind and hour, then a posted mark).
type SpikeWatch struct {
	Store   *store.Store
	Poster  SpikePoster
	Channel string
	Rule    analytics.SpikeRule
	Holder  string
	Now     func() time.Time
	Log     *slog.Logger
}

// spikeKeep is how long a posted spike is remembered: longer than the job can
// look back.
const spikeKeep = 3 * 24 * time.Hour

// Run checks the last complete hour and returns how many spikes this call
// posted.
func (w *SpikeWatch) Run(ctx context.Context) (int, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	weeks := w.Rule.Weeks
	if weeks <= 0 {
		weeks = 4
	}
	hour := now().Unix()/3600 - 1
	since := time.Unix((hour-int64(weeks)*168)*3600, 0)
	hourly, err := w.Store.HourlyCounts(ctx, since, time.Unix((hour+1)*3600, 0))
	if err != nil {
		return 0, fmt.Errorf("spikes: %w", err)
	}
	first := hour + 1
	for h, m := range hourly {
		for _, n := range m {
			if n > 0 && h < first {
				first = h
			}
		}
	}
	posted := 0
	for _, s := range analytics.Spikes(hourly, hour, first, w.Rule) {
		ok, err := w.postOnce(ctx, s)
		if err != nil {
			return posted, err
		}
		if ok {
			posted++
		}
	}
	return posted, nil
}

func (w *SpikeWatch) postOnce(ctx context.Context, s analytics.Spike) (bool, error) {
	name := fmt.Sprintf("spike:%s:%d", s.Kind, s.Hour)
	posted, err := postOnce(ctx, w.Store, name, w.Holder, 5*time.Minute, spikeKeep, func(ctx context.Context) error {
		// The spike's tickets: the newest of the kind, those opened in its hour.
		start, end := time.Unix(s.Hour*3600, 0), time.Unix((s.Hour+1)*3600, 0)
		all, err := w.Store.List(ctx, store.Filter{Kind: s.Kind, Limit: 500})
		if err != nil {
			return err
		}
		var tickets []orderbot.Ticket
		for _, t := range all {
			if !t.OpenedAt.Before(start) && t.OpenedAt.Before(end) {
				tickets = append(tickets, t)
			}
		}
		return w.Poster.PostSpike(ctx, w.Channel, s, tickets)
	})
	if err != nil {
		return posted, fmt.Errorf("spikes: %w", err)
	}
	if posted && w.Log != nil {
		w.Log.Info("spike alert posted", "kind", string(s.Kind), "count", s.Count, "baseline", s.Baseline)
	}
	return posted, nil
}
