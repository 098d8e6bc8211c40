package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// PosterGroup is the consumer group of the Slack outbox.
const PosterGroup = "slack-poster"

// How long post records are kept: card records as long as a ticket may still
// change, thread replies longer than any outbox entry can wait.
const (
	keepCard  = 120 * 24 * time.Hour
	keepReply = 14 * 24 * time.Hour
)

// errBusy means another replica is working on the same ticket or post right
// now; the entries are retried shortly.
var errBusy = errors.New("another poster holds the ticket")

// Poster delivers the store's Slack outbox (store.OutboxTicketChanges) to Slack:
//
//   - a ticket's card is posted once per channel (its department's, and the
//     escalation channel for critical tickets). Before the call the post is
//     recorded as intended; a post whose outcome is unknown (the process died, or
//     Slack timed out) is looked up in the channel history by the unique key in
//     its message metadata before it is ever sent again, so a restart never
//     posts a second card;
//   - later changes become one chat.update per ticket per burst, with the
//     latest state, and each recorded change a thread reply saying who did what;
//   - SLA breaches run the escalation chain's steps, each exactly once;
//   - storm control folds more than StormThreshold new tickets of one kind in
//     StormWindow into one summary card per channel, updated in place;
//   - posts are paced per channel across replicas, 429s wait for Retry-After,
//     5xx back off; an entry is acknowledged only after Slack took what it
//     needed, and entries a dead replica held are reclaimed.
type Poster struct {
	b      *Bot
	st     *store.Store
	opts   *Options
	log    *slog.Logger
	holder string

	// afterPost, when set (tests), runs right after a chat.postMessage succeeded
	// and before the post is recorded: the moment a crash is most dangerous.
	afterPost func(key string)

	// Main loop state; only Run's goroutine touches it.
	pending  map[string]*ticketWork // by ticket, not in flight
	q        workQueue              // where each pending work waits (posterqueue.go)
	inflight map[string]*ticketWork
	known    map[string]bool // outbox entry ids held in memory
	storms   map[stormKey]*stormWork
	workers  map[string]*channelWorker
	results  chan result
	wg       sync.WaitGroup
	warned   map[string]bool
	toAck    []string
}

// Poster returns the bot's outbox poster; run it with Run.
func (b *Bot) Poster() *Poster {
	nonce := make([]byte, 6)
	rand.Read(nonce)
	return &Poster{
		b: b, st: b.st, opts: &b.opts, log: b.log.With(slog.String("worker", "poster")),
		holder: b.opts.Instance + "/" + hex.EncodeToString(nonce),
	}
}

type ticketWork struct {
	id string
	// channel is the department channel whose worker takes the ticket's job,
	// known after the first plan; a backed-up channel's work is not re-planned.
	channel   string
	entries   []store.OutboxEntry
	notBefore time.Time
	attempts  int
	// parts still running while in flight (the card job and each storm flush it
	// waits for), and whether any failed.
	parts  int
	failed bool
	busy   bool
	// place is the queue the work waits in while pending.
	place workPlace
	// plan is the routing worked out when the ticket was first loaded, kept so
	// work parked behind a full channel is not loaded again.
	plan *plannedWork
}

// plannedWork is a ticket as dispatch routed it: the ticket as loaded and the
// channels its card belongs in.
type plannedWork struct {
	t      orderbot.Ticket
	loaded time.Time
	pairs  []pair
}

type stormKey struct {
	channel string
	kind    orderbot.Kind
	id      int64
}

// stormWork is a storm summary that needs rendering, and the tickets waiting
// for it before their entries may be acknowledged.
type stormWork struct {
	key       stormKey
	dept      string
	severity  orderbot.Severity
	dirty     bool
	inflight  bool
	lastFlush time.Time
	waiters   []string // ticket work ids
	breached  []string
	steps     []stormStep
	running   []string // waiters of the flush in flight
}

type stormStep struct {
	clock string
	step  int
}

type job interface {
	run(ctx context.Context, p *Poster) error
}

type result struct {
	channel string   // the worker that ran the job
	ticket  string   // ticket job: the ticket
	storm   stormKey // storm job
	isStorm bool
	err     error
}

type channelWorker struct {
	jobs   chan job
	queued int
}

const workerQueue = 256

// Run consumes the outbox until ctx ends. It returns nil on cancellation; a
// store or Slack failure never stops it (entries wait and are retried).
func (p *Poster) Run(ctx context.Context) error {
	p.pending = map[string]*ticketWork{}
	p.q = workQueue{}
	p.inflight = map[string]*ticketWork{}
	p.known = map[string]bool{}
	p.storms = map[stormKey]*stormWork{}
	p.workers = map[string]*channelWorker{}
	p.results = make(chan result, 4096)
	p.warned = map[string]bool{}
	defer p.stop()

	live := store.Liveness{Stream: store.OutboxTicketChanges, Group: PosterGroup, Consumer: p.opts.Instance, TTL: p.opts.ReclaimAfter, Count: p.opts.BatchSize}
	failures := 0
	for ctx.Err() == nil {
		p.drainResults(ctx)
		took, err := live.Beat(ctx, p.st)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("consumer heartbeat or takeover failed", slog.String("error", err.Error()))
		}
		if len(took) > 0 {
			p.log.Info("took over outbox entries of a stopped poster", slog.Int("entries", len(took)))
		}
		p.merge(took)
		got, err := p.read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			p.log.Warn("reading the slack outbox failed", slog.Int("attempt", failures), slog.String("error", err.Error()))
			sleepCtx(ctx, min(time.Duration(failures)*500*time.Millisecond, 10*time.Second))
			continue
		}
		failures = 0
		p.merge(got)
		p.drainResults(ctx)
		p.dispatch(ctx)
		p.dispatchStorms(ctx)
		p.flushAcks(ctx)
	}
	p.flushAcks(ctx)
	return nil
}

// read waits for new entries (up to the next due work, at most a second) and,
// once a burst starts, keeps reading for Coalesce so the burst is rendered once.
func (p *Poster) read(ctx context.Context) ([]store.OutboxEntry, error) {
	block := p.nextWait()
	first, err := p.st.ReadOutbox(ctx, store.OutboxTicketChanges, PosterGroup, p.opts.Instance, p.opts.BatchSize, block)
	if err != nil || len(first) == 0 {
		return first, err
	}
	out := first
	deadline := time.Now().Add(p.opts.Coalesce)
	for len(out) < 8*p.opts.BatchSize {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		more, err := p.st.ReadOutbox(ctx, store.OutboxTicketChanges, PosterGroup, p.opts.Instance, p.opts.BatchSize, min(left, 50*time.Millisecond))
		if err != nil {
			return out, nil // what was read stays pending in Redis and is processed
		}
		out = append(out, more...)
	}
	return out, nil
}

// nextWait is how long a read may block: until the earliest due work, between
// 10ms and 1s; no wait when results are waiting.
func (p *Poster) nextWait() time.Duration {
	if len(p.results) > 0 {
		return -1
	}
	if p.hasDue() {
		return -1
	}
	wait := time.Second
	now := time.Now()
	if at := p.nextLater(); !at.IsZero() {
		wait = min(wait, at.Sub(now))
	}
	for _, s := range p.storms {
		if s.dirty && !s.inflight {
			if d := s.lastFlush.Add(p.opts.StormFlushEvery).Sub(now); d < wait {
				wait = d
			}
		}
	}
	if len(p.inflight) > 0 && wait > 100*time.Millisecond {
		// Results of jobs in flight are handled between reads.
		wait = 100 * time.Millisecond
	}
	if wait < 10*time.Millisecond {
		return -1
	}
	return wait
}

// merge adds entries to the pending work of their tickets, ignoring ones
// already held.
func (p *Poster) merge(entries []store.OutboxEntry) {
	now := time.Now()
	for _, e := range entries {
		if p.known[e.ID] {
			continue
		}
		if e.TicketID == "" {
			p.ack(context.Background(), e.ID)
			continue
		}
		p.known[e.ID] = true
		w := p.pending[e.TicketID]
		if w == nil {
			w = &ticketWork{id: e.TicketID, notBefore: now}
			p.pending[e.TicketID] = w
			p.schedule(w, now)
		}
		w.entries = append(w.entries, e)
		w.plan = nil // what the new entries mean for the card is decided afresh
	}
}

// ack queues entries for acknowledgement; flushAcks sends them in batches, so
// the thousands of entries of a storm cost a few round trips, not thousands.
func (p *Poster) ack(ctx context.Context, ids ...string) {
	p.toAck = append(p.toAck, ids...)
}

func (p *Poster) flushAcks(ctx context.Context) {
	for len(p.toAck) > 0 {
		n := min(len(p.toAck), 2000)
		if !p.ackNow(ctx, p.toAck[:n]...) {
			return // kept for the next round
		}
		p.toAck = p.toAck[n:]
	}
	p.toAck = nil
}

func (p *Poster) ackNow(ctx context.Context, ids ...string) bool {
	if len(ids) == 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.st.AckOutbox(ctx, store.OutboxTicketChanges, PosterGroup, ids...); err != nil {
		// The entries stay held and are acknowledged in a later round; if this
		// process dies first, whoever takes them over finds every step done and
		// only acknowledges them.
		p.log.Warn("acknowledging outbox entries failed", slog.Int("entries", len(ids)), slog.String("error", err.Error()))
		return false
	}
	for _, id := range ids {
		delete(p.known, id)
	}
	return true
}

// pair is one channel a ticket's card belongs in.
type pair struct {
	channel string
	primary bool
	ts      string // posted card
	storm   int64  // folded into this storm episode
}

// ticketJob is the Slack work of one ticket: its cards, thread replies and
// escalation steps.
type ticketJob struct {
	ticket  orderbot.Ticket
	loaded  time.Time // when ticket was read
	entries []store.OutboxEntry
	pairs   []pair
}

func cardKey(ticketID, channel string) string { return "card:" + ticketID + ":" + channel }

// dispatch turns due pending work into jobs: it loads the tickets, looks up
// their cards, applies storm control to tickets without one, and queues a job
// per ticket on its department channel's worker.
func (p *Poster) dispatch(ctx context.Context) {
	now := time.Now()
	// Take due work until the round is full. Work whose channel is backed up is
	// parked, work planned before goes straight to its worker, the rest is loaded.
	var due, ready []*ticketWork
	for len(due)+len(ready) < 4*p.opts.BatchSize {
		w := p.nextDue(now)
		if w == nil {
			break
		}
		if _, busy := p.inflight[w.id]; busy {
			w.place = placeBehind
			continue
		}
		if wk := p.workers[w.channel]; wk != nil && wk.queued >= workerQueue {
			p.block(w)
			continue
		}
		if w.plan != nil {
			ready = append(ready, w)
		} else {
			due = append(due, w)
		}
	}
	if len(due) == 0 && len(ready) == 0 {
		return
	}
	retry := func(ws []*ticketWork) {
		for _, w := range ws {
			p.retryAt(w, now.Add(time.Second))
		}
	}
	sort.Slice(due, func(i, j int) bool { return ticketNumber(due[i].id) < ticketNumber(due[j].id) })
	ids := make([]string, len(due))
	for i, w := range due {
		ids[i] = w.id
	}
	tickets, err := p.st.SlackTickets(ctx, ids)
	if err != nil {
		p.log.Warn("loading tickets for slack failed", slog.String("error", err.Error()))
		retry(due)
		retry(ready)
		return
	}

	type planned struct {
		w *ticketWork
		plannedWork
	}
	var plans []*planned
	var refs []store.SlackCardRef
	for _, w := range due {
		t, ok := tickets[w.id]
		if !ok {
			// Purged or never existed: nothing to show.
			p.log.Info("outbox entries for a missing ticket dropped", slog.String("ticket", w.id), slog.Int("entries", len(w.entries)))
			delete(p.pending, w.id)
			p.ack(ctx, entryIDs(w.entries)...)
			continue
		}
		primary, err := p.opts.channelFor(t.Department)
		if err != nil {
			if !p.warned[t.Department] {
				p.warned[t.Department] = true
				p.log.Error("tickets wait in the outbox: their department has no Slack channel", slog.String("department", t.Department))
			}
			p.retryAt(w, now.Add(time.Minute))
			continue
		}
		w.channel = primary
		pl := &planned{w: w, plannedWork: plannedWork{t: t, loaded: now, pairs: []pair{{channel: primary, primary: true}}}}
		if esc := p.opts.EscalationChannel; t.Severity == orderbot.SeverityCritical && esc != "" && esc != primary {
			pl.pairs = append(pl.pairs, pair{channel: esc})
		}
		for _, pr := range pl.pairs {
			refs = append(refs, store.SlackCardRef{Ticket: t.ID, Kind: t.Kind, Channel: pr.channel, Key: cardKey(t.ID, pr.channel)})
		}
		plans = append(plans, pl)
	}
	planOnly := func() []*ticketWork {
		ws := make([]*ticketWork, len(plans))
		for i, pl := range plans {
			ws[i] = pl.w
		}
		return ws
	}
	states, err := p.st.SlackCards(ctx, refs)
	if err != nil {
		p.log.Warn("looking up slack cards failed", slog.String("error", err.Error()))
		retry(planOnly())
		retry(ready)
		return
	}
	// Storm control for cards not posted yet, grouped by channel and kind.
	type group struct {
		channel string
		kind    orderbot.Kind
	}
	admit := map[group][]store.StormTicket{}
	var order []group
	i := 0
	for _, pl := range plans {
		for k := range pl.pairs {
			pl.pairs[k].ts, pl.pairs[k].storm = states[i].TS, states[i].Storm
			i++
			if pl.pairs[k].ts == "" && pl.pairs[k].storm == 0 {
				g := group{pl.pairs[k].channel, pl.t.Kind}
				if _, seen := admit[g]; !seen {
					order = append(order, g)
				}
				admit[g] = append(admit[g], store.StormTicket{ID: pl.t.ID, Subject: pl.t.Subject, Count: pl.t.Count, AtRisk: pl.t.AtRisk})
			}
		}
	}
	folded := map[group]map[string]int64{}
	for _, g := range order {
		ad, err := p.st.AdmitSlackCards(ctx, g.channel, g.kind, p.opts.StormWindow, p.opts.StormThreshold, keepCard, admit[g])
		if err != nil {
			p.log.Warn("storm admission failed", slog.String("channel", g.channel), slog.String("kind", string(g.kind)), slog.String("error", err.Error()))
			retry(planOnly())
			retry(ready)
			return
		}
		if len(ad.Folded) > 0 {
			m := map[string]int64{}
			for _, id := range ad.Folded {
				m[id] = ad.Storm
			}
			folded[g] = m
		}
	}
	for _, pl := range plans {
		for k := range pl.pairs {
			pr := &pl.pairs[k]
			if pr.ts == "" && pr.storm == 0 {
				pr.storm = folded[group{pr.channel, pl.t.Kind}][pl.t.ID]
			}
		}
		pl.w.plan = &plannedWork{t: pl.t, loaded: pl.loaded, pairs: pl.pairs}
		ready = append(ready, pl.w)
	}
	for _, w := range ready {
		p.start(ctx, w)
	}
}

// start hands a planned work to its channel's worker (and its storm
// summaries), or parks it while that worker's queue is full.
func (p *Poster) start(ctx context.Context, w *ticketWork) {
	pl := w.plan
	hasCard := false
	for _, pr := range pl.pairs {
		if pr.storm == 0 {
			hasCard = true
		}
	}
	wk := p.worker(ctx, pl.pairs[0].channel)
	if hasCard && wk.queued >= workerQueue {
		p.block(w) // the channel is backed up; the work waits, planned
		return
	}
	delete(p.pending, w.id)
	p.inflight[w.id] = w
	w.parts, w.failed, w.busy = 0, false, false
	for _, pr := range pl.pairs {
		if pr.storm == 0 {
			continue
		}
		sk := stormKey{pr.channel, pl.t.Kind, pr.storm}
		s := p.storms[sk]
		if s == nil {
			s = &stormWork{key: sk, dept: pl.t.Department, severity: pl.t.Severity}
			p.storms[sk] = s
		}
		s.dirty = true
		s.waiters = append(s.waiters, w.id)
		w.parts++
		for _, e := range w.entries {
			if e.Change == store.ChangeAckBreach || e.Change == store.ChangeResolveBreach {
				s.breached = append(s.breached, pl.t.ID)
				if pr.primary || pr.channel != p.opts.EscalationChannel {
					step, _ := strconv.Atoi(e.Payload["step"])
					s.steps = append(s.steps, stormStep{clock: e.Payload["clock"], step: step})
				}
			}
		}
	}
	if hasCard {
		w.parts++
		wk.queued++
		wk.jobs <- &ticketJob{ticket: pl.t, loaded: pl.loaded, entries: w.entries, pairs: pl.pairs}
	}
	if w.parts == 0 {
		p.finish(ctx, w)
	}
}

func entryIDs(es []store.OutboxEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func ticketNumber(id string) int64 {
	n, _ := strconv.ParseInt(id[min(1, len(id)):], 10, 64)
	return n
}

// dispatchStorms queues the summaries that are due for rendering.
func (p *Poster) dispatchStorms(ctx context.Context) {
	now := time.Now()
	for sk, s := range p.storms {
		if !s.dirty || s.inflight || now.Before(s.lastFlush.Add(p.opts.StormFlushEvery)) {
			if !s.dirty && !s.inflight && len(s.waiters) == 0 && now.Sub(s.lastFlush) > time.Hour {
				delete(p.storms, sk)
			}
			continue
		}
		wk := p.worker(ctx, sk.channel)
		if wk.queued >= workerQueue {
			continue
		}
		s.dirty, s.inflight = false, true
		s.running, s.waiters = s.waiters, nil
		j := &stormJob{key: sk, dept: s.dept, severity: s.severity, breached: s.breached, steps: s.steps}
		s.breached, s.steps = nil, nil
		wk.queued++
		wk.jobs <- j
	}
}

// worker returns (starting it if needed) the goroutines that do one channel's
// work, so pacing in one channel never holds up another.
func (p *Poster) worker(ctx context.Context, channel string) *channelWorker {
	if w, ok := p.workers[channel]; ok {
		return w
	}
	w := &channelWorker{jobs: make(chan job, workerQueue)}
	p.workers[channel] = w
	// Where the pacing interval is shorter than a post's round trips (20 or
	// more posts a second per channel: an API without Slack's limits), several
	// goroutines (one per ten posts a second, at most eight) keep those round
	// trips from holding up the next post. Below that, one goroutine runs the
	// channel's work strictly in order, so posts reach Slack no closer than
	// the pacing interval. Each ticket has one job at a time either way, and
	// every post reserves its own paced slot.
	n := 1
	if p.opts.PostsPerSecond >= 20 {
		n = min(int(p.opts.PostsPerSecond/10), 8)
	}
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range w.jobs {
				r := result{channel: channel, err: p.safeRun(ctx, j)}
				switch x := j.(type) {
				case *ticketJob:
					r.ticket = x.ticket.ID
				case *stormJob:
					r.storm, r.isStorm = x.key, true
				}
				p.results <- r
			}
		}()
	}
	return w
}

func (p *Poster) safeRun(ctx context.Context, j job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("slack job panicked: %v", r)
		}
	}()
	return j.run(ctx, p)
}

func (p *Poster) stop() {
	for _, w := range p.workers {
		close(w.jobs)
	}
	// Workers finish their current job (its context is done) and exit; results
	// are drained so none of them blocks.
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			return
		case <-p.results:
		}
	}
}

// drainResults applies the outcomes of finished jobs.
func (p *Poster) drainResults(ctx context.Context) {
	for {
		select {
		case r := <-p.results:
			p.apply(ctx, r)
		default:
			return
		}
	}
}

func (p *Poster) apply(ctx context.Context, r result) {
	if wk := p.workers[r.channel]; wk != nil {
		wk.queued--
		if len(p.q.blocked[r.channel]) > 0 {
			p.unblock(r.channel, workerQueue-wk.queued)
		}
	}
	if r.isStorm {
		s := p.storms[r.storm]
		if s == nil {
			return
		}
		s.inflight = false
		s.lastFlush = time.Now()
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			p.log.Warn("storm summary failed", slog.String("channel", r.storm.channel), slog.String("kind", string(r.storm.kind)), slog.String("error", r.err.Error()))
			s.dirty = true
		}
		for _, id := range s.running {
			p.partDone(ctx, id, r.err)
		}
		s.running = nil
		return
	}
	w := p.inflight[r.ticket]
	if w == nil {
		return
	}
	if errors.Is(r.err, errBusy) {
		w.busy = true
	} else if errors.Is(r.err, context.Canceled) {
		// Shutting down: the entry stays pending and is delivered after the
		// restart (or by another replica); one warning per ticket would only
		// bury the shutdown in noise.
		p.log.Debug("slack delivery interrupted by shutdown", slog.String("ticket", r.ticket))
	} else if r.err != nil {
		p.log.Warn("slack delivery failed; will retry", slog.String("ticket", r.ticket), slog.Int("attempt", w.attempts+1), slog.String("error", r.err.Error()))
	}
	p.partDone(ctx, r.ticket, r.err)
}

// partDone records one finished part of a ticket's work; when the last part is
// done the entries are acknowledged, or put back for a retry if a part failed.
func (p *Poster) partDone(ctx context.Context, ticket string, err error) {
	w := p.inflight[ticket]
	if w == nil {
		return
	}
	if err != nil {
		w.failed = true
	}
	w.parts--
	if w.parts > 0 {
		return
	}
	p.finish(ctx, w)
}

func (p *Poster) finish(ctx context.Context, w *ticketWork) {
	delete(p.inflight, w.id)
	if !w.failed {
		p.ack(ctx, entryIDs(w.entries)...)
		if next := p.pending[w.id]; next != nil && next.place == placeBehind {
			next.place = placeNone
			p.schedule(next, time.Now())
		}
		return
	}
	// Put the entries back in front of anything that arrived meanwhile.
	w.attempts++
	delay := min(time.Second<<min(w.attempts-1, 6), time.Minute)
	if w.busy {
		delay = time.Second
	}
	if next := p.pending[w.id]; next != nil {
		w.entries = append(w.entries, next.entries...)
		w.plan = nil
	}
	p.pending[w.id] = w
	p.retryAt(w, time.Now().Add(delay))
}
