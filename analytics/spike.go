package analytics

import (
	"math"
	"slices"
	"strings"

	"github.com/orderbot/orderbot"
)

// SpikeRule says when an hour's count of a kind is a spike: at least MinCount
// tickets and more than Factor times the kind's usual level for that hour of
// the week.
type SpikeRule struct {
	Factor   float64 // default 3
	MinCount int64   // default 10
	// Weeks is how many past weeks the usual level looks at; default 4.
	Weeks int
}

func (r SpikeRule) withDefaults() SpikeRule {
	if r.Factor <= 0 {
		r.Factor = 3
	}
	if r.MinCount <= 0 {
		r.MinCount = 10
	}
	if r.Weeks <= 0 {
		r.Weeks = 4
	}
	return r
}

// Spike is one kind's, SKU's or courier's spike in one hour.
type Spike struct {
	// Kind is the kind of a kind's spike; empty for a SKU's or courier's.
	Kind orderbot.Kind
	// Dim (store.DimSKU, store.DimCourier) and Member name a SKU's or
	// courier's spike; both empty for a kind's.
	Dim, Member string
	Hour        int64 // unix hour
	Count       int64
	Baseline    float64
	// Weekly says the baseline is the median of the same hour of the week
	// over past weeks; false while history is shorter than two weeks, when it
	// is the average hour over the week before.
	Weekly bool
}

// hourWeek is the number of hours in a week.
const hourWeek = 168

// Baseline is the usual count of a kind at hour: the median of the counts at
// the same hour of the week over the last rule.Weeks weeks that have history
// (robust to the weekly cycle, and to one odd week). With fewer than two such
// weeks it falls back to a smoothed level: the mean hourly count over the week
// before hour (or as much of it as there is), or the same hour the day before
// when that is higher, so the daily cycle's busy hours are not spikes while
// history is short. With less than a day of history there is no level yet
// (+Inf: nothing is a spike). counts maps unix hour to count; first is the
// first hour with history.
func Baseline(counts map[int64]int64, hour, first int64, rule SpikeRule) (level float64, weekly bool) {
	rule = rule.withDefaults()
	var same []int64
	for w := 1; w <= rule.Weeks; w++ {
		h := hour - int64(w)*hourWeek
		if h < first {
			break
		}
		same = append(same, counts[h])
	}
	if len(same) >= 2 {
		slices.Sort(same)
		n := len(same)
		if n%2 == 1 {
			return float64(same[n/2]), true
		}
		return float64(same[n/2-1]+same[n/2]) / 2, true
	}
	if hour-first < 24 {
		return math.Inf(1), false
	}
	from := max(first, hour-hourWeek)
	var sum int64
	for h := from; h < hour; h++ {
		sum += counts[h]
	}
	return max(float64(sum)/float64(hour-from), float64(counts[hour-24])), false
}

// Spikes returns the kinds whose count at hour is a spike. hourly maps unix
// hour to the opened tickets per kind (store.HourlyCounts); first is the first
// hour with history.
func Spikes(hourly map[int64]map[orderbot.Kind]int64, hour, first int64, rule SpikeRule) []Spike {
	kinds := map[string]map[int64]int64{}
	for h, m := range hourly {
		for k, n := range m {
			if kinds[string(k)] == nil {
				kinds[string(k)] = map[int64]int64{}
			}
			kinds[string(k)][h] += n
		}
	}
	return spikes(kinds, hour, first, rule, func(s *Spike, name string) { s.Kind = orderbot.Kind(name) })
}

// DimSpikes returns the members of dim (store.DimSKU, store.DimCourier)
// whose count at hour is a spike, by the same rule and baseline as Spikes.
// counts maps member to unix hour to opened tickets (store.DimHourCounts);
// first is the first hour with history of the dimension.
func DimSpikes(dim string, counts map[string]map[int64]int64, hour, first int64, rule SpikeRule) []Spike {
	return spikes(counts, hour, first, rule, func(s *Spike, name string) { s.Dim, s.Member = dim, name })
}

// spikes judges every series at hour; name fills in what a spike is of.
func spikes(series map[string]map[int64]int64, hour, first int64, rule SpikeRule, name func(*Spike, string)) []Spike {
	rule = rule.withDefaults()
	var out []Spike
	for k, counts := range series {
		n := counts[hour]
		if n < rule.MinCount {
			continue
		}
		level, weekly := Baseline(counts, hour, first, rule)
		// A level below one ticket an hour counts as one, so a kind that is
		// usually silent needs MinCount and Factor tickets to spike.
		if float64(n) > rule.Factor*max(level, 1) {
			s := Spike{Hour: hour, Count: n, Baseline: level, Weekly: weekly}
			name(&s, k)
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Spike) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		if c := compareKinds(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Member, b.Member)
	})
	return out
}

func compareKinds(a, b orderbot.Kind) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
