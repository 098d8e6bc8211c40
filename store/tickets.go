package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
)

// Change says what a write did to a ticket. It is also the "c" field of the
// ticket's Slack outbox entry.
type Change string

// Changes of UpsertTickets.
const (
	ChangeOpened   Change = "opened"
	ChangeReopened Change = "reopened"
	// ChangeUpdated: summary, facts, stage, severity or department changed.
	ChangeUpdated Change = "updated"
	// ChangeRecurred: seen again, nothing visible changed. Count and LastSeenAt
	// move but Version does not, and no outbox entry is written: the condition is
	// seen every poll cycle and must not re-render the card each time.
	ChangeRecurred Change = "recurred"
	// ChangePending: the flap guard holds the open back (Upsert.OpenAfter,
	// OpenFor); nothing was written but the pending count. The result's ticket
	// has no id and no state, only what the anomaly says.
	ChangePending Change = "pending"
)

// Changes of Transition, one per action. The empty Change means an idempotent
// repeat that changed nothing.
const (
	ChangeClaimed      Change = "claimed"
	ChangeReleased     Change = "released"
	ChangeReassigned   Change = "reassigned"
	ChangeSnoozed      Change = "snoozed"
	ChangeWoken        Change = "woken"
	ChangeEscalated    Change = "escalated"
	ChangeResolved     Change = "resolved"
	ChangeAutoResolved Change = "auto_resolved"
	ChangeNoted        Change = "noted"
)

// Changes written by SweepSLA (the outbox entry also carries "clock" and "step").
const (
	ChangeWarning       Change = "warning"
	ChangeAckBreach     Change = "ack_breach"
	ChangeResolveBreach Change = "resolve_breach"
)

// ActWarn is the audit action of a pre-breach SLA warning (see Options.WarnBefore).
const ActWarn orderbot.Action = "warn"

// Upsert is one anomaly to fold into its ticket, with the SLA targets the ticket
// engine computed.
type Upsert struct {
	Anomaly    orderbot.Anomaly
	AckDue     time.Time // zero = no ack target
	ResolveDue time.Time // zero = no resolve target
	// ReopenWithin: a resolved ticket with this fingerprint resolved less than
	// this long ago is reopened; an older one (or 0) gives a new ticket.
	ReopenWithin time.Duration
	// OpenAfter and OpenFor are the open side of the kind's flap guard
	// (orderbot.FlapGuard): a fingerprint without an active ticket opens or
	// reopens only once this many evaluations in a row, spanning at least this
	// long, found it (the anomaly's DetectedAt is the evaluation's time). Until
	// then the result is ChangePending. 0 or 1 and 0 open at once.
	OpenAfter int
	OpenFor   time.Duration
}

// UpsertResult is the ticket after one Upsert and what happened to it.
type UpsertResult struct {
	Ticket orderbot.Ticket
	Change Change
}

// upsertArgs is the per-upsert argument count of lua/upsert.lua (each class
// takes 5 more, once per batch; see upsertBatchArgs).
const upsertArgs = 5

// upsertLanes is how many connections one UpsertTickets call uses at once, and
// upsertWindow how many batches one lane sends per pipeline. Upserts are split
// into lanes by fingerprint, so every upsert of one fingerprint stays in one
// lane, in input order. Redis runs one script at a time, and it is the
// bottleneck: while it runs one lane's window the other lanes encode their next
// window and decode their last, so Redis always has a window queued. Small
// windows over several lanes keep the start (Redis waits for the first window
// to be encoded) and the end (Go decodes the last one) short; measured on two
// cores, four lanes of four batches beat two lanes of eight.
const (
	upsertLanes  = 4
	upsertWindow = 4
)

// UpsertTickets folds anomalies into tickets: a new fingerprint opens a ticket, a
// recurrence counts on the active ticket (a snoozed or claimed ticket keeps its
// state), a fingerprint resolved within ReopenWithin reopens. Each fingerprint is
// one atomic step in Lua, so concurrent callers never open two tickets for one
// fingerprint. SLA targets are set when a ticket opens or reopens; later upserts
// never move them, so a recurring condition cannot reset its own clock.
//
// Opened, reopened and updated tickets get an entry in the Slack outbox in the
// same script; plain recurrences do not. Results are in the order of ups, and
// upserts of one fingerprint within a call apply in that order. On an error some
// upserts may already be applied; calling again with the same upserts is safe
// (they count as recurrences).
func (s *Store) UpsertTickets(ctx context.Context, ups []Upsert) ([]UpsertResult, error) {
	const op = "store.upsert_tickets"
	if len(ups) == 0 {
		return nil, nil
	}
	for i := range ups {
		a := &ups[i].Anomaly
		if a.Kind == "" || a.Subject == "" {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "anomaly %d has no kind or subject", i)
		}
		if hasSeparator(string(a.Kind)) || hasSeparator(a.Subject) || hasSeparator(a.OrderID) ||
			hasSeparator(a.Source) || hasSeparator(a.Department) || hasSeparator(string(a.Severity)) || hasSeparator(a.Stage) {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "anomaly %d has a control character in an id field", i)
		}
	}
	now := s.now()
	fps := make([]string, len(ups))
	lanes := make([][]int, upsertLanes)
	for i := range ups {
		fps[i] = ups[i].Anomaly.Fingerprint()
		l := int(fnv64(fps[i]) % upsertLanes)
		lanes[l] = append(lanes[l], i)
	}
	out := make([]UpsertResult, len(ups))
	errs := make([]error, upsertLanes)
	var wg sync.WaitGroup
	for l, idx := range lanes {
		if len(idx) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[l] = s.upsertLane(ctx, now, ups, fps, idx, out)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// upsertLane runs the upserts ups[idx...] in batches, a window of batches per
// pipeline, and stores each result at its index in out. The first window is a
// single batch so that Redis has work as soon as possible.
func (s *Store) upsertLane(ctx context.Context, now time.Time, ups []Upsert, fps []string, idx []int, out []UpsertResult) error {
	const op = "store.upsert_tickets"
	batch := s.opts.UpsertBatch
	window := 1
	for w := 0; w < len(idx); w, window = w+batch*window, upsertWindow {
		part := idx[w:min(w+batch*window, len(idx))]
		var argLists [][]any
		for lo := 0; lo < len(part); lo += batch {
			argLists = append(argLists, s.upsertBatchArgs(now, ups, fps, part[lo:min(lo+batch, len(part))]))
		}
		cmds, err := s.evalShaBatch(ctx, scriptUpsert, s.tkeys, argLists)
		if err != nil {
			return s.fail(op, err)
		}
		k := 0
		for _, cmd := range cmds {
			rows, ok := cmd.Val().([]any)
			if !ok {
				return orderbot.Errorf(orderbot.KindPermanent, op, "unexpected reply from the upsert script")
			}
			// Per upsert: change and id, then ticket and counters unless opened.
			for r := 0; r < len(rows); {
				if k >= len(part) {
					return orderbot.Errorf(orderbot.KindPermanent, op, "the upsert script returned too many rows")
				}
				n := 4
				if change, _ := rows[r].(string); Change(change) == ChangeOpened || Change(change) == ChangePending {
					n = 2
				}
				if r+n > len(rows) {
					return orderbot.Errorf(orderbot.KindPermanent, op, "the upsert script returned a short row")
				}
				i := part[k]
				k++
				res, err := upsertResult(rows[r:r+n], &ups[i], fps[i], now)
				if err != nil {
					return orderbot.Wrap(orderbot.KindPermanent, op, err, "unexpected reply from the upsert script")
				}
				out[i] = res
				r += n
			}
		}
		if k != len(part) {
			return orderbot.Errorf(orderbot.KindPermanent, op, "the upsert script returned too few rows")
		}
	}
	return nil
}

// upsertBatchArgs is the ARGV of one upsert script call for ups[idx...]: the
// common head, the classes (what upserts share: kind, department, SLA scores,
// reopen window, flap guard) and per upsert its 5 arguments (see lua/upsert.lua). Every
// formatted argument is a slice of one buffer per batch, so encoding a batch
// allocates little.
func (s *Store) upsertBatchArgs(now time.Time, ups []Upsert, fps []string, idx []int) []any {
	type class struct {
		kind, dept string
		ack, res   int64 // due times; 0 = no target
		within     int64
		after      int
		holdFor    int64
	}
	nowMs := ms(now)
	warn := s.opts.WarnBefore.Milliseconds()
	classOf := make(map[class]any) // the class's position, boxed once per batch
	var classArgs []any
	perUpsert := make([]any, 0, len(idx)*upsertArgs)
	buf := make([]byte, 0, len(idx)*640)
	// since returns what was appended from start on, capped so that no later
	// append can write into it.
	since := func(start int) []byte { return buf[start:len(buf):len(buf)] }
	for _, i := range idx {
		u := &ups[i]
		a := &u.Anomaly
		seenMs := ms(a.DetectedAt)
		if seenMs == 0 {
			seenMs = nowMs
		}
		ad, rd := ms(u.AckDue), ms(u.ResolveDue)
		c := class{string(a.Kind), a.Department, ad, rd, u.ReopenWithin.Milliseconds(), max(u.OpenAfter, 1), max(u.OpenFor.Milliseconds(), 0)}
		ref, ok := classOf[c]
		if !ok {
			ref = strconv.Itoa(len(classOf) + 1)
			classOf[c] = ref
			classArgs = append(classArgs, c.kind, c.dept, slaScore(ad, warn), slaScore(rd, warn), c.within,
				c.after, c.holdFor, s.pendingKey(a.Kind))
		}
		start := len(buf)
		buf = appendContent(buf, a)
		content := since(start)
		start = len(buf)
		buf = appendLook(buf, a, content)
		look := since(start)
		start = len(buf)
		buf = appendFixedTime(buf, seenMs)
		seen := since(start)
		start = len(buf)
		buf = appendNewTicket(buf, look, seen, content, nowMs, ad, rd, a.AtRisk)
		newTicket := since(start)
		classArg := ref
		if r := s.rollArg(a); r != "" {
			classArg = ref.(string) + r
		}
		perUpsert = append(perUpsert, fps[i], look, seen, newTicket, classArg)
	}
	args := s.ticketArgs(now, 1+len(classArgs)+len(perUpsert))
	args = append(args, len(classOf))
	args = append(args, classArgs...)
	return append(args, perUpsert...)
}

// slaScore is a new ticket's first score in an SLA set: the due time, less the
// warning lead when warnings are on (see SweepSLA); "" when there is no target.
func slaScore(due, warn int64) string {
	if due == 0 {
		return ""
	}
	return strconv.FormatInt(due-warn, 10)
}

// upsertResult turns one reply row (see lua/upsert.lua) into a result. An
// opened ticket comes back as just its id: every field of a new ticket is
// known from the upsert itself.
func upsertResult(row []any, u *Upsert, fp string, now time.Time) (UpsertResult, error) {
	change, _ := row[0].(string)
	id, _ := row[1].(string)
	var raw, counters string
	if len(row) == 4 {
		raw, _ = row[2].(string)
		counters, _ = row[3].(string)
	}
	a := &u.Anomaly
	if Change(change) == ChangePending {
		return UpsertResult{Change: ChangePending, Ticket: orderbot.Ticket{
			Fingerprint: fp, Kind: a.Kind, Subject: a.Subject, OrderID: a.OrderID, Source: a.Source,
			Department: a.Department, Severity: a.Severity, Stage: a.Stage, Summary: a.Summary, Facts: a.Facts,
		}}, nil
	}
	if id == "" {
		return UpsertResult{}, fmt.Errorf("upsert row without a ticket id")
	}
	if Change(change) == ChangeOpened {
		seen := a.DetectedAt
		if seen.IsZero() {
			seen = now
		}
		at := fromMs(ms(now))
		return UpsertResult{Change: ChangeOpened, Ticket: orderbot.Ticket{
			ID: id, Fingerprint: fp, Kind: a.Kind, Subject: a.Subject,
			OrderID: a.OrderID, Source: a.Source, Department: a.Department, Severity: a.Severity,
			State: orderbot.StateOpen, Stage: a.Stage, Summary: a.Summary, Facts: a.Facts, AtRisk: a.AtRisk,
			Count: 1, OpenedAt: at, LastSeenAt: fromMs(ms(seen)), UpdatedAt: at,
			AckDue: fromMs(ms(u.AckDue)), ResolveDue: fromMs(ms(u.ResolveDue)), Version: 1,
		}}, nil
	}
	t, found, err := decodeTicket(id, raw, "", false)
	if err != nil {
		return UpsertResult{}, err
	}
	if !found {
		return UpsertResult{}, fmt.Errorf("upsert row for %s has no ticket", id)
	}
	if counters != "" {
		if err := applyCounters(&t, counters); err != nil {
			return UpsertResult{}, err
		}
	}
	// After an upsert the stored content is exactly this anomaly's, and the
	// ticket is active, so it has no resolution.
	t.Summary, t.Facts, t.AtRisk = a.Summary, a.Facts, a.AtRisk
	return UpsertResult{Ticket: t, Change: Change(change)}, nil
}

// fnv64 is 64-bit FNV-1a: the same on every replica and every run, so it can
// split upserts into lanes and digest content that other processes compare.
func fnv64[T string | []byte](s T) uint64 {
	return fnvAdd(14695981039346656037, s)
}

// fnvAdd continues the FNV-1a hash h over s.
func fnvAdd[T string | []byte](h uint64, s T) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// ticketArgs starts the ARGV of a ticket script (see lua/common.lua).
func (s *Store) ticketArgs(now time.Time, extra int) []any {
	args := make([]any, 0, len(s.layout)+7+extra)
	args = append(args, s.layout...)
	args = append(args, ms(now), s.opts.WarnBefore.Milliseconds(), s.opts.AuditMax, s.opts.OutboxMaxLen)
	return s.appendRollupArgs(args, tagTickets, now)
}

// Get returns one ticket; a missing ticket is a KindNotFound error. Ids are
// accepted as people type them ("t1042").
func (s *Store) Get(ctx context.Context, id string) (orderbot.Ticket, error) {
	const op = "store.get"
	nid, ok := normalizeID(id)
	if !ok {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id; ticket ids look like T1042", clip(id, 40))
	}
	ts, err := s.loadTickets(ctx, []string{nid})
	if err != nil {
		return orderbot.Ticket{}, s.fail(op, err)
	}
	if len(ts) == 0 {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindNotFound, op, "%s does not exist", nid)
	}
	return ts[0], nil
}

// GetByFingerprint returns the latest ticket of a fingerprint (active or
// resolved); KindNotFound when there never was one.
func (s *Store) GetByFingerprint(ctx context.Context, fp string) (orderbot.Ticket, error) {
	const op = "store.get_by_fingerprint"
	id, err := s.rdb.HGet(ctx, s.fpIndexKey(), fp).Result()
	if isNil(err) {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindNotFound, op, "no ticket for %s", clip(fp, 120))
	}
	if err != nil {
		return orderbot.Ticket{}, s.fail(op, err)
	}
	return s.Get(ctx, id)
}

// loadTickets reads tickets in chunks, each chunk atomically in one script. Ids
// that do not exist are skipped; the order of ids is kept.
func (s *Store) loadTickets(ctx context.Context, ids []string) ([]orderbot.Ticket, error) {
	const chunk = 256
	out := make([]orderbot.Ticket, 0, len(ids))
	var argLists [][]any
	for lo := 0; lo < len(ids); lo += chunk {
		hi := min(lo+chunk, len(ids))
		args := s.ticketArgs(s.now(), hi-lo)
		for _, id := range ids[lo:hi] {
			args = append(args, id)
		}
		argLists = append(argLists, args)
	}
	cmds, err := s.evalShaBatch(ctx, scriptGet, s.tkeys, argLists)
	if err != nil {
		return nil, err
	}
	i := 0
	for _, cmd := range cmds {
		rows, _ := cmd.Val().([]any)
		for _, r := range rows {
			id := ids[i]
			i++
			row, ok := r.([]any)
			if !ok || len(row) != 2 {
				return nil, fmt.Errorf("get %s: unexpected reply", id)
			}
			rs, _ := row[1].(string)
			t, found, err := decodeTicket(id, row[0], rs, true)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// Filter selects tickets for List. Empty fields do not filter.
type Filter struct {
	// State selects one state; empty means every active state (open, claimed,
	// snoozed), which is what "/ob tickets" shows.
	State      orderbot.TicketState
	Department string
	Kind       orderbot.Kind
	Owner      string
	// Breached keeps only tickets whose target has passed: open tickets past
	// their ack due, open or claimed tickets past their resolve due. Snoozed
	// tickets have their clocks paused, so they are never breached.
	Breached bool
	// Limit caps the result; 0 means no limit.
	Limit int
}

// List returns the tickets matching f, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]orderbot.Ticket, error) {
	const op = "store.list"
	states := []orderbot.TicketState{f.State}
	if f.State == "" {
		states = []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed}
	}
	if f.Breached {
		states = slices.DeleteFunc(states, func(st orderbot.TicketState) bool {
			return st != orderbot.StateOpen && st != orderbot.StateClaimed
		})
	}
	ids, err := s.matchIDs(ctx, states, f.Department, f.Kind, f.Owner)
	if err != nil {
		return nil, s.fail(op, err)
	}
	now := s.now()
	var out []orderbot.Ticket
	// Load newest first in pages until the limit is met, so a small limit over a
	// big index reads only a few tickets.
	const page = 512
	for lo := 0; lo < len(ids); lo += page {
		ts, err := s.loadTickets(ctx, ids[lo:min(lo+page, len(ids))])
		if err != nil {
			return nil, s.fail(op, err)
		}
		for _, t := range ts {
			if f.Breached && !breached(&t, now) {
				continue
			}
			out = append(out, t)
			if f.Limit > 0 && len(out) == f.Limit {
				return out, nil
			}
		}
	}
	return out, nil
}

func breached(t *orderbot.Ticket, now time.Time) bool {
	switch t.State {
	case orderbot.StateOpen:
		return (!t.AckDue.IsZero() && !t.AckDue.After(now)) || (!t.ResolveDue.IsZero() && !t.ResolveDue.After(now))
	case orderbot.StateClaimed:
		return !t.ResolveDue.IsZero() && !t.ResolveDue.After(now)
	}
	return false
}

// matchIDs intersects the index sets for each state and returns the union,
// newest ticket first.
func (s *Store) matchIDs(ctx context.Context, states []orderbot.TicketState, dept string, kind orderbot.Kind, owner string) ([]string, error) {
	pipe := s.rdb.Pipeline()
	var cmds []interface{ Val() []string }
	for _, st := range states {
		keys := []string{s.indexKey(idxState, string(st))}
		if dept != "" {
			keys = append(keys, s.indexKey(idxDept, dept))
		}
		if kind != "" {
			keys = append(keys, s.indexKey(idxKind, string(kind)))
		}
		if owner != "" {
			keys = append(keys, s.indexKey(idxOwner, owner))
		}
		cmds = append(cmds, pipe.SInter(ctx, keys...))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, err
	}
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.Val()...)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(idNumber(b), idNumber(a)) })
	return slices.Compact(ids), nil
}

// OpenTicketsOfKind returns every active (open, claimed or snoozed) ticket of a
// kind, for auto-resolve.
func (s *Store) OpenTicketsOfKind(ctx context.Context, k orderbot.Kind) ([]orderbot.Ticket, error) {
	if k == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "store.open_tickets_of_kind", "no kind given")
	}
	return s.List(ctx, Filter{Kind: k})
}

// CountByState returns how many tickets are in each state, for metrics.
func (s *Store) CountByState(ctx context.Context) (map[orderbot.TicketState]int64, error) {
	states := []orderbot.TicketState{orderbot.StateOpen, orderbot.StateClaimed, orderbot.StateSnoozed, orderbot.StateResolved}
	pipe := s.rdb.Pipeline()
	cmds := make([]interface{ Val() int64 }, len(states))
	for i, st := range states {
		cmds[i] = pipe.SCard(ctx, s.indexKey(idxState, string(st)))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.fail("store.count_by_state", err)
	}
	out := make(map[orderbot.TicketState]int64, len(states))
	for i, st := range states {
		out[st] = cmds[i].Val()
	}
	return out, nil
}

// AuditEntry is one recorded change of a ticket.
type AuditEntry struct {
	At     time.Time
	Actor  string // Slack user id, or "orderbot"
	Action orderbot.Action
	From   orderbot.TicketState // empty for the open itself
	To     orderbot.TicketState
	Detail string
}

// Audit returns a ticket's most recent history entries, oldest first; limit <= 0
// means all that are kept (Options.AuditMax). The open itself is not stored (an
// untouched ticket then costs no audit key at all): it is rebuilt from OpenedAt
// and listed first while the history has not been capped.
func (s *Store) Audit(ctx context.Context, id string, limit int) ([]AuditEntry, error) {
	const op = "store.audit"
	nid, ok := normalizeID(id)
	if !ok {
		return nil, orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id; ticket ids look like T1042", clip(id, 40))
	}
	pipe := s.rdb.Pipeline()
	ticket := pipe.Get(ctx, s.ticketKey(nid))
	start := int64(0)
	if limit > 0 {
		start = -int64(limit)
	}
	lr := pipe.LRange(ctx, s.auditKey(nid), start, -1)
	total := pipe.LLen(ctx, s.auditKey(nid))
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, s.fail(op, err)
	}
	if isNil(ticket.Err()) {
		return nil, orderbot.Errorf(orderbot.KindNotFound, op, "%s does not exist", nid)
	}
	var out []AuditEntry
	if total.Val() < int64(s.opts.AuditMax) && (limit <= 0 || int(total.Val()) < limit) {
		opened, _ := ticketField(ticket.Val(), "oa")
		oa, _ := strconv.ParseInt(opened, 10, 64)
		out = append(out, AuditEntry{At: fromMs(oa), Actor: "orderbot", Action: orderbot.ActOpen, To: orderbot.StateOpen})
	}
	for _, raw := range lr.Val() {
		var rec []string
		if err := json.Unmarshal([]byte(raw), &rec); err != nil || len(rec) != 6 {
			return nil, orderbot.Errorf(orderbot.KindPermanent, op, "the history of %s is unreadable", nid)
		}
		at, _ := strconv.ParseInt(rec[0], 10, 64)
		out = append(out, AuditEntry{
			At: fromMs(at), Actor: rec[1], Action: orderbot.Action(rec[2]),
			From: orderbot.TicketState(rec[3]), To: orderbot.TicketState(rec[4]), Detail: rec[5],
		})
	}
	return out, nil
}

// SetMessageRef remembers where a ticket's Slack card is; KindNotFound when the
// ticket does not exist.
func (s *Store) SetMessageRef(ctx context.Context, ticketID, channel, ts string) error {
	const op = "store.set_message_ref"
	nid, ok := normalizeID(ticketID)
	if !ok {
		return orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id", clip(ticketID, 40))
	}
	if channel == "" || ts == "" || hasSeparator(channel) || hasSeparator(ts) {
		return orderbot.Errorf(orderbot.KindInvalid, op, "a message ref needs a channel and a ts without control characters")
	}
	args := append(s.ticketArgs(s.now(), 3), nid, channel, ts)
	n, err := s.evalSha(ctx, scriptMsgRef, s.tkeys, args...).Int()
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return orderbot.Errorf(orderbot.KindNotFound, op, "%s does not exist", nid)
	}
	return nil
}

// MessageRef returns where a ticket's Slack card is; empty strings when it has
// not been posted yet, KindNotFound when the ticket does not exist.
func (s *Store) MessageRef(ctx context.Context, ticketID string) (channel, ts string, err error) {
	const op = "store.message_ref"
	nid, ok := normalizeID(ticketID)
	if !ok {
		return "", "", orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id", clip(ticketID, 40))
	}
	raw, err := s.rdb.Get(ctx, s.ticketKey(nid)).Result()
	if isNil(err) {
		return "", "", orderbot.Errorf(orderbot.KindNotFound, op, "%s does not exist", nid)
	}
	if err != nil {
		return "", "", s.fail(op, err)
	}
	channel, _ = ticketField(raw, "mc")
	ts, _ = ticketField(raw, "mt")
	return channel, ts, nil
}

// PurgeResolved deletes up to limit tickets resolved before cutoff, with their
// history and index entries, and returns how many it deleted. Run it from a job
// with a cutoff such as 180 days ago so resolved tickets do not grow Redis
// forever; the knowledge base should copy what it needs before.
func (s *Store) PurgeResolved(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	args := append(s.ticketArgs(s.now(), 2), ms(cutoff), limit)
	n, err := s.evalSha(ctx, scriptPurge, s.tkeys, args...).Int()
	if err != nil {
		return 0, s.fail("store.purge_resolved", err)
	}
	return n, nil
}

// clip shortens outside text for error messages.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
