package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
)

func TestCardPostedOnceUpdatedAndThreaded(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "1001"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	card := h.cards(chFinance)[0]
	if !strings.Contains(card.AllText(), "Payment not recorded: 1001") {
		t.Fatalf("card text:\n%s", card.AllText())
	}
	if got := strings.Join(card.ActionIDs(), ","); got != "ob.claim,ob.snooze,ob.escalate,ob.reassign,ob.resolve" {
		t.Fatalf("buttons = %s", got)
	}
	if c := h.fake.Calls("chat.postMessage")[0]; len(c.Blocks.BlockSet) < 5 || c.Form.Get("metadata") == "" {
		t.Fatalf("the post carried %d blocks and metadata %q", len(c.Blocks.BlockSet), c.Form.Get("metadata"))
	}
	var ch, ts string
	var err error
	waitFor(t, 5*time.Second, "the message ref", func() bool {
		ch, ts, err = h.st.MessageRef(context.Background(), tk.ID)
		return ts != ""
	})
	if err != nil || ch != chFinance || ts != card.TS {
		t.Fatalf("message ref = %s %s %v, want %s %s", ch, ts, err, chFinance, card.TS)
	}
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })

	ctx := context.Background()
	steps := []store.Transition{
		{Action: orderbot.ActClaim, Actor: "U0ALICE"},
		{Action: orderbot.ActNote, Actor: "U0ALICE", Note: "calling <!channel> the bank"},
		{Action: orderbot.ActReassign, Actor: "U0ALICE", Owner: "U0BOB"},
		{Action: orderbot.ActResolve, Actor: "U0BOB", Resolution: &orderbot.Resolution{Code: "order_marked_paid", Note: "webhook replayed"}},
	}
	for _, tr := range steps {
		if _, _, err := h.st.Transition(ctx, tk.ID, tr); err != nil {
			t.Fatalf("%s: %v", tr.Action, err)
		}
	}
	waitFor(t, 5*time.Second, "four thread replies", func() bool { return len(h.cards(chFinance)[0].Replies) == 4 })
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	card = h.cards(chFinance)[0]
	if len(h.cards(chFinance)) != 1 {
		t.Fatalf("%d top-level messages, want the one card", len(h.cards(chFinance)))
	}
	want := []string{
		":raising_hand: <@U0ALICE> claimed the ticket.",
		":memo: <@U0ALICE>: calling &lt;!channel&gt; the bank",
		":arrow_right: <@U0ALICE> assigned the ticket to <@U0BOB>.",
		":white_check_mark: <@U0BOB> resolved the ticket: *Order marked paid*",
	}
	for i, w := range want {
		if !strings.Contains(card.Replies[i].AllText(), w) {
			t.Errorf("reply %d = %q, want %q", i, card.Replies[i].Text, w)
		}
	}
	if card.Updates < 1 || card.Updates > 4 {
		t.Errorf("card updated %d times for 4 changes", card.Updates)
	}
	if got := strings.Join(card.ActionIDs(), ","); got != "ob.reopen" {
		t.Errorf("resolved card buttons = %s", got)
	}
	if !strings.Contains(card.AllText(), "webhook replayed") {
		t.Errorf("resolved card lacks the note:\n%s", card.AllText())
	}
}

func TestBurstOfChangesIsOneUpdate(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Coalesce = 300 * time.Millisecond })
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "2001"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	// Twenty detail changes in a burst (the detector re-evaluating the order).
	for i := 0; i < 20; i++ {
		a := anomaly(orderbot.PaymentUnrecorded, "2001")
		a.Summary = fmt.Sprintf("still unpaid, check %d", i)
		h.open(a)
	}
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	card := h.cards(chFinance)[0]
	if card.Updates < 1 || card.Updates > 2 {
		t.Fatalf("20 changes in a burst gave %d updates, want 1 (2 if the burst straddled a read)", card.Updates)
	}
	if !strings.Contains(card.AllText(), "still unpaid, check 19") {
		t.Fatalf("the card does not show the latest state:\n%s", card.AllText())
	}
	if len(card.Replies) != 0 {
		t.Fatalf("detail changes made %d thread replies", len(card.Replies))
	}
	_ = tk
}

func TestCriticalTicketAlsoInEscalationChannel(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentMissing, "3001"))[0]
	waitFor(t, 5*time.Second, "both cards", func() bool {
		return len(h.cards(chFinance)) == 1 && len(h.cards(chEscalate)) == 1
	})
	if _, _, err := h.st.Transition(context.Background(), tk.ID, store.Transition{Action: orderbot.ActClaim, Actor: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "both cards updated", func() bool {
		return h.cards(chFinance)[0].Updates >= 1 && h.cards(chEscalate)[0].Updates >= 1
	})
	if !strings.Contains(h.cards(chEscalate)[0].AllText(), "<@U0ALICE>") {
		t.Fatal("the escalation copy does not show the owner")
	}
	if n := len(h.cards(chEscalate)[0].Replies); n != 0 {
		t.Fatalf("the escalation copy has %d thread replies; history belongs on the department card", n)
	}
}

func TestRateLimitedPostIsDeliveredAfterRetryAfter(t *testing.T) {
	h := newHarness(t, nil)
	h.fake.FailNext("chat.postMessage", slackfake.Fault{Status: 429, RetryAfter: time.Second})
	h.runPoster()
	h.open(anomaly(orderbot.PaymentUnrecorded, "4001"))
	waitFor(t, 10*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	calls := h.fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("calls = %+v", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Fatalf("retried after %v, before Retry-After (1s)", gap)
	}
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
}

func TestServerErrorsAreRetriedWithoutDuplicates(t *testing.T) {
	h := newHarness(t, nil)
	h.fake.FailNext("chat.postMessage", slackfake.Fault{Status: 500, Times: 2})
	h.runPoster()
	h.open(anomaly(orderbot.PaymentUnrecorded, "4501"))
	waitFor(t, 15*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	if n := len(h.cards(chFinance)); n != 1 {
		t.Fatalf("%d cards", n)
	}
	// Each 5xx was followed by a look into the history before posting again.
	if n := len(h.fake.Calls("conversations.history")); n < 2 {
		t.Fatalf("conversations.history called %d times, want a look after each 5xx", n)
	}
}

func TestPostsArePacedPerChannel(t *testing.T) {
	const rate = 2 // posts per second per channel
	interval := time.Second / rate
	h := newHarness(t, func(o *Options) { o.PostsPerSecond = rate })
	h.runPoster()
	// The pacer hands out one slot per interval per channel, the first at once:
	// the k-th post of a channel cannot reach Slack before start + k·interval.
	// Checked on the times the fake recorded each post's arrival, which a busy
	// machine can only make later, never earlier (comparing neighbouring posts
	// instead fails when the first one is the delayed one). The allowance is
	// the millisecond resolution of the pacer's Redis clock, not a load margin.
	start := time.Now()
	h.open(anomaly(orderbot.PaymentUnrecorded, "5001"), anomaly(orderbot.PaymentDuplicate, "5002"),
		anomaly(orderbot.PaymentAfterClose, "5003"), anomaly(orderbot.InventoryLowStock, "SKU-9"))
	waitFor(t, 10*time.Second, "three finance cards", func() bool { return len(h.cards(chFinance)) == 3 })
	msgs := h.cards(chFinance)
	for k, m := range msgs {
		if earliest := start.Add(time.Duration(k)*interval - 2*time.Millisecond); m.PostedAt.Before(earliest) {
			t.Errorf("post %d in one channel reached Slack %v after the tickets opened, want ≥ %v at %d/s",
				k, m.PostedAt.Sub(start), time.Duration(k)*interval, rate)
		}
	}
	// Another channel is not held up by finance's pacing: its card does not
	// wait for finance's last slot.
	waitFor(t, 5*time.Second, "the warehouse card", func() bool { return len(h.cards(chWarehouse)) == 1 })
	if h.cards(chWarehouse)[0].PostedAt.After(msgs[2].PostedAt) {
		t.Error("the warehouse card waited for finance's pacing")
	}
}

func TestStormOf30000IsAtMostFiveMessagesPerChannel(t *testing.T) {
	if testing.Short() {
		t.Skip("30,000 tickets")
	}
	h := newHarness(t, func(o *Options) { o.StormFlushEvery = 500 * time.Millisecond })
	// The group must exist before the storm is written (an outbox without a
	// group may be trimmed); the poster creates it on its first read.
	h.runPoster()
	waitFor(t, 5*time.Second, "the consumer group", func() bool { return h.backlog() == 0 })
	const n = 30000
	anomalies := make([]orderbot.Anomaly, n)
	for i := range anomalies {
		anomalies[i] = anomaly(orderbot.InventoryOversold, fmt.Sprintf("SKU-%05d", i))
	}
	start := time.Now()
	for lo := 0; lo < n; lo += 5000 {
		h.open(anomalies[lo : lo+5000]...)
	}
	t.Logf("30,000 upserts took %v", time.Since(start))
	waitFor(t, 60*time.Second, "the storm to be delivered", func() bool { return h.backlog() == 0 })
	t.Logf("delivered after %v", time.Since(start))
	for _, ch := range []string{chWarehouse, chEscalate} {
		msgs := h.cards(ch)
		if len(msgs) > 5 || len(msgs) < 2 {
			t.Fatalf("%s has %d messages, want ≤ 5 with one summary", ch, len(msgs))
		}
		summaries := 0
		for _, m := range msgs {
			text := m.AllText()
			if !strings.Contains(text, "Storm: Oversold SKU") {
				continue
			}
			summaries++
			// Every ticket is on a card or counted on the summary.
			if want := fmt.Sprintf("*%d* more new", n-(len(msgs)-1)); !strings.Contains(text, want) {
				t.Errorf("%s summary lacks %q:\n%s", ch, want, text)
			}
			if !strings.Contains(text, "SKU-") {
				t.Errorf("%s summary lists no top subjects", ch)
			}
		}
		if summaries != 1 {
			t.Errorf("%s has %d storm summaries, want 1", ch, summaries)
		}
	}
	// Every ticket still exists and can be listed.
	all, err := h.st.List(context.Background(), store.Filter{Kind: orderbot.InventoryOversold})
	if err != nil || len(all) != n {
		t.Fatalf("listed %d tickets, %v", len(all), err)
	}
}

// TestEscalationStepsRunOnce: a ticket that misses its claim target gets each
// escalation step exactly once, however many replicas sweep, with a poster
// restart in between.
func TestEscalationStepsRunOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "6001"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	steps := h.bot.Options().SweepSteps()
	sweep := func() {
		var wg sync.WaitGroup
		for r := 0; r < 4; r++ { // four replicas sweep at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := h.st.SweepSLA(context.Background(), h.clock.Now(), steps, 100); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	// 6 minutes in: inside the 10-minute warning window of the 15-minute target.
	h.clock.Advance(6 * time.Minute)
	sweep()
	waitFor(t, 5*time.Second, "the warning on the card", func() bool {
		return strings.Contains(h.cards(chFinance)[0].AllText(), ":warning: *Claim due in 9m*")
	})
	// 16 minutes: step 1 (mention the leads).
	h.clock.Advance(10 * time.Minute)
	sweep()
	sweep()
	waitFor(t, 5*time.Second, "step 1", func() bool { return len(h.cards(chFinance)[0].Replies) == 1 })
	// 46 minutes: step 2 (post to the escalation channel).
	h.clock.Advance(30 * time.Minute)
	sweep()
	sweep()
	waitFor(t, 5*time.Second, "step 2", func() bool { return len(h.cards(chEscalate)) == 1 })
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	h.clock.Advance(5 * time.Hour)
	for i := 0; i < 3; i++ {
		sweep()
	}
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })

	replies := h.cards(chFinance)[0].Replies
	count := func(sub string) int {
		n := 0
		for _, r := range replies {
			if strings.Contains(r.AllText(), sub) {
				n++
			}
		}
		return n
	}
	if got := count("Claim target missed (escalation step 1)"); got != 1 {
		t.Errorf("step 1 of the claim chain posted %d times", got)
	}
	if got := count("<@" + leadFinance + ">"); got < 1 {
		t.Errorf("the lead was not mentioned")
	}
	if got := count("Claim target missed (escalation step 2): posted to <#" + chEscalate + ">"); got != 1 {
		t.Errorf("step 2 of the claim chain noted %d times", got)
	}
	if got := count("Resolve target missed (escalation step 1)"); got != 1 {
		t.Errorf("step 1 of the resolve chain posted %d times", got)
	}
	escPosts := 0
	for _, m := range h.cards(chEscalate) {
		if strings.Contains(m.AllText(), tk.ID) {
			escPosts++
		}
	}
	// Claim chain step 2 and resolve chain step 2.
	if escPosts != 2 {
		t.Errorf("%d posts in the escalation channel, want 2 (one per chain's step 2)", escPosts)
	}
	if len(replies) != 4 {
		for _, r := range replies {
			t.Log(r.Text)
		}
		t.Errorf("%d thread replies, want 4 (two steps of two chains)", len(replies))
	}
}

func TestStormSummaryCountsBreachesAndEscalatesOnce(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.StormThreshold = 2 })
	h.runPoster()
	var as []orderbot.Anomaly
	for i := 0; i < 10; i++ {
		as = append(as, anomaly(orderbot.PaymentUnrecorded, fmt.Sprintf("S%02d", i)))
	}
	h.open(as...)
	waitFor(t, 5*time.Second, "two cards and a summary", func() bool { return len(h.cards(chFinance)) == 3 && h.backlog() == 0 })
	h.clock.Advance(16 * time.Minute)
	for i := 0; i < 3; i++ {
		if _, err := h.st.SweepSLA(context.Background(), h.clock.Now(), h.bot.Options().SweepSteps(), 500); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "the escalations", func() bool { return h.backlog() == 0 })
	var summary slackfake.Message
	for _, m := range h.cards(chFinance) {
		if strings.Contains(m.AllText(), "Storm:") {
			summary = m
		} else if len(m.Replies) != 1 {
			t.Errorf("carded ticket has %d thread replies, want its own step 1", len(m.Replies))
		}
	}
	waitFor(t, 5*time.Second, "the summary's breach count", func() bool {
		m, _ := h.fake.Message(chFinance, summary.TS)
		return strings.Contains(m.AllText(), "*SLA missed*\n8")
	})
	m, _ := h.fake.Message(chFinance, summary.TS)
	if len(m.Replies) != 1 || !strings.Contains(m.Replies[0].AllText(), "<@"+leadFinance+"> Claim target missed for tickets of this storm (escalation step 1)") {
		for _, r := range m.Replies {
			t.Log(r.Text)
		}
		t.Fatalf("storm thread has %d replies, want one step-1 escalation", len(m.Replies))
	}
	if n := len(h.cards(chFinance)); n != 3 {
		t.Fatalf("%d messages in the channel, want 3", n)
	}
}
