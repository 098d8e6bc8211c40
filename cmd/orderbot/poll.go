package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/orderbot/orderbot/jobs"
)

// pollLine is one JSON line of `orderbot poll --once`. Type says which fields
// are set: "anomaly" (one per finding), "ticket" (one per ticket change) and
// "poll" (one per source, last, with its outcome).
type pollLine struct {
	Type        string         `json:"type"`
	Source      string         `json:"source,omitempty"`
	Kind        string         `json:"kind,omitempty"`
	Subject     string         `json:"subject,omitempty"`
	OrderID     *string        `json:"order_id,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"`
	Severity    string         `json:"severity,omitempty"`
	Department  string         `json:"department,omitempty"`
	Stage       string         `json:"stage,omitempty"`
	Summary     string         `json:"summary,omitempty"`
	Ticket      string         `json:"ticket,omitempty"`
	Change      string         `json:"change,omitempty"`
	State       string         `json:"state,omitempty"`
	OK          *bool          `json:"ok,omitempty"`
	Error       string         `json:"error,omitempty"`
	Fetched     map[string]int `json:"fetched,omitempty"`
	Evaluated   *int           `json:"evaluated,omitempty"`
	DurationMS  *int64         `json:"duration_ms,omitempty"`
}

func cmdPoll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("poll", "poll --once [--config FILE] [--source NAME]", `Runs one detection cycle of every enabled source (order sources first) or of one,
and prints one JSON line per anomaly, per ticket change and per source. Exit 1 when a
source failed. Needs a Redis (redis.url or REDIS_URL): tickets and cursors live there.`, stderr)
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	once := fs.Bool("once", false, "run one detection cycle and exit (required)")
	source := fs.String("source", "", "poll only this source (default: every enabled source, order sources first)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if !*once {
		return &exitError{code: 2, err: errors.New("poll: only --once is supported; `orderbot serve` polls on schedules")}
	}
	_, a, err := openApp(ctx, *cfgPath, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if len(a.poller.Sources) == 0 {
		return fmt.Errorf("poll: no enabled sources in %s", *cfgPath)
	}

	var reports []*jobs.Report
	if *source != "" {
		if _, ok := a.poller.Source(*source); !ok {
			return &exitError{code: 2, err: fmt.Errorf("poll: no enabled source named %q (enabled: %s)", *source, sourceNames(a.poller.Sources))}
		}
		r, _ := a.poller.Poll(ctx, *source)
		if r != nil {
			reports = append(reports, r)
		}
	} else {
		reports, _ = a.poller.PollAll(ctx)
	}
	failed := writePollReports(stdout, reports)
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("poll: %d source(s) failed", failed)}
	}
	return ctx.Err()
}

// writePollReports prints the JSON lines and returns how many sources failed.
func writePollReports(w io.Writer, reports []*jobs.Report) int {
	enc := json.NewEncoder(w)
	failed := 0
	for _, r := range reports {
		for i := range r.Anomalies {
			an := &r.Anomalies[i]
			oid := an.OrderID
			enc.Encode(pollLine{Type: "anomaly", Source: an.Source, Kind: string(an.Kind), Subject: an.Subject,
				OrderID: &oid, Fingerprint: an.Fingerprint(), Severity: string(an.Severity),
				Department: an.Department, Stage: an.Stage, Summary: an.Summary})
		}
		for _, c := range r.Changes {
			enc.Encode(pollLine{Type: "ticket", Ticket: c.Ticket.ID, Fingerprint: c.Ticket.Fingerprint,
				Change: string(c.Change), Kind: string(c.Ticket.Kind), Subject: c.Ticket.Subject, State: string(c.Ticket.State)})
		}
		ok := r.Err == nil
		ms := r.Duration.Milliseconds()
		ev := r.Evaluated
		line := pollLine{Type: "poll", Source: r.Source, OK: &ok, Fetched: r.Fetched, Evaluated: &ev, DurationMS: &ms}
		if !ok {
			failed++
			line.Error = r.Err.Error()
		}
		enc.Encode(line)
	}
	return failed
}
