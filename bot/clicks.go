package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/store"
)

// ClickGroup is the consumer group of the click queue (store.OutboxClicks).
const ClickGroup = "slack-clicks"

// busyText is what a user is told when their click is not carried out because
// the bot is overloaded.
const busyText = "orderbot is busy right now and did not apply your click; please try again in a moment."

// Card clicks are acknowledged only once they are in the click queue, a Redis
// stream: Slack's three seconds leave no room for the work itself, and an
// in-memory queue would either fill in a burst or lose what it held in a crash.
// RunClicks (on any replica) carries them out. A click that cannot be queued is
// answered "busy" before the ack; one that waited longer than ClickMaxWait is
// answered "busy" instead of being applied late. So every acknowledged click is
// either carried out or its user is told.

// Fields of a queued click: the block action as Slack sent it (parsed again
// with parseClick when carried out) and what replying needs.
const (
	ckAction    = "a"
	ckValue     = "val"
	ckBlock     = "blk"
	ckOption    = "opt"
	ckSelUser   = "sel"
	ckUser      = "by"
	ckTeam      = "team"
	ckResponse  = "ru"
	ckTrigger   = "tr"
	ckChannel   = "ch"
	ckContainer = "cc"
	ckEphemeral = "eph"
	ckMessageTS = "mts"
)

// queueClick writes one block action of ic to the click queue.
func (b *Bot) queueClick(ic *slack.InteractionCallback, a *slack.BlockAction) error {
	f := map[string]string{ckAction: a.ActionID, ckUser: ic.User.ID}
	put := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	put(ckValue, a.Value)
	put(ckBlock, a.BlockID)
	put(ckOption, a.SelectedOption.Value)
	put(ckSelUser, a.SelectedUser)
	put(ckTeam, ic.Team.ID)
	put(ckResponse, ic.ResponseURL)
	put(ckTrigger, ic.TriggerID)
	put(ckChannel, ic.Channel.ID)
	put(ckContainer, ic.Container.ChannelID)
	put(ckMessageTS, ic.Container.MessageTs)
	if ic.Container.IsEphemeral {
		f[ckEphemeral] = "1"
	}
	// Slack waits three seconds for the ack; what is left after this goes to
	// telling the user when the queue cannot be reached.
	ctx, cancel := context.WithTimeout(b.ctx, 1500*time.Millisecond)
	defer cancel()
	_, err := b.st.EnqueueOutbox(ctx, store.OutboxClicks, store.OutboxEntry{Payload: f})
	return err
}

// queuedClick rebuilds the interaction and the click from a queued entry; ok is
// false for an entry that is not a valid card action.
func queuedClick(e store.OutboxEntry) (slack.InteractionCallback, click, bool) {
	f := e.Payload
	var ic slack.InteractionCallback
	ic.Type = slack.InteractionTypeBlockActions
	ic.User.ID = f[ckUser]
	ic.Team.ID = f[ckTeam]
	ic.ResponseURL = f[ckResponse]
	ic.TriggerID = f[ckTrigger]
	ic.Channel.ID = f[ckChannel]
	ic.Container.ChannelID = f[ckContainer]
	ic.Container.MessageTs = f[ckMessageTS]
	ic.Container.IsEphemeral = f[ckEphemeral] == "1"
	a := &slack.BlockAction{ActionID: f[ckAction], Value: f[ckValue], BlockID: f[ckBlock], SelectedUser: f[ckSelUser]}
	a.SelectedOption.Value = f[ckOption]
	c, ok := parseClick(a)
	if !ok || !userIDPattern.MatchString(ic.User.ID) {
		return ic, click{}, false
	}
	return ic, c, true
}

// queueAge is how long ago Redis queued the entry (its id is "ms-seq").
func queueAge(id string) time.Duration {
	msPart, _, _ := strings.Cut(id, "-")
	v, err := strconv.ParseInt(msPart, 10, 64)
	if err != nil || v <= 0 {
		return 0
	}
	return time.Since(time.UnixMilli(v))
}

// RunClicks carries out queued card clicks until ctx ends, Workers at a time:
// it reads only as many as it has free workers, so a burst waits in Redis, not
// in memory. Clicks another replica took and did not finish (it died) are
// taken over once its liveness lease (ReclaimAfter) has run out. On shutdown the clicks in progress get ten seconds to finish; the
// ones cut short stay unacknowledged and are carried out by the next consumer.
// Several replicas may run it.
func (b *Bot) RunClicks(ctx context.Context) error {
	log := b.log.With(slog.String("worker", "clicks"))
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	type doneClick struct {
		id   string
		keep bool // cut short by shutdown: leave it pending for the next consumer
	}
	done := make(chan doneClick, b.opts.Workers)
	inflight := map[string]bool{}
	// finished holds clicks carried out but not yet acknowledged; should one
	// come back (a takeover of this consumer's own entries), it is not done
	// twice.
	finished := map[string]bool{}
	var toAck []string
	settle := func(d doneClick) {
		delete(inflight, d.id)
		if !d.keep {
			finished[d.id] = true
			toAck = append(toAck, d.id)
		}
	}
	flush := func() {
		if len(toAck) == 0 {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := b.st.AckOutbox(actx, store.OutboxClicks, ClickGroup, toAck...); err != nil {
			// Kept for the next round; if this process dies first, whoever
			// takes its entries over does them again (a repeated transition
			// is refused as a conflict and explained).
			log.Warn("acknowledging clicks failed", slog.Int("clicks", len(toAck)), slog.String("error", err.Error()))
			return
		}
		for _, id := range toAck {
			delete(finished, id)
		}
		toAck = toAck[:0]
	}
	start := func(e store.OutboxEntry) {
		if inflight[e.ID] || finished[e.ID] {
			return
		}
		inflight[e.ID] = true
		go func() {
			keep := false
			defer func() {
				if r := recover(); r != nil {
					log.Error("click work panicked", slog.Any("panic", r))
				}
				done <- doneClick{id: e.ID, keep: keep}
			}()
			cctx, cancel := context.WithTimeout(wctx, 2*time.Minute)
			defer cancel()
			b.carryOut(cctx, log, e)
			keep = wctx.Err() != nil
		}()
	}
	live := store.Liveness{Stream: store.OutboxClicks, Group: ClickGroup, Consumer: b.opts.Instance, TTL: b.opts.ReclaimAfter, Count: b.opts.Workers}
	failures := 0
	for ctx.Err() == nil {
	drain:
		for {
			select {
			case d := <-done:
				settle(d)
			default:
				break drain
			}
		}
		flush()
		// Clicks a dead replica held come first: they have waited longest. They
		// may exceed the free workers for a moment; the next reads wait.
		took, err := live.Beat(ctx, b.st)
		if err != nil && ctx.Err() == nil {
			log.Warn("consumer heartbeat or takeover failed", slog.String("error", err.Error()))
		}
		if len(took) > 0 {
			log.Info("took over clicks of a stopped replica", slog.Int("clicks", len(took)))
		}
		for _, e := range took {
			if !inflight[e.ID] {
				start(e)
			}
		}
		free := b.opts.Workers - len(inflight)
		if free <= 0 {
			// Wake for the heartbeat too, so a long click does not make this
			// replica look dead.
			t := time.NewTimer(b.opts.ReclaimAfter / 3)
			select {
			case d := <-done:
				settle(d)
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		block := min(time.Second, b.opts.ReclaimAfter/3)
		if len(inflight) > 0 {
			block = 50 * time.Millisecond // finished clicks are acknowledged between reads
		}
		got, err := b.st.ReadOutbox(ctx, store.OutboxClicks, ClickGroup, b.opts.Instance, free, block)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			log.Warn("reading the click queue failed", slog.Int("attempt", failures), slog.String("error", err.Error()))
			sleepCtx(ctx, min(time.Duration(failures)*200*time.Millisecond, 5*time.Second))
			continue
		}
		failures = 0
		for _, e := range got {
			if !inflight[e.ID] {
				start(e)
			}
		}
	}
	// Shutdown: the clicks in progress were acknowledged to Slack; give them a
	// moment, then cut them short (they stay queued for the next consumer).
	grace := time.NewTimer(10 * time.Second)
	defer grace.Stop()
	for len(inflight) > 0 {
		select {
		case d := <-done:
			settle(d)
		case <-grace.C:
			wcancel()
		}
	}
	flush()
	return nil
}

// carryOut does one queued click, or tells its user it came too late.
func (b *Bot) carryOut(ctx context.Context, log *slog.Logger, e store.OutboxEntry) {
	ic, c, ok := queuedClick(e)
	if !ok {
		log.Warn("a queued click is not a card action; dropped", slog.String("entry", e.ID))
		return
	}
	if age := queueAge(e.ID); age > b.opts.ClickMaxWait {
		log.Warn("a click waited too long; its user is told to try again", slog.String("ticket", c.ticket),
			slog.String("action", c.action), slog.Duration("waited", age.Round(time.Millisecond)))
		b.reply(ctx, &ic, busyText)
		return
	}
	b.handleClick(ctx, &ic, c)
}

// notQueued is the answer to an interaction whose click could neither be queued
// nor answered: the HTTP handler turns it into a 503 (Slack shows the user an
// error), Socket Mode leaves the envelope unacknowledged (Slack sends it again).
type notQueued struct{ clicks int }

func (n notQueued) Error() string {
	return fmt.Sprintf("%d slack clicks could not be queued", n.clicks)
}

// takeClick queues one click; when that fails it tells the user at once that the
// bot is busy. It reports false when the user could not be told either.
func (b *Bot) takeClick(ic *slack.InteractionCallback, a *slack.BlockAction, c click) bool {
	err := b.queueClick(ic, a)
	if err == nil {
		return true
	}
	b.log.Warn("a slack click could not be queued; telling the user", slog.String("ticket", c.ticket),
		slog.String("action", c.action), slog.String("error", err.Error()))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), time.Second)
	defer cancel()
	return b.replied(ctx, ic, busyText)
}
