package bot

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
)

// clickOutcomes counts, per clicking user, what became of their click: a
// transition recorded in the Slack outbox with them as actor (applied), or an
// ephemeral answer (refused, or "busy").
type clickOutcomes struct {
	applied map[string]int
	told    map[string]int
	busy    int
}

func (h *harness) clickOutcomes() clickOutcomes {
	h.t.Helper()
	o := clickOutcomes{applied: map[string]int{}, told: map[string]int{}}
	rdb := h.st.Client()
	msgs, err := rdb.XRange(context.Background(), "ob:{t}:outbox:"+store.OutboxTicketChanges, "-", "+").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range msgs {
		if a, _ := m.Values["actor"].(string); a != "" {
			o.applied[a]++
		}
	}
	for _, e := range h.fake.Ephemerals("") {
		o.told[e.User]++
		if strings.Contains(e.Text, "busy") {
			o.busy++
		}
	}
	return o
}

// burstClick is click i of a burst: Claim, Escalate or Reassign (to a user of
// its own) on one of the tickets, each by a user of its own, so every click's
// outcome can be told apart. None of them can be an idempotent repeat, which
// would change nothing and say nothing: a Claim either takes the ticket or is
// answered with its owner, an Escalate or a Reassign to a new user always applies.
func burstClick(h *harness, tickets []orderbot.Ticket, i int) (slackfake.Click, string) {
	tk := tickets[i%len(tickets)]
	user := fmt.Sprintf("U0K%06d", i)
	c := slackfake.Click{User: user, Channel: chFinance, MessageTS: "1.1",
		ActionID: []string{actClaim, actEscalate, actReassign}[i%3], BlockID: "ob|" + tk.ID + "|v1|a", Value: tk.ID + "|1"}
	if c.ActionID == actReassign {
		c.Type, c.Selected = "users_select", fmt.Sprintf("U0R%06d", i)
	}
	return c, user
}

// TestClickBurstDropsNothing sends signed clicks at 500 per second to the real
// handler, with a real Redis and fewer click workers than the burst needs, and
// accounts for every click: each acknowledged with 200 is then either applied
// once (a transition with the clicker as actor) or answered (refused, or
// "busy"), never both; one answered 503 (neither queued nor answered in time, which
// Slack shows the user as an error) is applied at most once. Nothing is
// asserted about durations: the test waits until every click has an outcome.
// OB_CLICK_BURST_SECONDS sets the length (default 4 s; the figure is 60).
func TestClickBurstDropsNothing(t *testing.T) {
	seconds := 4
	if v, err := strconv.Atoi(os.Getenv("OB_CLICK_BURST_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	h := newHarness(t, func(o *Options) { o.Workers = 4 }) // fewer than the old in-memory queue's 16
	var as []orderbot.Anomaly
	for i := 0; i < 60; i++ {
		as = append(as, anomaly(orderbot.PaymentUnrecorded, fmt.Sprintf("K%04d", i)))
	}
	tickets := h.open(as...)
	n := 500 * seconds
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var wg sync.WaitGroup
	var failed, refused sync.Map
	start := time.Now()
	for i := 0; i < n; i++ {
		// An absolute schedule: a stalled sender catches up instead of slowing.
		if d := time.Until(start.Add(time.Duration(i) * 2 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, _ := burstClick(h, tickets, i)
			req, err := signedInteraction(context.Background(), h.fake, h.srv.URL+PathInteractions, h.fake.BlockActions(c))
			if err == nil {
				var resp *slackfake.Response
				resp, err = slackfake.Do(client, req)
				if err == nil && resp.Status == http.StatusServiceUnavailable {
					// Neither queued nor answered within the ack's time: Slack
					// shows the user an error, so this click is not silent
					// either; it must not be applied.
					refused.Store(i, true)
				} else if err == nil && resp.Status != http.StatusOK {
					err = fmt.Errorf("status %d", resp.Status)
				}
			}
			if err != nil {
				failed.Store(i, err)
			}
		}(i)
	}
	wg.Wait()
	failed.Range(func(k, v any) bool { t.Fatalf("click %v was not acknowledged: %v", k, v); return false })

	nRefused := 0
	refused.Range(func(k, v any) bool { nRefused++; return true })
	// Wait for the signal: every click acknowledged with 200 has an outcome.
	// Give up only when the queue is drained and outcomes stop arriving, and
	// then say which are missing.
	missing := func(o clickOutcomes) []string {
		var out []string
		for i := 0; i < n; i++ {
			c, user := burstClick(h, tickets, i)
			if _, ok := refused.Load(i); !ok && o.applied[user]+o.told[user] == 0 {
				out = append(out, fmt.Sprintf("%d:%s", i, c.ActionID))
			}
		}
		return out
	}
	var o clickOutcomes
	last, still := -1, 0
	for {
		o = h.clickOutcomes()
		left := missing(o)
		if len(left) == 0 {
			break
		}
		if len(left) == last && h.clickBacklog() == 0 {
			still++
		} else {
			still = 0
		}
		if still >= 500 {
			t.Fatalf("%d of %d clicks have no outcome and the queue is empty; first missing: %v", len(left), n, left[:min(10, len(left))])
		}
		last = len(left)
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < n; i++ {
		_, user := burstClick(h, tickets, i)
		if _, ok := refused.Load(i); ok {
			// A queue write that timed out on our side may still have
			// landed in Redis; it is then carried out, once.
			if o.applied[user] > 1 {
				t.Fatalf("click %d (%s) was refused with 503 and applied %d times", i, user, o.applied[user])
			}
			continue
		}
		// Applied once and not answered, or not applied and answered (a reply
		// that timed out on our side may have arrived and been sent again).
		if a, told := o.applied[user], o.told[user]; !(a == 1 && told == 0 || a == 0 && told >= 1) {
			t.Fatalf("click %d (%s): applied %d times, answered %d times; want one outcome", i, user, a, told)
		}
	}
	waitFor(t, time.Minute, "the click queue to be acknowledged", func() bool { return h.clickBacklog() == 0 })
	t.Logf("%d clicks: %d applied, %d answered (%d of them busy), %d refused with 503", n, len(o.applied), len(o.told), o.busy, nRefused)
}

// clickBacklog counts clicks not yet delivered to the click workers plus those
// delivered and not acknowledged.
func (h *harness) clickBacklog() int64 {
	groups, err := h.st.Client().XInfoGroups(context.Background(), "ob:{t}:outbox:"+store.OutboxClicks).Result()
	if err != nil {
		return -1
	}
	for _, g := range groups {
		if g.Name == ClickGroup {
			return g.Lag + g.Pending
		}
	}
	return -1
}

// TestClickNotQueuedIsAnsweredBusy: when Redis refuses the click (here the
// queue's key holds a string, so XADD fails), the user is told "busy" before
// the ack and nothing happens to the ticket; when they cannot be told either
// (no response URL, no channel), the ack is a 503, which Slack shows as an error.
func TestClickNotQueuedIsAnsweredBusy(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "K9001"))[0]
	ctx := context.Background()
	if err := h.st.Client().Set(ctx, "ob:{t}:outbox:"+store.OutboxClicks, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c := slackfake.Click{User: "U0BUSY", Channel: chFinance, MessageTS: "1.1", ActionID: actClaim, BlockID: "ob|" + tk.ID + "|v1|a", Value: tk.ID + "|1"}
	resp, err := h.fake.PostClick(ctx, h.srv.URL+PathInteractions, c)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("ack: %v %v", resp, err)
	}
	eph := h.fake.Ephemerals("U0BUSY")
	if len(eph) != 1 || !strings.Contains(eph[0].Text, "busy") {
		t.Fatalf("ephemerals before the ack returned: %+v, want one busy answer", eph)
	}
	if got, _ := h.st.Get(ctx, tk.ID); got.Owner != "" {
		t.Fatalf("the unqueued click claimed the ticket for %q", got.Owner)
	}

	p := h.fake.BlockActions(c)
	delete(p, "response_url")
	delete(p, "channel")
	p["container"] = map[string]any{"type": "message", "message_ts": "1.1"}
	resp, err = h.fake.PostInteraction(ctx, h.srv.URL+PathInteractions, p)
	if err != nil || resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("a click that could be neither queued nor answered: %v %v, want 503", resp, err)
	}
}

// TestStaleClickIsAnsweredBusy: a click that waited in the queue longer than
// ClickMaxWait (here one queued at the start of the Unix epoch, as if Redis had
// held it through a long outage) is not applied; its user is told to try again.
func TestStaleClickIsAnsweredBusy(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "K9002"))[0]
	ctx := context.Background()
	p := h.fake.BlockActions(slackfake.Click{User: "U0LATE", Channel: chFinance, MessageTS: "1.1", ActionID: actClaim})
	ru, _ := p["response_url"].(string)
	err := h.st.Client().XAdd(ctx, &redis.XAddArgs{Stream: "ob:{t}:outbox:" + store.OutboxClicks, ID: "1-1",
		Values: map[string]any{ckAction: actClaim, ckValue: tk.ID + "|1", ckUser: "U0LATE", ckResponse: ru, ckChannel: chFinance}}).Err()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the answer", func() bool { return len(h.fake.Ephemerals("U0LATE")) > 0 })
	if eph := h.fake.Ephemerals("U0LATE"); len(eph) != 1 || !strings.Contains(eph[0].Text, "busy") {
		t.Fatalf("answers %+v, want one busy answer", eph)
	}
	waitFor(t, 10*time.Second, "the click to be acknowledged", func() bool { return h.clickBacklog() == 0 })
	if got, _ := h.st.Get(ctx, tk.ID); got.Owner != "" {
		t.Fatalf("the stale click claimed the ticket for %q", got.Owner)
	}
}
