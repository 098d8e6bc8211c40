package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// daySource is a scorecard source with counts per local day (UTC).
type daySource struct {
	tickets map[string]map[string]map[orderbot.Kind]int64 // day -> member -> kind
	seen    map[string]map[string]int64                   // day -> member
}

func (d daySource) DimKindCounts(_ context.Context, dim string, since, until time.Time) (map[string]map[orderbot.Kind]int64, error) {
	out := map[string]map[orderbot.Kind]int64{}
	for t := since; t.Before(until); t = t.AddDate(0, 0, 1) {
		for m, ks := range d.tickets[t.Format("20060102")] {
			if (dim == store.DimChannel) != (m == "stripe") {
				continue
			}
			if out[m] == nil {
				out[m] = map[orderbot.Kind]int64{}
			}
			for k, n := range ks {
				out[m][k] += n
			}
		}
	}
	return out, nil
}

func (d daySource) SeenCounts(_ context.Context, dim string, since, until time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	for t := since; t.Before(until); t = t.AddDate(0, 0, 1) {
		for m, n := range d.seen[t.Format("20060102")] {
			if (dim == store.DimChannel) == (m == "stripe") {
				out[m] += n
			}
		}
	}
	return out, nil
}

// TestScorecardHandComputed checks the rates, baselines and verdicts against
// figures worked out by hand. Five weeks from Monday 2 June 2025; the run is
// on Monday 7 July, so "this week" is 30 June to 6 July.
//
//	dhl parcels 200 a week (the Monday of each week), stalls per week
//	  10, 12, 8, 10 then 30: rates 5 %, 6 %, 4 %, 5 %, 15 %;
//	  median of the four before (4, 5, 5, 6 %) = 5 %; 15 % > 2 × 5 %: degraded.
//	ups parcels 150 a week, exceptions 6, 9, 7, 8 then 11: rates 4, 6, 4.67,
//	  5.33, 7.33 %; median (4.67 + 5.33) / 2 = 5 %; 7.33 % ≤ 10 %: silent.
//	stripe payments 400 a week, 2 unrecorded a week, then 9: rate 2.25 %,
//	  baseline 0.5 %, floored at 1 / 100 = 1 %: 2.25 % > 2 %: degraded.
//	gls 60 parcels a week (< 100), 20 stalls this week: too few to judge.
func TestScorecardHandComputed(t *testing.T) {
	start := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	src := daySource{tickets: map[string]map[string]map[orderbot.Kind]int64{}, seen: map[string]map[string]int64{}}
	put := func(week int, member string, kind orderbot.Kind, tickets, seen int64) {
		day := start.AddDate(0, 0, 7*week).Format("20060102")
		if src.tickets[day] == nil {
			src.tickets[day] = map[string]map[orderbot.Kind]int64{}
			src.seen[day] = map[string]int64{}
		}
		if src.tickets[day][member] == nil {
			src.tickets[day][member] = map[orderbot.Kind]int64{}
		}
		src.tickets[day][member][kind] += tickets
		src.seen[day][member] = seen
	}
	for w, n := range []int64{10, 12, 8, 10, 30} {
		put(w, "dhl", orderbot.ShippingStalled, n, 200)
	}
	for w, n := range []int64{6, 9, 7, 8, 11} {
		put(w, "ups", orderbot.ShippingException, n, 150)
	}
	for w, n := range []int64{2, 2, 2, 2, 9} {
		put(w, "stripe", orderbot.PaymentUnrecorded, n, 400)
	}
	for w, n := range []int64{1, 0, 2, 1, 20} {
		put(w, "gls", orderbot.ShippingStalled, n, 60)
	}
	scores, err := Scorecard(context.Background(), src, time.UTC, start.AddDate(0, 0, 35).Add(time.Hour), ScoreRule{Factor: 2, MinVolume: 100, Weeks: 4})
	if err != nil {
		t.Fatal(err)
	}
	find := func(member string, kind orderbot.Kind) Score {
		for _, s := range scores {
			if s.Member == member && s.Kind == kind {
				return s
			}
		}
		t.Fatalf("no score for %s %s", member, kind)
		return Score{}
	}
	near := func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }
	cases := []struct {
		member         string
		kind           orderbot.Kind
		rate, baseline float64
		degraded       bool
		history        bool
	}{
		{"dhl", orderbot.ShippingStalled, 0.15, 0.05, true, true},
		{"dhl", orderbot.ShippingException, 0, 0, false, true},
		{"ups", orderbot.ShippingException, 11.0 / 150, (7.0/150 + 8.0/150) / 2, false, true},
		{"stripe", orderbot.PaymentUnrecorded, 9.0 / 400, 2.0 / 400, true, true},
		{"gls", orderbot.ShippingStalled, 20.0 / 60, 0, false, false},
	}
	for _, c := range cases {
		s := find(c.member, c.kind)
		if !near(s.Rate(), c.rate) || !near(s.Baseline, c.baseline) || s.Degraded != c.degraded || s.History != c.history {
			t.Errorf("%s %s: rate %v baseline %v degraded %v history %v, want %v %v %v %v",
				c.member, c.kind, s.Rate(), s.Baseline, s.Degraded, s.History, c.rate, c.baseline, c.degraded, c.history)
		}
	}
	if s := find("dhl", orderbot.ShippingStalled); len(s.Past) != 4 || s.Past[0] != (WeekCount{10, 200}) || s.Past[3] != (WeekCount{10, 200}) {
		t.Errorf("dhl past weeks %+v", s.Past)
	}
	if s := find("dhl", orderbot.ShippingStalled); !s.Since.Equal(start.AddDate(0, 0, 28)) || !s.Until.Equal(start.AddDate(0, 0, 35)) {
		t.Errorf("dhl week %v–%v", s.Since, s.Until)
	}
}

// TestEvaluateRecovery: a rate back within half way to the threshold is
// recovered; between that and the threshold it is neither.
func TestEvaluateRecovery(t *testing.T) {
	past := []WeekCount{{5, 100}, {5, 100}, {5, 100}}
	rule := ScoreRule{Factor: 3, MinVolume: 100}
	for _, c := range []struct {
		tickets             int64
		degraded, recovered bool
	}{{16, true, false}, {15, false, false}, {11, false, false}, {10, false, true}, {5, false, true}} {
		_, _, d, r := Evaluate(WeekCount{c.tickets, 100}, past, rule)
		if d != c.degraded || r != c.recovered {
			t.Errorf("%d tickets: degraded %v recovered %v, want %v %v", c.tickets, d, r, c.degraded, c.recovered)
		}
	}
}
