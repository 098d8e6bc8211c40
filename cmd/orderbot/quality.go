package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store"
)

// cmdQuality runs the signal-quality measurement: the real adapters, poll
// cycle, detector and ticket engine with the default configuration, against
// the local provider fakes fed by a simulated shop over a simulated week, on
// a clock the run moves itself. Ground truth is what the simulation injected.
func cmdQuality(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quality", "quality [flags]", `Measures signal quality: the real adapters, poll cycle, detector and ticket engine
with the default configuration against simulated providers fed by a simulated shop,
over simulated days. Prints precision, recall and flaps per kind (see QUALITY.md).`, stderr)
	seed := fs.Int64("seed", 1, "seed of the simulated shop")
	days := fs.Int("days", 7, "simulated days to run")
	perDay := fs.Int("orders", 300, "orders a day")
	rate := fs.Float64("anomaly-rate", 0.03, "share of orders seeded with an anomaly")
	every := fs.Duration("poll-every", 10*time.Minute, "simulated time between poll cycles (every source polled once per cycle)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	q, err := runQuality(ctx, qualityRun{seed: *seed, days: *days, perDay: *perDay, rate: *rate, every: *every})
	if err != nil {
		return err
	}
	q.write(stdout)
	return nil
}

// qualityRun are the knobs of one measurement.
type qualityRun struct {
	seed   int64
	days   int
	perDay int
	rate   float64
	every  time.Duration
}

// kindQuality is one kind's figures.
type kindQuality struct {
	injected, found   int      // seeded subjects present in full before the end, and of those the ones ticketed
	tickets, falsePos int      // distinct subjects ticketed, and of those the ones not injected
	flaps             int      // reopenings after an auto-resolve, and auto-resolves within two polls of opening
	examples          []string // false positives and misses, a few
}

type qualityResult struct {
	run     qualityRun
	start   time.Time
	cycles  int
	orders  int
	kinds   map[orderbot.Kind]*kindQuality
	followN int // tickets that were follow-ons of unfixed seeds
}

func runQuality(ctx context.Context, r qualityRun) (*qualityResult, error) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	clock := &stepClock{t: start}
	providers := demo.StartProviders(clock.Now, simulatedSources()...)
	defer providers.Close()
	// The demo's configuration: defaults, with sources at the fakes. Nothing
	// posts to Slack or sends notices: only polls run.
	slack := demo.StartSlack()
	defer slack.Close()
	cfg, err := demoConfig(providers, slack, "")
	if err != nil {
		return nil, err
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, fmt.Errorf("quality: starting the embedded store: %w", err)
	}
	defer mr.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := buildApp(ctx, cfg, log, appOptions{redisURL: "redis://" + mr.Addr(), now: clock.Now})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	end := start.Add(time.Duration(r.days) * 24 * time.Hour)
	opts := simulate.Options{AnomalyRate: r.rate}
	providers.ShapeWorld(&opts)
	w := simulate.New(r.seed, opts)
	// A healthy history of two weeks, anomalies only during the measured week.
	feed := &demo.Feed{Timeline: w.NewTimeline(r.perDay, start, end, start), Providers: providers, Now: clock.Now, PerDay: r.perDay}

	// A source outage in the middle of the week: AfterShip answers 500 to the
	// next 24 requests (a poll tries 4 times), five polls in a row.
	afterShip, ok := providers.Source(aftership.DefaultName).(interface{ Inject(providerfake.Fault) })
	if !ok {
		return nil, fmt.Errorf("quality: the simulated AfterShip cannot inject faults")
	}
	outageAt := start.Add(end.Sub(start) / 2)
	outage := false

	type key struct {
		kind    orderbot.Kind
		subject string
	}
	res := &qualityResult{run: r, start: start, kinds: map[orderbot.Kind]*kindQuality{}}
	kq := func(k orderbot.Kind) *kindQuality {
		q, ok := res.kinds[k]
		if !ok {
			q = &kindQuality{}
			res.kinds[k] = q
		}
		return q
	}
	ticketed := map[key]string{}
	openedAt := map[string]time.Time{}
	autoResolved := map[string]bool{}
	for now := start; !now.After(end); now = now.Add(r.every) {
		clock.Set(now)
		if !outage && !now.Before(outageAt) {
			afterShip.Inject(providerfake.Fault{Kind: providerfake.ServerError, Times: 24})
			outage = true
		}
		if _, err := feed.Step(now); err != nil {
			return nil, err
		}
		reports, err := a.poller.PollAll(ctx)
		if err != nil && ctx.Err() != nil {
			return nil, err
		}
		res.cycles++
		for _, rep := range reports {
			for _, c := range rep.Changes {
				tk := c.Ticket
				switch c.Change {
				case store.ChangeOpened, store.ChangeReopened:
					if autoResolved[tk.ID] {
						kq(tk.Kind).flaps++
					}
					openedAt[tk.ID] = now
					ticketed[key{tk.Kind, tk.Subject}] = tk.Summary
				case store.ChangeAutoResolved:
					autoResolved[tk.ID] = true
					if now.Sub(openedAt[tk.ID]) <= 2*r.every {
						kq(tk.Kind).flaps++
					}
				}
			}
		}
	}
	res.orders = len(feed.Timeline.At(end).Orders)

	allowed := map[key]simulate.Expected{}
	required := map[key]simulate.Expected{}
	for _, e := range feed.Timeline.Expected() {
		k := key{e.Kind, e.Subject}
		if _, ok := allowed[k]; !ok || !e.FollowOn {
			allowed[k] = e
		}
		// Present in full at least two cycles before the end: time to be seen.
		if !e.FollowOn && e.From.Add(2*r.every).Before(end) {
			required[k] = e
		}
	}
	src := key{orderbot.SystemSourceDown, aftership.DefaultName}
	allowed[src] = simulate.Expected{Kind: src.kind, Subject: src.subject, Note: "outage"}
	required[src] = allowed[src]
	for k, summary := range ticketed {
		q := kq(k.kind)
		q.tickets++
		e, ok := allowed[k]
		switch {
		case !ok:
			q.falsePos++
			if len(q.examples) < 3 {
				q.examples = append(q.examples, "false: "+k.subject+": "+summary)
			}
		case e.FollowOn:
			res.followN++
		}
	}
	for k, e := range required {
		q := kq(k.kind)
		q.injected++
		if _, ok := ticketed[k]; ok {
			q.found++
		} else if len(q.examples) < 6 {
			q.examples = append(q.examples, "missed: "+k.subject+" ("+e.Note+")")
		}
	}
	for _, k := range detect.Detectable() {
		kq(k)
	}
	return res, nil
}

// stepClock is a clock moved by hand, for runs that step simulated time
// themselves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func pct(n, d int) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(d))
}

func (q *qualityResult) write(w io.Writer) {
	r := q.run
	fmt.Fprintf(w, "orderbot quality: seed %d, %d simulated days from %s, %d orders a day (%d orders in the shop), anomaly rate %g, a poll cycle every %s (%d cycles); default configuration\n\n",
		r.seed, r.days, q.start.Format(time.DateOnly), r.perDay, q.orders, r.rate, r.every, q.cycles)
	fmt.Fprintln(w, "| kind | injected | found | recall | tickets | false | precision | flaps |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	kinds := make([]string, 0, len(q.kinds))
	for k := range q.kinds {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var tot kindQuality
	var notes []string
	for _, k := range kinds {
		x := q.kinds[orderbot.Kind(k)]
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %d | %s | %d |\n", k, x.injected, x.found, pct(x.found, x.injected),
			x.tickets, x.falsePos, pct(x.tickets-x.falsePos, x.tickets), x.flaps)
		tot.injected += x.injected
		tot.found += x.found
		tot.tickets += x.tickets
		tot.falsePos += x.falsePos
		tot.flaps += x.flaps
		for _, e := range x.examples {
			notes = append(notes, k+" "+e)
		}
	}
	fmt.Fprintf(w, "| **all** | %d | %d | %s | %d | %d | %s | %d |\n", tot.injected, tot.found, pct(tot.found, tot.injected),
		tot.tickets, tot.falsePos, pct(tot.tickets-tot.falsePos, tot.tickets), tot.flaps)
	fmt.Fprintf(w, "\n%d tickets were follow-ons of seeds nobody fixed (counted as correct).\n", q.followN)
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, n := range notes {
			fmt.Fprintln(w, "- "+strings.ReplaceAll(n, "\n", " "))
		}
	}
}
