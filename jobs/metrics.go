package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Metrics are the Prometheus series of polls, detection and jobs. Labels are
// bounded (source names, kinds, outcomes): never an order or ticket id.
type Metrics struct {
	Polls         *prometheus.CounterVec   // source, outcome
	PollDuration  *prometheus.HistogramVec // source
	Records       *prometheus.CounterVec   // source, type
	Anomalies     *prometheus.CounterVec   // kind
	TicketChanges *prometheus.CounterVec   // kind, change
	JobRuns       *prometheus.CounterVec   // job, outcome
	SourceFailing *prometheus.GaugeVec     // source: consecutive failed polls
	// ClaimTime and ResolveTime are the time from open to a claim and to a
	// resolution; Breaches counts first escalation steps (a target missed).
	ClaimTime   *prometheus.HistogramVec // department
	ResolveTime *prometheus.HistogramVec // department, by (staff, auto)
	Breaches    *prometheus.CounterVec   // department, clock (ack, resolve)
}

// ticketTimeBuckets span a minute to a week: ack targets are minutes to
// hours, resolve targets hours to days.
var ticketTimeBuckets = []float64{60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800}

// NewMetrics creates the series and registers them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_polls_total", Help: "Poll cycles by source and outcome (ok, failed).",
		}, []string{"source", "outcome"}),
		PollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orderbot_poll_duration_seconds", Help: "Duration of a poll cycle from fetch to committed cursor.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"source"}),
		Records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_records_fetched_total", Help: "Records fetched from sources by type (orders, payments, stock, shipments).",
		}, []string{"source", "type"}),
		Anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_anomalies_total", Help: "Anomalies detected by kind (each detection, including recurrences).",
		}, []string{"kind"}),
		TicketChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_ticket_changes_total", Help: "Ticket changes made by the engine by kind and change.",
		}, []string{"kind", "change"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_job_runs_total", Help: "Scheduled job activations by job and outcome (ok, failed, panicked, skipped_*).",
		}, []string{"job", "outcome"}),
		SourceFailing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orderbot_source_consecutive_failures", Help: "Consecutive failed polls per source (0 when healthy).",
		}, []string{"source"}),
		ClaimTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orderbot_ticket_claim_seconds", Help: "Time from a ticket's open to its claim, by department.",
			Buckets: ticketTimeBuckets,
		}, []string{"department"}),
		ResolveTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orderbot_ticket_resolve_seconds", Help: "Time from a ticket's open to its resolution, by department and by (staff, auto).",
			Buckets: ticketTimeBuckets,
		}, []string{"department", "by"}),
		Breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_ticket_breaches_total", Help: "SLA targets missed (first escalation step of a chain), by department and clock.",
		}, []string{"department", "clock"}),
	}
	if reg != nil {
		reg.MustRegister(m.Polls, m.PollDuration, m.Records, m.Anomalies, m.TicketChanges, m.JobRuns, m.SourceFailing,
			m.ClaimTime, m.ResolveTime, m.Breaches)
	}
	return m
}

// ObserveTicket records a ticket change in the ticket-time histograms and the
// breach counter (store.Options.Observe). Each change is observed once, on the
// replica that made it, so the series sum correctly across replicas.
func (m *Metrics) ObserveTicket(t orderbot.Ticket, c store.Change, step int) {
	switch c {
	case store.ChangeClaimed:
		if !t.ClaimedAt.IsZero() && !t.ClaimedAt.Before(t.OpenedAt) {
			m.ClaimTime.WithLabelValues(t.Department).Observe(t.ClaimedAt.Sub(t.OpenedAt).Seconds())
		}
	case store.ChangeResolved, store.ChangeAutoResolved:
		if r := t.Resolution; r != nil && !r.At.Before(t.OpenedAt) {
			by := "staff"
			if r.Auto || c == store.ChangeAutoResolved {
				by = "auto"
			}
			m.ResolveTime.WithLabelValues(t.Department, by).Observe(r.At.Sub(t.OpenedAt).Seconds())
		}
	case store.ChangeAckBreach, store.ChangeResolveBreach:
		// A chain's first step is the breach itself; later steps escalate it.
		if step == 0 {
			clock := "ack"
			if c == store.ChangeResolveBreach {
				clock = "resolve"
			}
			m.Breaches.WithLabelValues(t.Department, clock).Inc()
		}
	}
}

// TicketCounter reports the number of tickets per state.
type TicketCounter interface {
	CountByState(ctx context.Context) (map[orderbot.TicketState]int64, error)
}

// TicketStateCollector exports orderbot_tickets{state} read from the store at
// scrape time, so every replica reports the same truth without bookkeeping.
type TicketStateCollector struct {
	Store TicketCounter
	desc  *prometheus.Desc
}

// NewTicketStateCollector returns a collector over st.
func NewTicketStateCollector(st TicketCounter) *TicketStateCollector {
	return &TicketStateCollector{Store: st, desc: prometheus.NewDesc(
		"orderbot_tickets", "Tickets by state, read from Redis at scrape time.", []string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *TicketStateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *TicketStateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.Store.CountByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, st := range []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed, orderbot.StateResolved} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// RecordMemoryReader estimates Redis memory per cached record.
type RecordMemoryReader interface {
	RecordMemory(ctx context.Context) (store.RecordMemory, error)
}

// RecordMemoryCollector exports orderbot_redis_bytes_per_record{record}: Redis
// memory per cached order, payment hash, parcel, contact index entry, watch
// list entry and demand contribution, estimated from a sample (see
// store.RecordMemory). The estimate is refreshed at most once a minute, so a
// scrape costs Redis a few dozen commands at most.
type RecordMemoryCollector struct {
	Store RecordMemoryReader
	Now   func() time.Time
	desc  *prometheus.Desc
	mu    sync.Mutex
	at    time.Time
	last  store.RecordMemory
	err   error
}

// NewRecordMemoryCollector returns a collector over st.
func NewRecordMemoryCollector(st RecordMemoryReader) *RecordMemoryCollector {
	return &RecordMemoryCollector{Store: st, Now: time.Now, desc: prometheus.NewDesc(
		"orderbot_redis_bytes_per_record", "Redis memory per cached record by record type, estimated from a sample (0 when none is cached).",
		[]string{"record"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *RecordMemoryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *RecordMemoryCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if now := c.Now(); c.at.IsZero() || now.Sub(c.at) >= time.Minute {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c.last, c.err = c.Store.RecordMemory(ctx)
		cancel()
		c.at = now
	}
	m, err := c.last, c.err
	c.mu.Unlock()
	if err != nil {
		// An estimate that could not be made (Redis busy, or a Redis-compatible
		// store without MEMORY USAGE, such as the demo's) is left out rather
		// than failing the whole scrape.
		return
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"order", m.Orders}, {"payments", m.Payments}, {"parcel", m.Parcels}, {"contact", m.Contacts}, {"watch", m.Watch}, {"demand", m.Demand}} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, r.v, r.name)
	}
}
