package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// SLAKind is what a sweep found.
type SLAKind string

// SLA event kinds.
const (
	SLAWarning       SLAKind = "warning" // a target is WarnBefore away (Options.WarnBefore)
	SLAAckBreach     SLAKind = "ack_breach"
	SLAResolveBreach SLAKind = "resolve_breach"
	SLAWake          SLAKind = "wake" // a snooze ended
)

// SLA clocks of an SLAEvent.
const (
	ClockAck     = "ack"
	ClockResolve = "resolve"
)

// SLAEvent is one thing SweepSLA did. It has already been recorded in the
// ticket's history and in the Slack outbox; the caller uses it for customer
// notices on breach, metrics and logs.
type SLAEvent struct {
	Ticket orderbot.Ticket // after the event
	Kind   SLAKind
	// Clock is "ack" or "resolve" for warnings and breaches, "" for a wake.
	Clock string
	// Step is the escalation step that fired (0 is the first, at breach time +
	// steps[0]); 0 for warnings and wakes.
	Step int
}

// SweepSLA wakes tickets whose snooze ended and runs the escalation chains:
// step i of a chain fires at the target time + steps[i], once. For each ticket
// whose ack target (open tickets) or resolve target (open and claimed tickets)
// has passed and whose next step is due, it advances Escalation, records the
// step in the history and the Slack outbox, and schedules the next step. With
// Options.WarnBefore set, a "warning" fires once that long before each target.
//
// The sweep is one Lua script, so any number of replicas may sweep at the same
// time and each step still fires exactly once. A ticket fires at most one step
// per chain per sweep, so after an outage missed steps follow one per sweep
// rather than all at once. limit bounds the events of one call (default 500);
// call again while a call returns limit events.
func (s *Store) SweepSLA(ctx context.Context, now time.Time, steps []time.Duration, limit int) ([]SLAEvent, error) {
	const op = "store.sweep_sla"
	if limit <= 0 {
		limit = 500
	}
	args := append(s.ticketArgs(now, 2+len(steps)), limit, len(steps))
	for _, d := range steps {
		args = append(args, d.Milliseconds())
	}
	rows, err := s.evalSha(ctx, scriptSweep, s.tkeys, args...).Slice()
	if err != nil {
		return nil, s.fail(op, err)
	}
	out := make([]SLAEvent, 0, len(rows))
	for _, r := range rows {
		ev, err := parseSLARow(r)
		if err != nil {
			return out, orderbot.Wrap(orderbot.KindPermanent, op, err, "unexpected reply from the SLA sweep")
		}
		out = append(out, ev)
		if s.opts.Observe != nil {
			s.opts.Observe(ev.Ticket, Change(ev.Kind), ev.Step)
		}
	}
	return out, nil
}

func parseSLARow(r any) (SLAEvent, error) {
	row, ok := r.([]any)
	if !ok || len(row) != 5 {
		return SLAEvent{}, fmt.Errorf("sla row: %T", r)
	}
	id, _ := row[0].(string)
	kind, _ := row[1].(string)
	clock, _ := row[2].(string)
	stepS, _ := row[3].(string)
	step, _ := strconv.Atoi(stepS)
	t, _, err := decodeTicket(id, row[4], "", true)
	if err != nil {
		return SLAEvent{}, err
	}
	return SLAEvent{Ticket: t, Kind: SLAKind(kind), Clock: clock, Step: step}, nil
}
