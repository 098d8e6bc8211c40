package analytics

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Rollups is what the model reads: the store's rollups (*store.Store).
type Rollups interface {
	ReadRollup(ctx context.Context, since, until time.Time) (store.Rollup, error)
	TopDims(ctx context.Context, dim string, since, until time.Time, n int) ([]store.DimCount, error)
}

// Model answers the manager's questions from the rollups.
type Model struct {
	Rollups Rollups
	// Location is the business time zone: hours and weekdays are local.
	Location *time.Location
	// TopN is how many members each top list keeps; default 10.
	TopN int
	// Score is the courier and payment-channel scorecard's rule (Scores).
	Score ScoreRule
}

// Filter narrows the counted tickets; empty fields do not filter. Top lists
// and the hour and weekday figures are kept without department, kind or
// source, so a filter does not narrow them (Figures.Unfiltered says so).
type Filter struct {
	Department string
	Kind       orderbot.Kind
	Source     string
}

func (f Filter) empty() bool { return f == Filter{} }

func (f Filter) match(k store.RollupKey) bool {
	return (f.Department == "" || k.Dept == f.Department) && (f.Kind == "" || k.Kind == f.Kind) &&
		(f.Source == "" || k.Source == f.Source)
}

// Latency is a time-to-claim or time-to-resolve distribution: how many tickets
// got there and the median and 90th percentile. Percentiles come from fixed
// buckets at most 19 % wide and are the bucket's upper bound, so a p50 of 12m
// means half the tickets took less than 12 minutes.
type Latency struct {
	Count    int64
	P50, P90 time.Duration
	buckets  map[int]int64
}

func (l *Latency) add(bucket int, n int64) {
	if l.buckets == nil {
		l.buckets = map[int]int64{}
	}
	l.buckets[bucket] += n
	l.Count += n
}

// finish computes the percentiles by nearest rank over the buckets.
func (l *Latency) finish() {
	if l.Count == 0 {
		return
	}
	bs := make([]int, 0, len(l.buckets))
	for b := range l.buckets {
		bs = append(bs, b)
	}
	slices.Sort(bs)
	at := func(p int64) time.Duration {
		rank := max((p*l.Count+99)/100, 1) // ceil(p/100 · n)
		var seen int64
		for _, b := range bs {
			seen += l.buckets[b]
			if seen >= rank {
				return store.LatencyBucketBound(b)
			}
		}
		return store.LatencyBucketBound(bs[len(bs)-1])
	}
	l.P50, l.P90 = at(50), at(90)
}

// Count is one named count of a breakdown.
type Count struct {
	Name  string
	Count int64
}

// Group is one department's or kind's figures.
type Group struct {
	Name             string
	Opened, Breached int64
	ResolvedStaff    int64
	ResolvedAuto     int64
	Claim, Resolve   Latency
}

// BreachRate is the share of opened tickets that missed a target, 0 to 1.
func (g Group) BreachRate() float64 { return rate(g.Breached, g.Opened) }

func rate(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Figures are the figures of one span.
type Figures struct {
	Since, Until  time.Time
	Opened        int64
	Reopened      int64
	Claimed       int64
	ResolvedStaff int64
	ResolvedAuto  int64
	// Breached counts tickets that missed an ack or resolve target in the span
	// (each ticket once, when it first missed one).
	Breached      int64
	Claim         Latency
	Resolve       Latency
	NoticesSent   int64
	NoticesFailed int64
	// AtRisk is the money at stake on tickets opened in the span, Recovered on
	// tickets resolved in it, one amount per currency, largest first.
	AtRisk, Recovered []orderbot.Money
	ByKind            []Group // most opened first
	ByDept            []Group
	ByStage           []Count // in life order
	BySource          []Count // most first
	// ByHour and ByWeekday count opened tickets per local hour of day and per
	// weekday (0 = Monday).
	ByHour    [24]int64
	ByWeekday [7]int64
	// Top lists per dimension (store.DimSKU, ...), most first.
	Top map[string][]Count
	// Unfiltered says a filter was asked for that the top lists and the
	// hour and weekday figures do not support.
	Unfiltered bool
}

// Resolved is every resolution, staff and automatic.
func (f *Figures) Resolved() int64 { return f.ResolvedStaff + f.ResolvedAuto }

// BreachRate is Breached over Opened, 0 to 1.
func (f *Figures) BreachRate() float64 { return rate(f.Breached, f.Opened) }

// Report is a period's figures and the previous period's.
type Report struct {
	Period   Period
	Filter   Filter
	Current  Figures
	Previous Figures
}

// Change is the relative change of a figure against the previous period, for
// display: "+12%", "−5%", "new" (nothing before) or "" (nothing either time).
func Change(cur, prev int64) string {
	switch {
	case prev == 0 && cur == 0:
		return ""
	case prev == 0:
		return "new"
	}
	pct := (cur - prev) * 100 / prev
	if pct >= 0 {
		return "+" + strconv.FormatInt(pct, 10) + "%"
	}
	return "−" + strconv.FormatInt(-pct, 10) + "%"
}

// Dimensions are the top-list dimensions in display order.
var Dimensions = []string{store.DimSKU, store.DimCourier, store.DimChannel, store.DimRegion}

// Report reads the figures of p and of the period before it.
func (m *Model) Report(ctx context.Context, p Period, f Filter) (Report, error) {
	cur, err := m.figures(ctx, p.Since, p.Until, f, true)
	if err != nil {
		return Report{}, err
	}
	// The previous period's top lists are not shown; skipping them halves
	// the cost of a report.
	prev, err := m.figures(ctx, p.PrevSince, p.PrevUntil, f, false)
	if err != nil {
		return Report{}, err
	}
	return Report{Period: p, Filter: f, Current: cur, Previous: prev}, nil
}

// Figures reads the figures of [since, until) for the tickets f selects.
func (m *Model) Figures(ctx context.Context, since, until time.Time, f Filter) (Figures, error) {
	return m.figures(ctx, since, until, f, true)
}

func (m *Model) figures(ctx context.Context, since, until time.Time, f Filter, tops bool) (Figures, error) {
	out := Figures{Since: since, Until: until, Top: map[string][]Count{}, Unfiltered: !f.empty()}
	if !since.Before(until) {
		return out, nil
	}
	r, err := m.Rollups.ReadRollup(ctx, since, until)
	if err != nil {
		return out, err
	}
	kinds, depts := map[string]*Group{}, map[string]*Group{}
	group := func(m map[string]*Group, name string) *Group {
		g := m[name]
		if g == nil {
			g = &Group{Name: name}
			m[name] = g
		}
		return g
	}
	stages := map[orderbot.Stage]int64{}
	sources := map[string]int64{}
	atRisk, recovered := map[string]int64{}, map[string]int64{}
	for k, n := range r.Counters {
		if !f.match(k) {
			continue
		}
		kg, dg := group(kinds, string(k.Kind)), group(depts, k.Dept)
		switch k.Metric {
		case store.MetricOpened:
			out.Opened += n
			kg.Opened += n
			dg.Opened += n
			stages[k.Kind.Stage()] += n
			sources[k.Source] += n
		case store.MetricReopened:
			out.Reopened += n
		case store.MetricClaimed:
			out.Claimed += n
		case store.MetricResolved:
			out.ResolvedStaff += n
			kg.ResolvedStaff += n
			dg.ResolvedStaff += n
		case store.MetricAutoResolved:
			out.ResolvedAuto += n
			kg.ResolvedAuto += n
			dg.ResolvedAuto += n
		case store.MetricBreached:
			out.Breached += n
			kg.Breached += n
			dg.Breached += n
		case store.MetricClaimTime, store.MetricResolveTime:
			b, err := strconv.Atoi(k.Extra)
			if err != nil {
				continue
			}
			if k.Metric == store.MetricClaimTime {
				out.Claim.add(b, n)
				kg.Claim.add(b, n)
				dg.Claim.add(b, n)
			} else {
				out.Resolve.add(b, n)
				kg.Resolve.add(b, n)
				dg.Resolve.add(b, n)
			}
		case store.MetricAtRisk:
			atRisk[k.Extra] += n
		case store.MetricRecovered:
			recovered[k.Extra] += n
		case store.MetricNoticeSent:
			out.NoticesSent += n
		case store.MetricNoticeFailed:
			out.NoticesFailed += n
		}
	}
	out.Claim.finish()
	out.Resolve.finish()
	out.ByKind, out.ByDept = groups(kinds), groups(depts)
	for _, s := range orderbot.Stages() {
		out.ByStage = append(out.ByStage, Count{Name: string(s), Count: stages[s]})
	}
	out.BySource = counts(sources)
	out.AtRisk, out.Recovered = money(atRisk), money(recovered)
	for how, n := range r.HourOfWeek {
		out.ByHour[how%24] += n
		out.ByWeekday[how/24] += n
	}
	topN := m.TopN
	if topN <= 0 {
		topN = 10
	}
	for _, dim := range Dimensions {
		if !tops {
			break
		}
		top, err := m.Rollups.TopDims(ctx, dim, since, until, topN)
		if err != nil {
			return out, err
		}
		for _, t := range top {
			out.Top[dim] = append(out.Top[dim], Count{Name: t.Name, Count: t.Count})
		}
	}
	return out, nil
}

// groups finishes and orders groups: most opened first, then by name; groups
// with nothing in the span (a counter of another filter) are left out.
func groups(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		g.Claim.finish()
		g.Resolve.finish()
		if g.Opened == 0 && g.ResolvedStaff == 0 && g.ResolvedAuto == 0 && g.Breached == 0 && g.Claim.Count == 0 {
			continue
		}
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.Opened != b.Opened {
			return int(b.Opened - a.Opened)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func counts(m map[string]int64) []Count {
	out := make([]Count, 0, len(m))
	for name, n := range m {
		if n != 0 {
			out = append(out, Count{Name: name, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func money(m map[string]int64) []orderbot.Money {
	out := make([]orderbot.Money, 0, len(m))
	for cur, n := range m {
		if n != 0 {
			out = append(out, orderbot.Money{Minor: n, Currency: cur})
		}
	}
	slices.SortFunc(out, func(a, b orderbot.Money) int {
		if a.Minor != b.Minor {
			if a.Minor > b.Minor {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out
}
