package analytics

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot/store"
)

// TestOversellForecastWarnsBeforeTheOversell simulates a flash sale every five
// minutes: 8 units sell per look, the shop's stock sync has stalled (it shows
// 300 throughout), the ERP's available drops by its own channel's sales. The
// forecast must warn while the ERP still covers the open orders, and name a
// time before the oversell actually happens.
func TestOversellForecastWarnsBeforeTheOversell(t *testing.T) {
	start := time.Date(2025, 11, 11, 0, 0, 0, 0, time.UTC)
	var samples []store.StockSample
	var warnedAt time.Time
	var warned OversellForecast
	oversoldAt := time.Time{}
	for i := 0; i < 60; i++ {
		s := store.StockSample{At: start.Add(time.Duration(i) * 5 * time.Minute), Shop: 300, ERP: 200 - int64(i), Demand: 20 + 8*int64(i)}
		samples = append(samples, s)
		if len(samples) > 12 {
			samples = samples[1:]
		}
		if s.Demand > s.ERP && oversoldAt.IsZero() {
			oversoldAt = s.At
		}
		if f, ok := ForecastOversell("SKU-SALE", samples, 2*time.Hour, 10*time.Minute); ok && warnedAt.IsZero() {
			warnedAt, warned = s.At, f
		}
	}
	if oversoldAt.IsZero() {
		t.Fatal("the simulated sale never oversold")
	}
	if warnedAt.IsZero() || !warnedAt.Before(oversoldAt) {
		t.Fatalf("warned at %v, oversold at %v", warnedAt, oversoldAt)
	}
	if eta := warnedAt.Add(warned.In); eta.After(oversoldAt.Add(15*time.Minute)) || eta.Before(oversoldAt.Add(-15*time.Minute)) {
		t.Errorf("forecast %v, oversold at %v", eta, oversoldAt)
	}
	// A SKU that sells while shop and ERP agree, or whose demand is flat,
	// gets no forecast.
	var steady, flat []store.StockSample
	for i := 0; i < 12; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		steady = append(steady, store.StockSample{At: at, Shop: 200 - 8*int64(i), ERP: 200 - 8*int64(i), Demand: 20 + 8*int64(i)})
		flat = append(flat, store.StockSample{At: at, Shop: 300, ERP: 200 - int64(i), Demand: 150})
	}
	if f, ok := ForecastOversell("S", steady, 2*time.Hour, 10*time.Minute); ok {
		t.Errorf("steady SKU forecast %+v", f)
	}
	if f, ok := ForecastOversell("F", flat, 2*time.Hour, 10*time.Minute); ok {
		t.Errorf("flat demand forecast %+v", f)
	}
}
