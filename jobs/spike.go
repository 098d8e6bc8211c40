package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
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
// hour of the week (analytics.Spikes), and likewise every SKU's and courier's
// (analytics.DimSpikes), and posts each spike once across replicas (a lease
// per kind, SKU or courier and hour, then a posted mark).
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
	found := analytics.Spikes(hourly, hour, first, w.Rule)
	dims, err := w.dimSpikes(ctx, hour, weeks)
	if err != nil {
		return 0, fmt.Errorf("spikes: %w", err)
	}
	posted := 0
	for _, s := range append(found, dims...) {
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

// dimSpikes finds the SKUs and couriers whose count of opened tickets (of any
// kind) in hour is a spike. Only members with at least the rule's minimum in
// the hour are candidates, and only their counts at the hours the baseline
// reads are fetched: the same hour of each past week and the week before.
func (w *SpikeWatch) dimSpikes(ctx context.Context, hour int64, weeks int) ([]analytics.Spike, error) {
	first, ok, err := w.Store.DimHoursSince(ctx)
	if err != nil || !ok {
		return nil, err
	}
	minCount := w.Rule.MinCount
	if minCount <= 0 {
		minCount = 10
	}
	hours := []int64{hour}
	for wk := 1; wk <= weeks; wk++ {
		hours = append(hours, hour-int64(wk)*168)
	}
	for h := hour - 168; h < hour; h++ {
		if h != hour-168 {
			hours = append(hours, h)
		}
	}
	var out []analytics.Spike
	for _, dim := range []string{store.DimSKU, store.DimCourier} {
		cands, err := w.Store.DimHourAtLeast(ctx, dim, hour, minCount)
		if err != nil {
			return nil, err
		}
		if len(cands) == 0 {
			continue
		}
		counts, err := w.Store.DimHourCounts(ctx, dim, hours, cands)
		if err != nil {
			return nil, err
		}
		out = append(out, analytics.DimSpikes(dim, counts, hour, first, w.Rule)...)
	}
	return out, nil
}

// mentions reports whether a ticket names the member of a SKU's or courier's
// spike: a SKU as its subject or in its SKU or Items fact, a courier as the
// carrier of a Parcel fact ("dhl 1234...").
func mentions(t *orderbot.Ticket, dim, member string) bool {
	if dim == store.DimSKU && t.Subject == member {
		return true
	}
	for _, f := range t.Facts {
		switch {
		case dim == store.DimSKU && f.Label == "SKU" && f.Value == member:
			return true
		case dim == store.DimSKU && f.Label == "Items" && containsWord(f.Value, member):
			return true
		case dim == store.DimCourier && f.Label == "Parcel" && strings.HasPrefix(f.Value, member+" "):
			return true
		}
	}
	return false
}

// containsWord reports whether s holds w delimited by non-word characters.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !wordByte(s[j-1])) && (end == len(s) || !wordByte(s[end])) {
			return true
		}
		i = j + 1
	}
}

func wordByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func (w *SpikeWatch) postOnce(ctx context.Context, s analytics.Spike) (bool, error) {
	name := fmt.Sprintf("spike:%s:%d", s.Kind, s.Hour)
	if s.Member != "" {
		name = fmt.Sprintf("spike:%s:%s:%d", s.Dim, s.Member, s.Hour)
	}
	posted, err := postOnce(ctx, w.Store, name, w.Holder, 5*time.Minute, spikeKeep, func(ctx context.Context) error {
		// The spike's tickets: the newest of the kind (of every kind for a
		// SKU or courier, those naming it), those opened in its hour.
		start, end := time.Unix(s.Hour*3600, 0), time.Unix((s.Hour+1)*3600, 0)
		all, err := w.Store.List(ctx, store.Filter{Kind: s.Kind, Limit: 500})
		if err != nil {
			return err
		}
		var tickets []orderbot.Ticket
		for _, t := range all {
			if !t.OpenedAt.Before(start) && t.OpenedAt.Before(end) && (s.Member == "" || mentions(&t, s.Dim, s.Member)) {
				tickets = append(tickets, t)
			}
		}
		return w.Poster.PostSpike(ctx, w.Channel, s, tickets)
	})
	if err != nil {
		return posted, fmt.Errorf("spikes: %w", err)
	}
	if posted && w.Log != nil {
		w.Log.Info("spike alert posted", "kind", string(s.Kind), "dim", s.Dim, "member", s.Member, "count", s.Count, "baseline", s.Baseline)
	}
	return posted, nil
}
