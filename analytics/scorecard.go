package analytics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// ScoreSource is what the scorecard reads (*store.Store): tickets per member
// and kind, and records seen per member, over local days.
type ScoreSource interface {
	DimKindCounts(ctx context.Context, dim string, since, until time.Time) (map[string]map[orderbot.Kind]int64, error)
	SeenCounts(ctx context.Context, dim string, since, until time.Time) (map[string]int64, error)
}

// Measure is one scorecard rate: tickets of Kind per record of Dim seen.
type Measure struct {
	Dim  string // store.DimCourier (parcels) or store.DimChannel (payments)
	Kind orderbot.Kind
	Name string // "stall rate"
}

// Measures are the scorecard's rates: per courier the stall, overdue and
// exception rates (tickets per parcel handled), per payment channel the
// lost-callback rate (payments the shop never recorded per payment seen).
var Measures = []Measure{
	{store.DimCourier, orderbot.ShippingStalled, "stall rate"},
	{store.DimCourier, orderbot.ShippingOverdue, "overdue rate"},
	{store.DimCourier, orderbot.ShippingException, "exception rate"},
	{store.DimChannel, orderbot.PaymentUnrecorded, "lost-callback rate"},
}

// ScoreRule says when a rate has degraded: this week's volume is at least
// MinVolume, at least two of the Weeks weeks before had that volume too, and
// this week's rate is more than Factor times their median rate (a median
// below one ticket per MinVolume records counts as that, so a usually clean
// courier needs a few tickets, not one, to alert).
type ScoreRule struct {
	Factor    float64 // default 2
	MinVolume int64   // default 100
	Weeks     int     // default 4
}

func (r ScoreRule) withDefaults() ScoreRule {
	if r.Factor <= 1 {
		r.Factor = 2
	}
	if r.MinVolume <= 0 {
		r.MinVolume = 100
	}
	if r.Weeks <= 0 {
		r.Weeks = 4
	}
	return r
}

// WeekCount is one week's tickets of a measure and records seen.
type WeekCount struct {
	Tickets, Volume int64
}

// Rate is Tickets per Volume, 0 to 1 (0 with no volume).
func (w WeekCount) Rate() float64 { return rate(w.Tickets, w.Volume) }

// Score is one member's rate of one measure this week against its own
// history.
type Score struct {
	Measure
	Member string
	// Since and Until bound this week (seven local days).
	Since, Until time.Time
	Week         WeekCount
	// Past are the weeks before, newest first.
	Past []WeekCount
	// Baseline is the median rate of the past weeks with enough volume;
	// History says there were at least two such weeks.
	Baseline float64
	History  bool
	// Degraded says the rule's test passed: an alert.
	Degraded bool
	// Recovered says the rate is back near its usual level (at most half way
	// from Baseline to Factor × Baseline), so a later degradation is a new
	// one. Neither Degraded nor Recovered: keep the state as it is.
	Recovered bool
}

// Rate is this week's rate.
func (s Score) Rate() float64 { return s.Week.Rate() }

// Evaluate judges this week's count of a measure against the past weeks
// (newest first).
func Evaluate(week WeekCount, past []WeekCount, rule ScoreRule) (baseline float64, history, degraded, recovered bool) {
	rule = rule.withDefaults()
	var rates []float64
	for _, w := range past {
		if w.Volume >= rule.MinVolume {
			rates = append(rates, w.Rate())
		}
	}
	if len(rates) < 2 {
		return 0, false, false, false
	}
	slices.Sort(rates)
	n := len(rates)
	baseline = rates[n/2]
	if n%2 == 0 {
		baseline = (rates[n/2-1] + rates[n/2]) / 2
	}
	level := max(baseline, 1/float64(rule.MinVolume))
	if week.Volume < rule.MinVolume {
		return baseline, true, false, false
	}
	r := week.Rate()
	degraded = r > rule.Factor*level
	recovered = r <= (1+rule.Factor)/2*level
	return baseline, true, degraded, recovered
}

// Scorecard computes the scorecard for the week that ends at the start of
// the local day holding now (seven complete days), against the rule.Weeks
// weeks before it. Every member with records seen or tickets in any of those
// weeks gets a score per measure of its dimension; members are sorted by
// measure, then by this week's rate, highest first.
func Scorecard(ctx context.Context, src ScoreSource, loc *time.Location, now time.Time, rule ScoreRule) ([]Score, error) {
	rule = rule.withDefaults()
	if loc == nil {
		loc = time.UTC
	}
	l := now.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	type weekData struct {
		tickets map[string]map[orderbot.Kind]int64
		seen    map[string]int64
	}
	var out []Score
	for _, dim := range []string{store.DimCourier, store.DimChannel} {
		weeks := make([]weekData, rule.Weeks+1)
		members := map[string]bool{}
		for w := range weeks {
			until := end.AddDate(0, 0, -7*w)
			since := until.AddDate(0, 0, -7)
			t, err := src.DimKindCounts(ctx, dim, since, until)
			if err != nil {
				return nil, fmt.Errorf("scorecard: %w", err)
			}
			seen, err := src.SeenCounts(ctx, dim, since, until)
			if err != nil {
				return nil, fmt.Errorf("scorecard: %w", err)
			}
			weeks[w] = weekData{t, seen}
			for m := range seen {
				members[m] = true
			}
		}
		for _, ms := range Measures {
			if ms.Dim != dim {
				continue
			}
			for m := range members {
				count := func(w int) WeekCount {
					return WeekCount{Tickets: weeks[w].tickets[m][ms.Kind], Volume: weeks[w].seen[m]}
				}
				sc := Score{Measure: ms, Member: m, Since: end.AddDate(0, 0, -7), Until: end, Week: count(0)}
				for w := 1; w < len(weeks); w++ {
					sc.Past = append(sc.Past, count(w))
				}
				sc.Baseline, sc.History, sc.Degraded, sc.Recovered = Evaluate(sc.Week, sc.Past, rule)
				out = append(out, sc)
			}
		}
	}
	order := map[orderbot.Kind]int{}
	for i, ms := range Measures {
		order[ms.Kind] = i
	}
	slices.SortFunc(out, func(a, b Score) int {
		if a.Kind != b.Kind {
			return order[a.Kind] - order[b.Kind]
		}
		if ra, rb := a.Rate(), b.Rate(); ra != rb {
			if ra > rb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Member, b.Member)
	})
	return out, nil
}

// Scores is the scorecard (Scorecard) of the seven local days before the day
// holding now, by the model's ScoreRule, when its rollups keep the counts the
// scorecard needs (*store.Store does); nil otherwise.
func (m *Model) Scores(ctx context.Context, now time.Time) ([]Score, error) {
	src, ok := m.Rollups.(ScoreSource)
	if !ok {
		return nil, nil
	}
	return Scorecard(ctx, src, m.Location, now, m.Score)
}

// ScoreLine is one member's scores as one line of text: each rate with its
// usual level and a mark on a degraded one, then the week's volume, e.g.
// "stall rate 12.2% (usual 4.1%) ⚠, overdue rate 0.0% · 245 parcels".
func ScoreLine(scores []Score) string {
	var b strings.Builder
	var vol int64
	for i, s := range scores {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.1f%%", s.Name, 100*s.Rate())
		if s.History {
			fmt.Fprintf(&b, " (usual %.1f%%)", 100*s.Baseline)
		}
		if s.Degraded {
			b.WriteString(" ⚠")
		}
		vol = s.Week.Volume
	}
	what := "parcels"
	if len(scores) > 0 && scores[0].Dim == store.DimChannel {
		what = "payments"
	}
	fmt.Fprintf(&b, " · %d %s", vol, what)
	return b.String()
}

// ByMember groups the scores of dim by member, members in the order of
// their first score (highest rate of the first measure first).
func ByMember(scores []Score, dim string) (members []string, by map[string][]Score) {
	by = map[string][]Score{}
	for _, s := range scores {
		if s.Dim != dim {
			continue
		}
		if by[s.Member] == nil {
			members = append(members, s.Member)
		}
		by[s.Member] = append(by[s.Member], s)
	}
	for _, m := range members {
		slices.SortFunc(by[m], func(a, b Score) int { return measureIndex(a.Kind) - measureIndex(b.Kind) })
	}
	return members, by
}

func measureIndex(k orderbot.Kind) int {
	for i, ms := range Measures {
		if ms.Kind == k {
			return i
		}
	}
	return len(Measures)
}
