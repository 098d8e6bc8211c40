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

// OversellPoster posts an oversell forecast (bot.Bot).
type OversellPoster interface {
	PostOversellForecast(ctx context.Context, channel string, f analytics.OversellForecast) error
}

// OversellWatch is the oversell forecast job: every run it samples each
// selling SKU (shop available, ERP available, open demand) from the store,
// keeps the last hour of samples, and warns once per SKU and local day when
// analytics.ForecastOversell expects the SKU to oversell within Horizon.
type OversellWatch struct {
	Store    *store.Store
	Poster   OversellPoster
	Channel  string
	Horizon  time.Duration // default 2h
	Location *time.Location
	Holder   string
	Now      func() time.Time
	Log      *slog.Logger
}

// Sampling: twelve looks (an hour at the 5-minute schedule serve uses), a
// rate only from looks at least ten minutes apart.
const (
	oversellSamples = 12
	oversellMinSpan = 10 * time.Minute
)

// Run samples and forecasts once; it returns how many warnings it posted.
func (w *OversellWatch) Run(ctx context.Context) (int, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	horizon := w.Horizon
	if horizon <= 0 {
		horizon = 2 * time.Hour
	}
	t := now()
	shop, err := w.Store.Stock(ctx, orderbot.SideShop)
	if err != nil {
		return 0, fmt.Errorf("oversell forecast: %w", err)
	}
	erp, err := w.Store.Stock(ctx, orderbot.SideERP)
	if err != nil {
		return 0, fmt.Errorf("oversell forecast: %w", err)
	}
	demand, err := w.Store.Demand(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("oversell forecast: %w", err)
	}
	samples := map[string]store.StockSample{}
	for sku, d := range demand {
		e, okE := erp[sku]
		s, okS := shop[sku]
		if d <= 0 || !okE || !okS {
			continue
		}
		samples[sku] = store.StockSample{At: t, Shop: s.Available, ERP: e.Available, Demand: d}
	}
	series, err := w.Store.AddStockSamples(ctx, samples, oversellSamples, 2*time.Hour)
	if err != nil {
		return 0, fmt.Errorf("oversell forecast: %w", err)
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	posted := 0
	for sku, list := range series {
		f, ok := analytics.ForecastOversell(sku, list, horizon, oversellMinSpan)
		if !ok {
			continue
		}
		name := "oversell:" + sku + ":" + t.In(loc).Format("2006-01-02")
		done, err := w.postOnce(ctx, name, f)
		if err != nil {
			return posted, err
		}
		if done {
			posted++
		}
	}
	return posted, nil
}

func (w *OversellWatch) postOnce(ctx context.Context, name string, f analytics.OversellForecast) (bool, error) {
	posted, err := postOnce(ctx, w.Store, name, w.Holder, 5*time.Minute, 2*24*time.Hour, func(ctx context.Context) error {
		return w.Poster.PostOversellForecast(ctx, w.Channel, f)
	})
	if err != nil {
		return posted, fmt.Errorf("oversell forecast: %w", err)
	}
	if posted && w.Log != nil {
		w.Log.Info("oversell forecast posted", "sku", f.SKU, "in", f.In.String())
	}
	return posted, nil
}
