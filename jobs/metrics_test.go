package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// TestObserveTicket feeds a claim, a staff and an auto resolution and two
// escalation steps, and reads the series back: the breach counts once.
func TestObserveTicket(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	tk := orderbot.Ticket{Department: "finance", OpenedAt: t0, ClaimedAt: t0.Add(10 * time.Minute)}
	m.ObserveTicket(tk, store.ChangeClaimed, 0)
	tk.Resolution = &orderbot.Resolution{At: t0.Add(time.Hour)}
	m.ObserveTicket(tk, store.ChangeResolved, 0)
	tk.Resolution = &orderbot.Resolution{At: t0.Add(2 * time.Hour), Auto: true}
	m.ObserveTicket(tk, store.ChangeAutoResolved, 0)
	m.ObserveTicket(tk, store.ChangeAckBreach, 0)
	m.ObserveTicket(tk, store.ChangeAckBreach, 1)
	want := `
# HELP orderbot_ticket_breaches_total SLA targets missed (first escalation step of a chain), by department and clock.
# TYPE orderbot_ticket_breaches_total counter
orderbot_ticket_breaches_total{clock="ack",department="finance"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "orderbot_ticket_breaches_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.ResolveTime); n != 2 {
		t.Errorf("resolve series %d, want staff and auto", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "orderbot_ticket_claim_seconds" {
			h := mf.GetMetric()[0].GetHistogram()
			if h.GetSampleCount() != 1 || h.GetSampleSum() != 600 {
				t.Errorf("claim histogram: %d samples, sum %v; want one of 600 s", h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
}
