package analytics

import (
	"math"
	"time"

	"github.com/orderbot/orderbot/store"
)

// OversellForecast is a SKU heading for an oversell.
type OversellForecast struct {
	SKU string
	// Headroom is what the ERP can still cover (available − open demand).
	Headroom int64
	// Rate is how fast the headroom shrinks, units per hour: open demand's
	// growth plus the ERP's own decline.
	Rate float64
	// In is the estimated time until the open demand exceeds ERP stock.
	In time.Duration
	// Gap is the shop↔ERP difference now, and GapBefore at the first sample.
	Gap, GapBefore int64
}

// ForecastOversell looks at a SKU's samples (oldest first) and reports an
// oversell expected within horizon: the SKU sells (open demand grows), the
// shop's figure drifts away from the ERP's (their difference grows: the shop
// keeps selling stock the ERP does not confirm), and at the rate the headroom
// (ERP available − open demand) shrinks it reaches zero within horizon. It needs samples spanning at
// least minSpan, so that two close looks cannot fake a rate. A SKU already
// oversold is the detector's (inventory.oversold), not a forecast.
func ForecastOversell(sku string, samples []store.StockSample, horizon, minSpan time.Duration) (OversellForecast, bool) {
	if len(samples) < 3 {
		return OversellForecast{}, false
	}
	first, last := samples[0], samples[len(samples)-1]
	span := last.At.Sub(first.At)
	if span < minSpan || span <= 0 {
		return OversellForecast{}, false
	}
	f := OversellForecast{SKU: sku, Headroom: last.ERP - last.Demand, Gap: abs(last.Shop - last.ERP), GapBefore: abs(first.Shop - first.ERP)}
	if f.Headroom <= 0 || f.Gap <= f.GapBefore {
		return f, false
	}
	if last.Demand <= first.Demand {
		return f, false // not selling
	}
	// The rate is a least-squares slope of the headroom over time, so one
	// burst between two looks does not dominate.
	var sx, sy, sxx, sxy float64
	n := float64(len(samples))
	for _, s := range samples {
		x := s.At.Sub(first.At).Hours()
		y := float64(s.Demand - s.ERP)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return f, false
	}
	f.Rate = (n*sxy - sx*sy) / den
	if !(f.Rate > 0) || math.IsInf(f.Rate, 0) {
		return f, false
	}
	f.In = time.Duration(float64(f.Headroom) / f.Rate * float64(time.Hour))
	return f, f.In <= horizon
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
