package analytics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// weeklyCycle is a shop's usual hourly count of stalled parcels: busy
// weekday hours, quieter evenings, near silence at night, half on weekends,
// with ±30 % noise.
func weeklyCycle(rng *rand.Rand, t time.Time) int64 {
	var base float64
	switch h := t.Hour(); {
	case h >= 9 && h < 18:
		base = 25
	case h >= 18 && h < 23:
		base = 10
	default:
		base = 2
	}
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		base /= 2
	}
	return int64(base * (0.7 + 0.6*rng.Float64()))
}

// TestSpikesSilentOverANormalCycleAndFireOnASpike simulates four weeks of a
// normal weekly cycle hour by hour from the first hour of history, asking for
// spikes every hour as the job does: none fires. Then one hour of the fifth
// week carries four times its usual count, and exactly that hour fires.
func TestSpikesSilentOverANormalCycleAndFireOnASpike(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC) // a Monday
	first := start.Unix() / 3600
	hourly := map[int64]map[orderbot.Kind]int64{}
	rule := SpikeRule{Factor: 3, MinCount: 10}
	for h := first; h < first+4*hourWeek; h++ {
		hourly[h] = map[orderbot.Kind]int64{orderbot.ShippingStalled: weeklyCycle(rng, time.Unix(h*3600, 0).UTC())}
		if s := Spikes(hourly, h, first, rule); len(s) > 0 {
			t.Fatalf("spike in a normal week at %s: %+v", time.Unix(h*3600, 0).UTC(), s)
		}
	}
	var fired []Spike
	spikeAt := first + 4*hourWeek + 24 + 14 // Tuesday 14:00 of week five
	for h := first + 4*hourWeek; h < first+5*hourWeek; h++ {
		n := weeklyCycle(rng, time.Unix(h*3600, 0).UTC())
		if h == spikeAt {
			n = 4 * 25
		}
		hourly[h] = map[orderbot.Kind]int64{orderbot.ShippingStalled: n}
		fired = append(fired, Spikes(hourly, h, first, rule)...)
	}
	if len(fired) != 1 || fired[0].Hour != spikeAt || fired[0].Kind != orderbot.ShippingStalled || !fired[0].Weekly {
		t.Fatalf("fired %+v, want one weekly-baseline spike at hour %d", fired, spikeAt)
	}
	if fired[0].Baseline < 15 || fired[0].Baseline > 35 {
		t.Errorf("baseline %.1f, want about the usual 25", fired[0].Baseline)
	}
}

// TestSpikeWhileHistoryIsShort fires on a spike in the second day, against the
// smoothed level, and never in the first day.
func TestSpikeWhileHistoryIsShort(t *testing.T) {
	first := int64(480000)
	counts := map[int64]map[orderbot.Kind]int64{}
	for h := first; h < first+30; h++ {
		counts[h] = map[orderbot.Kind]int64{orderbot.PaymentUnrecorded: 3}
	}
	counts[first+5][orderbot.PaymentUnrecorded] = 50
	if s := Spikes(counts, first+5, first, SpikeRule{}); len(s) != 0 {
		t.Errorf("spike with five hours of history: %+v", s)
	}
	counts[first+28][orderbot.PaymentUnrecorded] = 40
	s := Spikes(counts, first+28, first, SpikeRule{})
	if len(s) != 1 || s[0].Weekly {
		t.Fatalf("spikes %+v, want one against the smoothed level", s)
	}
}
