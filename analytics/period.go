package analytics

import (
	"fmt"
	"strings"
	"time"
)

// Period is a named span of time and the span it is compared with.
type Period struct {
	Name         string // today, 7d, 30d, week, month
	Since, Until time.Time
	// PrevSince and PrevUntil are the span before, of the same length and
	// (for calendar periods) the same point in the day, week or month, so a
	// period that is still running is compared with the same share of the last.
	PrevSince, PrevUntil time.Time
}

// PeriodNames lists the periods ParsePeriod accepts.
var PeriodNames = []string{"today", "7d", "30d", "week", "month"}

// ParsePeriod returns the named period ending at now (what happened at now
// included): today (since local midnight), 7d and 30d (rolling), week (since
// Monday 00:00 local) and month (since the 1st, 00:00 local).
func ParsePeriod(name string, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	end := now.Add(time.Nanosecond)
	l := now.In(loc)
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	p := Period{Name: strings.ToLower(name), Until: end}
	switch p.Name {
	case "today":
		p.Since = midnight
		p.PrevSince, p.PrevUntil = midnight.AddDate(0, 0, -1), end.AddDate(0, 0, -1)
	case "7d", "30d":
		days := 7
		if p.Name == "30d" {
			days = 30
		}
		p.Since = now.Add(-time.Duration(days) * 24 * time.Hour)
		p.PrevSince, p.PrevUntil = p.Since.Add(-time.Duration(days)*24*time.Hour), p.Since
	case "week":
		p.Since = midnight.AddDate(0, 0, -((int(l.Weekday()) + 6) % 7))
		p.PrevSince, p.PrevUntil = p.Since.AddDate(0, 0, -7), end.AddDate(0, 0, -7)
	case "month":
		p.Since = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
		p.PrevSince = p.Since.AddDate(0, -1, 0)
		// The same elapsed share of last month, clamped to its end (31 March
		// compares with all of February).
		p.PrevUntil = p.PrevSince.Add(end.Sub(p.Since))
		if p.PrevUntil.After(p.Since) {
			p.PrevUntil = p.Since
		}
	default:
		return Period{}, fmt.Errorf("unknown period %q: use %s", name, strings.Join(PeriodNames, ", "))
	}
	return p, nil
}

// Span returns a period over [since, until) compared with the span of the same
// length before it (the dashboard's custom range, the digest's day).
func Span(name string, since, until time.Time) Period {
	d := until.Sub(since)
	return Period{Name: name, Since: since, Until: until, PrevSince: since.Add(-d), PrevUntil: since}
}
