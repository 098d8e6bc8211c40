package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/orderbot/orderbot/config"
)

// Schedule is a parsed job schedule together with how its activations are named,
// so that replicas that fire the same activation a few milliseconds apart agree
// on which tick it is.
type Schedule struct {
	cron.Schedule
	// Granularity is the resolution of activation times: the @every interval, one
	// second for six-field specs, one minute otherwise.
	Granularity time.Duration
	// Interval is a typical time between activations, used to size tick claims.
	Interval time.Duration
}

// Tick names the activation that fired at now.
func (s Schedule) Tick(now time.Time) time.Time { return now.Truncate(s.Granularity) }

// alignedEvery fires every d, aligned to multiples of d since the zero time (so
// "@every 1m" fires on the minute on every replica). robfig's own @every counts
// from process start, so two replicas would fire at unrelated instants and could
// not agree on tick names.
type alignedEvery time.Duration

// Next returns the first multiple of d after t.
func (a alignedEvery) Next(t time.Time) time.Time {
	d := time.Duration(a)
	return t.Truncate(d).Add(d)
}

// ParseSchedule parses a cron spec or "@every <duration>". Validation (the
// accepted forms, the recovered robfig panic on bad TZ= specs, specs that never
// fire) is config.ParseSchedule's, so a spec config check accepts is exactly a
// spec the scheduler runs; this adds the wall-clock alignment of @every and the
// naming of ticks.
func ParseSchedule(spec string) (Schedule, error) {
	cs, err := config.ParseSchedule(spec)
	if err != nil {
		return Schedule{}, err
	}
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil { // config.ParseSchedule accepted it, so this cannot happen
			return Schedule{}, fmt.Errorf("schedule %q: %v", spec, err)
		}
		d = d.Truncate(time.Second)
		return Schedule{Schedule: alignedEvery(d), Granularity: d, Interval: d}, nil
	}
	g := time.Minute
	fields := strings.Fields(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		fields = fields[1:]
	}
	if len(fields) == 6 {
		g = time.Second
	}
	// Estimate the interval from two consecutive activations.
	t0 := cs.Next(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	iv := cs.Next(t0).Sub(t0)
	if iv <= 0 {
		iv = g
	}
	return Schedule{Schedule: cs, Granularity: g, Interval: iv}, nil
}
