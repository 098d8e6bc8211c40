package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/store"
)

// Run consumes ticket changes (creating automatic notices) and delivers due
// notices until ctx ends. Several replicas may run it: the consumer group
// shares the changes and each notice is begun by one replica only.
func (n *Notifier) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- n.consume(ctx) }()
	go func() { errc <- n.deliverLoop(ctx) }()
	err := <-errc
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// consume reads the ticket change stream with the notifier's group.
func (n *Notifier) consume(ctx context.Context) error {
	// The changes a dead replica held are taken over once its liveness lease
	// (ReclaimAfter) has run out; reads block for at most a third of it, so
	// this loop renews its own in time.
	live := store.Liveness{Stream: store.OutboxTicketChanges, Group: Group, Consumer: n.opts.Instance, TTL: n.opts.ReclaimAfter, Count: 100}
	failures := 0
	for ctx.Err() == nil {
		batch, err := live.Beat(ctx, n.st)
		if len(batch) > 0 {
			n.log.Info("took over ticket changes of a stopped notifier", slog.Int("entries", len(batch)))
		}
		if err == nil && len(batch) == 0 {
			batch, err = n.st.ReadOutbox(ctx, store.OutboxTicketChanges, Group, n.opts.Instance, 100, min(2*time.Second, n.opts.ReclaimAfter/3))
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			n.log.Warn("reading ticket changes failed", slog.Int("attempt", failures), slog.String("error", err.Error()))
			sleep(ctx, min(time.Duration(failures)*500*time.Millisecond, 10*time.Second))
			continue
		}
		failures = 0
		var done []string
		for _, e := range batch {
			if err := n.HandleChange(ctx, e); err != nil {
				// Left pending: it is handed out again when this consumer's
				// entries are taken over (a restart, or a survivor after a crash).
				n.log.Warn("a ticket change could not be turned into a notice", slog.String("ticket", e.TicketID),
					slog.String("change", string(e.Change)), slog.String("error", err.Error()))
				continue
			}
			done = append(done, e.ID)
		}
		if len(done) > 0 {
			if err := n.st.AckOutbox(ctx, store.OutboxTicketChanges, Group, done...); err != nil && ctx.Err() == nil {
				n.log.Warn("acknowledging ticket changes failed", slog.String("error", err.Error()))
			}
		}
	}
	return nil
}

// HandleChange creates the automatic notice one ticket change calls for, if
// any.
func (n *Notifier) HandleChange(ctx context.Context, e store.OutboxEntry) error {
	event, ok := EventFor(e)
	if !ok || e.TicketID == "" {
		return nil
	}
	// The entry id is Redis's wall-clock time, so its age is measured against
	// the wall clock, not Options.Clock (the demo runs that one faster).
	if at, ok := entryTime(e.ID); ok && time.Since(at) > n.opts.MaxEventAge {
		n.log.Info("ticket change too old for a customer notice", slog.String("ticket", e.TicketID),
			slog.String("change", string(e.Change)), slog.Time("at", at))
		return nil
	}
	t, err := n.st.Get(ctx, e.TicketID)
	if err != nil {
		if orderbot.IsKind(err, orderbot.KindNotFound) {
			return nil
		}
		return err
	}
	_, _, err = n.OnTicketEvent(ctx, t, event)
	return err
}

// deliverLoop recovers notices whose sender died and sends due ones.
func (n *Notifier) deliverLoop(ctx context.Context) error {
	tick := time.NewTicker(n.opts.PollEvery)
	defer tick.Stop()
	for {
		if _, err := n.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("delivering notices failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// DeliverDue marks notices stuck in "sending" past their lease as unknown,
// then sends every notice due now. It returns how many it sent or settled.
func (n *Notifier) DeliverDue(ctx context.Context) (int, error) {
	now := n.opts.Clock()
	if ids, err := n.st.RecoverNotices(ctx, now, 100); err != nil {
		return 0, err
	} else if len(ids) > 0 {
		n.log.Warn("notices whose send was interrupted are marked unknown", slog.Any("notices", ids))
	}
	handled := 0
	for ctx.Err() == nil {
		ids, err := n.st.DueNotices(ctx, now, 50)
		if err != nil {
			return handled, err
		}
		progress := false
		for _, id := range ids {
			switch err := n.deliver(ctx, id); {
			case err == nil:
				handled++
				progress = true
			case errors.Is(err, errNotQueued):
			default:
				return handled, err
			}
		}
		if !progress {
			return handled, nil
		}
	}
	return handled, ctx.Err()
}

// deliver sends one due notice: re-checks quiet hours and the opt-out list,
// records "sending", calls the provider, records the outcome.
func (n *Notifier) deliver(ctx context.Context, id string) error {
	nt, err := n.st.GetNotice(ctx, id)
	if err != nil {
		if orderbot.IsKind(err, orderbot.KindNotFound) {
			return errNotQueued
		}
		return err
	}
	if nt.State != store.NoticeQueued {
		return errNotQueued
	}
	now := n.opts.Clock()
	loc := n.zone(nt.Zone)
	if next := n.nextAllowed(now, loc); next.After(now) {
		n.count(nt.Channel, "deferred")
		_, err := n.st.DeferNotice(ctx, id, next, "Quiet hours for the customer: it will go out at "+
			next.In(loc).Format("15:04 (MST)")+" customer time.", true)
		if orderbot.IsKind(err, orderbot.KindConflict) {
			return errNotQueued
		}
		return err
	}
	if out, err := n.optedOut(ctx, nt.To); err != nil {
		return err
	} else if out {
		// Opted out after it was queued: settle it as failed, never send.
		if o, _, err := n.st.BeginNotice(ctx, id, now, n.opts.Lease, "", 0, time.Time{}); err != nil || o != store.BeginOK {
			return errNotQueued
		}
		_, err := n.st.FinishNotice(ctx, id, nt.Attempts+1, store.NoticeResult{State: store.NoticeFailed,
			Detail: "Not sent: the customer opted out before it went out."})
		return err
	}
	day := now.In(loc)
	capName := store.ContactHash(nt.To) + ":" + day.Format("20060102")
	tomorrow := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	outcome, nt, err := n.st.BeginNotice(ctx, id, now, n.opts.Lease, capName, n.opts.DailyCap, n.nextAllowed(tomorrow, loc))
	if err != nil {
		return err
	}
	switch outcome {
	case store.BeginOK:
	case store.BeginCapped:
		n.count(nt.Channel, "deferred")
		n.log.Info("notice deferred: the recipient's daily cap is used up", slog.String("notice", id), slog.String("to", nt.ToMasked))
		return nil
	default:
		return errNotQueued
	}
	var msg notice.Message
	if err := store.NoticeMessage(nt, &msg); err != nil {
		_, ferr := n.st.FinishNotice(ctx, id, nt.Attempts, store.NoticeResult{State: store.NoticeFailed, Detail: orderbot.UserMessage(err)})
		return ferr
	}
	sender, provider := n.opts.SMS, n.opts.SMSName
	if nt.Channel == ChannelEmail {
		sender, provider = n.opts.Email, n.opts.EmailName
	}
	var res store.NoticeResult
	if sender == nil {
		res = store.NoticeResult{State: store.NoticeFailed, Detail: "Not sent: " + nt.Channel + " is no longer configured."}
	} else {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.opts.SendTimeout)
		stopRenew := n.keepSending(sctx, id, nt.Attempts)
		rc, serr := sender.Send(sctx, msg)
		stopRenew()
		cancel()
		res = n.result(nt, provider, rc, serr, now)
		if errors.Is(serr, notice.ErrRecipientOptedOut) {
			if err := n.st.AddOptOut(ctx, nt.To); err != nil {
				n.log.Warn("recording a provider opt-out failed", slog.String("notice", id), slog.String("error", err.Error()))
			}
		}
	}
	// Record the outcome even when ctx ended meanwhile: the call happened.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	done, err := n.st.FinishNotice(fctx, id, nt.Attempts, res)
	if err != nil {
		n.log.Error("the outcome of a notice could not be recorded", slog.String("notice", id),
			slog.String("outcome", string(res.State)), slog.String("error", err.Error()))
		return err
	}
	label := string(done.State)
	if done.State == store.NoticeQueued {
		label = "retry"
	}
	n.count(nt.Channel, label)
	n.log.Info("customer notice "+string(done.State), slog.String("notice", id), slog.String("ticket", nt.TicketID),
		slog.String("channel", nt.Channel), slog.String("to", nt.ToMasked), slog.String("provider_id", res.ProviderID))
	return nil
}

// keepSending renews the notice's sending lease while the provider call runs:
// each time a third of Lease has passed on Clock, the lease is moved to Lease
// from now. It checks often (Clock may run faster than real time, as in the
// demo) but renews only when due. If the attempt lost the notice (a survivor
// declared it unknown after this process stalled), renewal stops; the outcome
// is then refused by FinishNotice and the notice stays unknown.
func (n *Notifier) keepSending(ctx context.Context, id string, attempt int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(min(100*time.Millisecond, n.opts.Lease/3))
		defer t.Stop()
		last := n.opts.Clock()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := n.opts.Clock()
			if now.Sub(last) < n.opts.Lease/3 {
				continue
			}
			ok, err := n.st.RenewNotice(ctx, id, attempt, now.Add(n.opts.Lease))
			if err != nil {
				n.log.Warn("renewing a notice's sending lease failed", slog.String("notice", id), slog.String("error", err.Error()))
				continue
			}
			if !ok {
				return
			}
			last = now
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// result turns a provider answer into the recorded outcome. A send that may
// have gone through is never retried; a definite "not sent" that can pass
// later (rate limits, outages) is queued again with backoff.
func (n *Notifier) result(nt store.Notice, provider string, rc notice.Receipt, err error, now time.Time) store.NoticeResult {
	if err == nil {
		return store.NoticeResult{State: store.NoticeSent, ProviderID: rc.ProviderID, ProviderStatus: rc.Status,
			Detail: "Accepted by " + provider + "."}
	}
	msg := orderbot.UserMessage(err)
	if errors.Is(err, notice.ErrOutcomeUnknown) {
		return store.NoticeResult{State: store.NoticeUnknown, Detail: msg}
	}
	var oe *orderbot.Error
	retryable := errors.As(err, &oe) && (oe.Kind == orderbot.KindRateLimited || oe.Kind == orderbot.KindTransient)
	if retryable && nt.Attempts < n.opts.MaxAttempts {
		wait := time.Duration(1<<min(nt.Attempts-1, 6)) * time.Minute
		if oe.RetryAfter > wait {
			wait = oe.RetryAfter
		}
		at := now.Add(wait)
		return store.NoticeResult{State: store.NoticeQueued, Retry: at,
			Detail: fmt.Sprintf("%s Trying again at %s (attempt %d of %d).", msg, at.UTC().Format("15:04 UTC"), nt.Attempts+1, n.opts.MaxAttempts)}
	}
	return store.NoticeResult{State: store.NoticeFailed, Detail: msg}
}

// Resend queues an unknown notice again at staff request.
func (n *Notifier) Resend(ctx context.Context, id, actor string) (store.Notice, error) {
	return n.st.SettleNotice(ctx, id, store.SettleResend, actor)
}

// MarkSent records an unknown notice as sent (staff checked with the
// provider or the customer).
func (n *Notifier) MarkSent(ctx context.Context, id, actor string) (store.Notice, error) {
	return n.st.SettleNotice(ctx, id, store.SettleMarkSent, actor)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// entryTime is when Redis wrote a stream entry (its id is "ms-seq").
func entryTime(id string) (time.Time, bool) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, false
	}
	v, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(v), true
}
