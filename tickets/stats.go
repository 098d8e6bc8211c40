package tickets

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Stats reads the ticket figures of product.md §8 from the store: what opened
// in a window, by kind and department, how fast departments claimed and
// resolved, and how often they missed a target.
type Stats struct {
	Store *store.Store
	// MaxTickets bounds the resolved tickets read per question (newest first);
	// default 20,000.
	MaxTickets int
}

// DeptStats are one department's figures for the window.
type DeptStats struct {
	Department string
	Opened     int // tickets opened in the window
	Active     int // of those, still open, claimed or snoozed
	Resolved   int // of those, resolved
	// Breached counts tickets opened in the window that missed a target: an
	// escalation step ran, or they were resolved after their resolve target.
	Breached int
	// Claim and Resolve are times from opening to the first claim and to the
	// resolution, over the tickets that got there; zero when none did.
	ClaimP50, ClaimP90     time.Duration
	ResolveP50, ResolveP90 time.Duration
}

// KindCount is how many tickets of one kind opened in the window.
type KindCount struct {
	Kind  orderbot.Kind
	Count int
}

// Summary is the answer for one window.
type Summary struct {
	Since, Until time.Time
	Opened       int
	Active       int         // every active ticket now, whenever it opened
	Kinds        []KindCount // most first
	Departments  []DeptStats // most opened first
	// AtRisk is the money at stake on every active ticket now, per currency
	// (largest first), and OpenedAtRisk that of the tickets opened in the
	// window.
	AtRisk, OpenedAtRisk []orderbot.Money
	// Truncated says the resolved tickets were more than MaxTickets, so the
	// oldest of the window may be missing from the figures.
	Truncated bool
}

// Summarize computes the figures of tickets opened in [since, until).
func (s *Stats) Summarize(ctx context.Context, since, until time.Time) (Summary, error) {
	if !since.Before(until) {
		return Summary{}, orderbot.Errorf(orderbot.KindInvalid, "tickets.stats", "the window is empty")
	}
	limit := s.MaxTickets
	if limit <= 0 {
		limit = 20000
	}
	active, err := s.Store.List(ctx, store.Filter{})
	if err != nil {
		return Summary{}, err
	}
	resolved, err := s.Store.List(ctx, store.Filter{State: orderbot.StateResolved, Limit: limit})
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Since: since, Until: until, Active: len(active), Truncated: len(resolved) == limit}
	riskNow, riskOpened := map[string]int64{}, map[string]int64{}
	for _, t := range active {
		riskNow[t.AtRisk.Currency] += t.AtRisk.Minor
	}
	kinds := map[orderbot.Kind]int{}
	type acc struct {
		DeptStats
		claims, resolves []time.Duration
	}
	depts := map[string]*acc{}
	for _, t := range slices.Concat(active, resolved) {
		if t.OpenedAt.Before(since) || !t.OpenedAt.Before(until) {
			continue
		}
		sum.Opened++
		kinds[t.Kind]++
		riskOpened[t.AtRisk.Currency] += t.AtRisk.Minor
		d := depts[t.Department]
		if d == nil {
			d = &acc{DeptStats: DeptStats{Department: t.Department}}
			depts[t.Department] = d
		}
		d.Opened++
		if !t.ClaimedAt.IsZero() && !t.ClaimedAt.Before(t.OpenedAt) {
			d.claims = append(d.claims, t.ClaimedAt.Sub(t.OpenedAt))
		}
		breached := t.Escalation > 0
		if t.State == orderbot.StateResolved {
			d.Resolved++
			if r := t.Resolution; r != nil && !r.At.Before(t.OpenedAt) {
				d.resolves = append(d.resolves, r.At.Sub(t.OpenedAt))
				if !t.ResolveDue.IsZero() && r.At.After(t.ResolveDue) {
					breached = true
				}
			}
		} else {
			d.Active++
		}
		if breached {
			d.Breached++
		}
	}
	sum.AtRisk, sum.OpenedAtRisk = moneyList(riskNow), moneyList(riskOpened)
	for k, n := range kinds {
		sum.Kinds = append(sum.Kinds, KindCount{Kind: k, Count: n})
	}
	sort.Slice(sum.Kinds, func(i, j int) bool {
		if sum.Kinds[i].Count != sum.Kinds[j].Count {
			return sum.Kinds[i].Count > sum.Kinds[j].Count
		}
		return sum.Kinds[i].Kind < sum.Kinds[j].Kind
	})
	for _, d := range depts {
		d.ClaimP50, d.ClaimP90 = percentile(d.claims, 50), percentile(d.claims, 90)
		d.ResolveP50, d.ResolveP90 = percentile(d.resolves, 50), percentile(d.resolves, 90)
		sum.Departments = append(sum.Departments, d.DeptStats)
	}
	sort.Slice(sum.Departments, func(i, j int) bool {
		a, b := sum.Departments[i], sum.Departments[j]
		if a.Opened != b.Opened {
			return a.Opened > b.Opened
		}
		return a.Department < b.Department
	})
	return sum, nil
}

// percentile is the nearest-rank p-th percentile of ds; zero for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := (p*len(ds) + 99) / 100 // ceil(p/100 · n)
	return ds[max(rank, 1)-1]
}

// moneyList turns per-currency sums into amounts, largest first, dropping
// zeros.
func moneyList(m map[string]int64) []orderbot.Money {
	var out []orderbot.Money
	for cur, n := range m {
		if n != 0 && cur != "" {
			out = append(out, orderbot.Money{Minor: n, Currency: cur})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Minor != out[j].Minor {
			return out[i].Minor > out[j].Minor
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}
