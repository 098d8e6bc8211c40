package bot

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// TestKilledPosterWorkIsTakenOver kills (SIGKILL) a poster process that holds
// a ticket's outbox entry, its ticket lease and its card's post record, right
// after Slack accepted the card, and checks that another poster takes the work
// over with the default lease settings, whose thresholds are all within ten
// seconds: the dead consumer's entry is claimed from it (the consumer is
// removed from the group), the card is found rather than posted again, and its
// ts is recorded. It waits for those signals; it asserts no durations.
func TestKilledPosterWorkIsTakenOver(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PostLease, o.ReclaimAfter = 0, 0 })
	o := h.bot.Options()
	if o.ReclaimAfter+o.ReclaimAfter/3 > 10*time.Second || o.PostLease > 10*time.Second {
		t.Fatalf("default takeover thresholds: consumer %v (+1/3 for the check), leases %v; want within 10s", o.ReclaimAfter, o.PostLease)
	}
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "7101"))[0]

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPosterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OB_CRASH_HELPER=1", "OB_CRASH_DEFAULT_LEASES=1", "OB_REDIS_URL="+h.redis.URL,
		"OB_FAKE_API="+h.fake.APIURL(), "OB_FAKE_TOKEN="+h.fake.Token())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !(errors.As(err, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled()) {
		t.Fatalf("the helper was not killed: %v\n%s", err, out)
	}
	if n := len(h.cards(chFinance)); n != 1 {
		t.Fatalf("the dead poster left %d cards, want 1", n)
	}
	ctx := context.Background()
	rdb := h.st.Client()
	key := "ob:{t}:outbox:" + store.OutboxTicketChanges
	held, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: PosterGroup, Start: "-", End: "+", Count: 10}).Result()
	if err != nil || len(held) != 1 || held[0].Consumer != "doomed" {
		t.Fatalf("before the takeover the dead poster should hold the entry: %+v %v", held, err)
	}

	h.runPoster()
	waitFor(t, time.Minute, "the card's ts to be recorded by the survivor", func() bool {
		_, ts, _ := h.st.MessageRef(ctx, tk.ID)
		return ts != ""
	})
	waitFor(t, time.Minute, "the outbox to drain", func() bool { return h.backlog() == 0 })
	waitFor(t, time.Minute, "the dead consumer to leave the group", func() bool {
		cs, err := rdb.XInfoConsumers(ctx, key, PosterGroup).Result()
		if err != nil {
			return false
		}
		for _, c := range cs {
			if c.Name == "doomed" {
				return false
			}
		}
		return true
	})
	if n := h.fake.CallCount("chat.postMessage"); n != 1 {
		t.Fatalf("chat.postMessage accepted %d times, want 1", n)
	}
	if _, ts, _ := h.st.MessageRef(ctx, tk.ID); ts != h.cards(chFinance)[0].TS {
		t.Fatalf("recorded ts %s, want the card's %s", ts, h.cards(chFinance)[0].TS)
	}
}
