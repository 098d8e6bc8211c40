package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// The Slack calls of the poster. Every message it posts goes through postOnce,
// which makes the post happen exactly once even across crashes and replicas.

// postBudget bounds one post's attempts: pacing, retries, 429 waits.
const postBudget = 90 * time.Second

// postOnce posts m to channel (in the thread threadTS when set) at most once
// for key and returns the message's ts. The post is recorded as intended before
// the call; when an earlier attempt may have reached Slack, the channel (or
// thread) is searched for the message carrying key in its metadata first.
func (p *Poster) postOnce(ctx context.Context, key, channel, threadTS string, m message, broadcast bool, keep time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, postBudget)
	defer cancel()
	st, err := p.st.BeginSlackPost(ctx, key, p.holder, p.opts.PostLease, keep)
	if err != nil {
		return "", err
	}
	switch {
	case st.Done:
		return st.TS, nil
	case st.Busy:
		return "", errBusy
	}
	// The lease is short and renewed while this attempt lasts; if it is lost
	// (this process stalled past it), the attempt stops and is released as
	// uncertain, and whoever took over looks for the message before posting.
	outer := ctx
	ctx, stopHold := holdLease(ctx, p.opts.PostLease, func(rctx context.Context) (bool, error) {
		return p.st.RenewSlackPost(rctx, key, p.holder, p.opts.PostLease)
	})
	defer stopHold()
	lost := func(err error) error {
		if ctx.Err() != nil && outer.Err() == nil {
			return errBusy
		}
		return err
	}
	release := func(reached bool) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(outer), 5*time.Second)
		defer cancel()
		if err := p.st.AbortSlackPost(ctx, key, p.holder, reached); err != nil {
			p.log.Warn("releasing a slack post failed", slog.String("key", key), slog.String("error", err.Error()))
		}
	}
	if st.Uncertain {
		ts, ce := p.b.api.findPosted(ctx, channel, threadTS, key, st.Since)
		if ce != nil {
			release(true)
			return "", lost(ce.err)
		}
		if ts != "" {
			p.log.Info("found a post an earlier attempt made; not posting again", slog.String("key", key), slog.String("channel", channel))
			return p.recordPost(ctx, key, channel, ts, keep)
		}
	}
	m.Metadata = &slack.SlackMetadata{EventType: metadataType, EventPayload: map[string]any{"key": key}}
	var ts string
	for attempt := 1; ; attempt++ {
		if err := p.pace(ctx, "post:"+channel, time.Duration(float64(time.Second)/p.opts.PostsPerSecond), 1); err != nil {
			release(attempt > 1)
			return "", lost(err)
		}
		started := time.Now()
		var ce *callError
		ts, ce = p.b.api.post(ctx, channel, threadTS, m, broadcast)
		if ce == nil {
			break
		}
		if !ce.reached || !orderbot.Retryable(ce.err) || attempt >= p.opts.MaxAttempts {
			release(ce.reached || attempt > 1)
			return "", lost(ce.err)
		}
		// A 5xx or a timeout: the message may exist. Back off, look, and post
		// again only when it is not there.
		if !sleepCtx(ctx, p.b.api.backoff(attempt)) {
			release(true)
			return "", lost(ctx.Err())
		}
		found, fe := p.b.api.findPosted(ctx, channel, threadTS, key, started)
		if fe != nil {
			release(true)
			return "", lost(fe.err)
		}
		if found != "" {
			ts = found
			break
		}
	}
	if p.afterPost != nil {
		p.afterPost(key)
	}
	return p.recordPost(ctx, key, channel, ts, keep)
}

func (p *Poster) recordPost(ctx context.Context, key, channel, ts string, keep time.Duration) (string, error) {
	// Record even if the job's context just ended: the message exists.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	done, err := p.st.FinishSlackPost(ctx, key, channel, ts, keep)
	if err != nil {
		// The intent stays marked uncertain, so the next attempt finds this
		// message in the history instead of posting again.
		return "", err
	}
	return done.TS, nil
}

// pace waits for the next slot of a paced bucket, shared by all replicas.
func (p *Poster) pace(ctx context.Context, bucket string, interval time.Duration, burst int) error {
	wait, err := p.st.SlackPace(ctx, bucket, interval, burst)
	if err != nil {
		return err
	}
	if !sleepCtx(ctx, wait) {
		return ctx.Err()
	}
	return nil
}

// update replaces a card, paced within chat.update's workspace budget. A card
// someone deleted is not posted again (its post record stays); that is logged.
func (p *Poster) update(ctx context.Context, channel, ts string, m message) error {
	if err := p.pace(ctx, "update", time.Minute/time.Duration(p.opts.UpdatesPerMinute), 10); err != nil {
		return err
	}
	ce := p.b.api.update(ctx, channel, ts, m)
	if ce == nil {
		return nil
	}
	if ce.err.Kind == orderbot.KindNotFound {
		p.log.Warn("a card was deleted in Slack; leaving it", slog.String("channel", channel), slog.String("ts", ts))
		return nil
	}
	return ce.err
}

// run delivers one ticket's entries: its cards first (posted or updated with
// the ticket as it is now), then a thread reply per recorded change, then the
// escalation steps. A lease on the ticket keeps replicas from interleaving.
func (j *ticketJob) run(ctx context.Context, p *Poster) error {
	lease := "slack:ticket:" + j.ticket.ID
	// The ticket lease only keeps replicas from interleaving one ticket's
	// updates; exactly-once posting rests on each post's own record. It is short
	// and renewed while the job runs, so a killed holder blocks the ticket for
	// one lease at most.
	ok, err := p.st.AcquireLease(ctx, lease, p.holder, p.opts.PostLease)
	if err != nil {
		return err
	}
	if !ok {
		return errBusy
	}
	outer := ctx
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(outer), 5*time.Second)
		defer cancel()
		p.st.ReleaseLease(ctx, lease, p.holder)
	}()
	ctx, stopHold := holdLease(ctx, p.opts.PostLease, func(rctx context.Context) (bool, error) {
		return p.st.RenewLease(rctx, lease, p.holder, p.opts.PostLease)
	})
	defer stopHold()
	renew := func() error {
		if ctx.Err() != nil && outer.Err() == nil {
			return errBusy // the lease was lost: another replica has the ticket
		}
		return ctx.Err()
	}
	// Render the ticket as it is now: another replica or a click may have changed
	// it since the burst was read. A ticket dispatch loaded a moment ago is as
	// good (a change since wrote an entry of its own, which updates the card).
	t := j.ticket
	if time.Since(j.loaded) > time.Second {
		t, err = p.st.Get(ctx, j.ticket.ID)
		if err != nil {
			if orderbot.IsKind(err, orderbot.KindNotFound) {
				return nil
			}
			return err
		}
	}
	now := p.opts.Clock()
	var past []orderbot.Resolution
	var primaryTS, primaryCh string
	for _, pr := range j.pairs {
		if pr.storm != 0 {
			continue
		}
		if pr.ts == "" && past == nil && t.State != orderbot.StateResolved {
			past = p.b.pastResolutions(ctx, t.Kind)
		}
		if err := renew(); err != nil {
			return err
		}
		m := p.b.cards.ticketCard(cardView{T: t, Now: now, Past: past, Escalated: !pr.primary})
		ts := pr.ts
		if ts == "" {
			ts, err = p.postOnce(ctx, cardKey(t.ID, pr.channel), pr.channel, "", m, false, keepCard)
			if err != nil {
				return err
			}
			if pr.primary {
				if err := p.st.SetMessageRef(ctx, t.ID, pr.channel, ts); err != nil && !orderbot.IsKind(err, orderbot.KindNotFound) {
					return err
				}
			}
		} else if cardShows(j.entries) {
			if err := p.update(ctx, pr.channel, ts, m); err != nil {
				return err
			}
		}
		if pr.primary {
			primaryTS, primaryCh = ts, pr.channel
		}
	}
	if primaryTS == "" {
		return nil // the department card is folded into a storm summary
	}
	dept, _ := p.opts.department(t.Department)
	for _, e := range j.entries {
		if err := renew(); err != nil {
			return err
		}
		if err := p.entryEffects(ctx, t, e, primaryCh, primaryTS, dept); err != nil {
			return err
		}
	}
	return nil
}

// cardShows reports whether any of the entries changes what the card shows.
// Customer-notice lines live in the thread only, so a burst of them must not
// spend the workspace's chat.update budget (Tier 3, about 50 a minute) that
// other cards' changes are waiting for.
func cardShows(entries []store.OutboxEntry) bool {
	for _, e := range entries {
		if e.Change != store.ChangeNotice {
			return true
		}
	}
	return len(entries) == 0
}

// entryEffects posts what one recorded change adds to the thread and, for
// escalations, to the escalation channel.
func (p *Poster) entryEffects(ctx context.Context, t orderbot.Ticket, e store.OutboxEntry, ch, ts string, dept Department) error {
	v := strconv.FormatInt(e.Version, 10)
	if e.Version == 0 {
		v = e.ID // entries written without a version are still unique by id
	}
	replyKey := "reply:" + t.ID + ":" + v
	switch e.Change {
	case store.ChangeNotice:
		_, err := p.postOnce(ctx, replyKey, ch, ts, p.b.cards.noticeReply(t.ID, e.Payload), false, keepReply)
		return err
	case store.ChangeAckBreach, store.ChangeResolveBreach:
		step, _ := strconv.Atoi(e.Payload["step"])
		clock := e.Payload["clock"]
		action := p.opts.step(step).Action
		if action == EscalatePostChannel && p.opts.EscalationChannel != "" {
			reason := fmt.Sprintf("*%s missed* (escalation step %d).", clockTarget(clock), step+1)
			post := p.b.cards.escalationPost(t, reason, ch, dept.Leads)
			if _, err := p.postOnce(ctx, "escpost:"+t.ID+":"+v, p.opts.EscalationChannel, "", post, false, keepReply); err != nil {
				return err
			}
		}
		line := p.b.cards.escalationReply(t, clock, step, action, dept.Leads, p.opts.EscalationChannel)
		_, err := p.postOnce(ctx, replyKey, ch, ts, textMessage(line), action == EscalateMentionHere, keepReply)
		return err
	case store.ChangeEscalated:
		if p.opts.EscalationChannel != "" && p.opts.EscalationChannel != ch {
			reason := fmt.Sprintf("*Escalated by %s.*", mention(e.Payload["actor"]))
			post := p.b.cards.escalationPost(t, reason, ch, dept.Leads)
			if _, err := p.postOnce(ctx, "escpost:"+t.ID+":"+v, p.opts.EscalationChannel, "", post, false, keepReply); err != nil {
				return err
			}
		}
	}
	line := p.b.cards.historyLine(string(e.Change), e.Payload["actor"], e.Payload["detail"], t)
	if line == "" {
		return nil
	}
	_, err := p.postOnce(ctx, replyKey, ch, ts, textMessage(line), false, keepReply)
	return err
}

// textMessage is a short mrkdwn message: one section plus the same text as
// fallback.
func textMessage(line string) message {
	return message{Text: clip(line, maxFallbackText), Blocks: []slack.Block{slack.NewSectionBlock(md(line, maxSectionText), nil, nil)}}
}

// stormJob renders one storm summary: posted once, then updated in place as
// the counts grow. Escalation steps of folded tickets run once per storm.
type stormJob struct {
	key      stormKey
	dept     string
	severity orderbot.Severity
	breached []string
	steps    []stormStep
}

func stormPostKey(k stormKey) string {
	return "storm:" + k.channel + ":" + string(k.kind) + ":" + strconv.FormatInt(k.id, 10)
}

func (j *stormJob) run(ctx context.Context, p *Poster) error {
	if len(j.breached) > 0 {
		if _, err := p.st.SlackStormBreach(ctx, j.key.channel, j.key.kind, j.key.id, j.breached...); err != nil {
			return err
		}
	}
	st, err := p.st.SlackStorm(ctx, j.key.channel, j.key.kind, maxTopSubjects)
	if err != nil {
		return err
	}
	if st.ID != j.key.id {
		// A newer storm of this kind began; the old summary keeps its last counts.
		return nil
	}
	m := p.b.cards.stormCard(stormView{
		Kind: j.key.kind, Total: st.Total, Carded: int(st.Carded), Breached: st.Breached,
		Started: st.Started, Last: st.Last, Top: subjects(st.Top), Severity: j.severity, Dept: j.dept,
		Threshold: p.opts.StormThreshold, AtRisk: st.AtRisk,
	})
	key := stormPostKey(j.key)
	_, ts, err := p.st.SlackPostDone(ctx, key)
	if err != nil {
		return err
	}
	if ts == "" {
		if ts, err = p.postOnce(ctx, key, j.key.channel, "", m, false, keepCard); err != nil {
			return err
		}
	} else if err := p.update(ctx, j.key.channel, ts, m); err != nil {
		return err
	}
	dept, _ := p.opts.department(j.dept)
	done := map[stormStep]bool{}
	for _, s := range j.steps {
		if done[s] {
			continue
		}
		done[s] = true
		base := fmt.Sprintf("%s:%s:%d", s.clock, strconv.Itoa(s.step), j.key.id)
		action := p.opts.step(s.step).Action
		if action == EscalatePostChannel && p.opts.EscalationChannel != "" && p.opts.EscalationChannel != j.key.channel {
			text := fmt.Sprintf(":rotating_light: Storm of *%s* in %s: %s missed for %d tickets (escalation step %d). %s",
				esc(kindTitle(j.key.kind)), channelLink(j.key.channel), strings.ToLower(clockTarget(s.clock)), st.Breached, s.step+1, mentions(dept.Leads))
			if _, err := p.postOnce(ctx, "stormesc:"+key+":"+base, p.opts.EscalationChannel, "", textMessage(text), false, keepReply); err != nil {
				return err
			}
		}
		text := fmt.Sprintf(":rotating_light: %s %s missed for tickets of this storm (escalation step %d).",
			mentions(dept.Leads), clockTarget(s.clock), s.step+1)
		if action == EscalateMentionHere {
			text = "<!here> " + text
		}
		if _, err := p.postOnce(ctx, "stormreply:"+key+":"+base, j.key.channel, ts, textMessage(strings.TrimSpace(text)), false, keepReply); err != nil {
			return err
		}
	}
	return nil
}

func subjects(in []store.SubjectCount) []subjectCount {
	out := make([]subjectCount, len(in))
	for i, s := range in {
		out[i] = subjectCount{Subject: s.Subject, Count: s.Count}
	}
	return out
}
