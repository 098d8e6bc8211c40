package bot

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// TestHelperPosterProcess is not a test: TestCrashBetweenPostAndRecord runs the
// test binary with this name to get a poster in a process of its own, which
// kills itself with SIGKILL right after Slack accepted a card and before the
// card's ts is saved.
func TestHelperPosterProcess(t *testing.T) {
	if os.Getenv("OB_CRASH_HELPER") != "1" {
		t.Skip("helper process for TestCrashBetweenPostAndRecord")
	}
	ro, err := redis.ParseURL(os.Getenv("OB_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	ro.ContextTimeoutEnabled = true
	rdb := redis.NewClient(ro)
	st, err := store.New(context.Background(), rdb, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeRef{api: os.Getenv("OB_FAKE_API"), token: os.Getenv("OB_FAKE_TOKEN")}
	opts := Options{
		BotToken: fake.token, SigningSecret: "unused", APIURL: fake.api, Instance: "doomed",
		Departments: map[string]Department{"finance": {Channel: chFinance}}, Logger: testLogger(),
		PostLease: time.Second, ReclaimAfter: 300 * time.Millisecond,
	}
	if os.Getenv("OB_CRASH_DEFAULT_LEASES") == "1" {
		opts.PostLease, opts.ReclaimAfter = 0, 0 // the defaults (TestKilledPosterWorkIsTakenOver)
	}
	b, err := New(opts, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Poster()
	p.afterPost = func(key string) {
		if strings.HasPrefix(key, "card:") {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never record anything
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p.Run(ctx)
	t.Fatal("the helper poster was meant to be killed")
}

type fakeRef struct{ api, token string }

func TestCrashBetweenPostAndRecord(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PostLease = time.Second })
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "7001"))[0]

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPosterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OB_CRASH_HELPER=1", "OB_REDIS_URL="+h.redis.URL,
		"OB_FAKE_API="+h.fake.APIURL(), "OB_FAKE_TOKEN="+h.fake.Token())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !(errors.As(err, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled()) {
		t.Fatalf("the helper was not killed: %v\n%s", err, out)
	}
	if n := len(h.cards(chFinance)); n != 1 {
		t.Fatalf("after the crash the channel has %d cards, want the 1 the dead process posted", n)
	}
	posted := h.cards(chFinance)[0]
	if _, ts, _ := h.st.MessageRef(context.Background(), tk.ID); ts != "" {
		t.Fatalf("the dead process saved the ts %s; the crash came too late to test anything", ts)
	}

	// Restart: a new poster reclaims the entry, finds the card by its metadata
	// key and records it instead of posting again.
	h.runPoster()
	waitFor(t, 15*time.Second, "the recovered message ref", func() bool {
		_, ts, _ := h.st.MessageRef(context.Background(), tk.ID)
		return ts != ""
	})
	waitFor(t, 5*time.Second, "the outbox to drain", func() bool { return h.backlog() == 0 })
	_, ts, _ := h.st.MessageRef(context.Background(), tk.ID)
	if ts != posted.TS {
		t.Fatalf("recovered ts %s, want the card's %s", ts, posted.TS)
	}
	if n := len(h.cards(chFinance)); n != 1 {
		t.Fatalf("after the restart the channel has %d cards, want 1", n)
	}
	if n := h.fake.CallCount("chat.postMessage"); n != 1 {
		t.Fatalf("chat.postMessage accepted %d times, want 1", n)
	}
	if n := len(h.fake.Calls("conversations.history")); n == 0 {
		t.Fatal("the restarted poster did not look for the card before deciding")
	}
	// Later changes update that card.
	if _, _, err := h.st.Transition(context.Background(), tk.ID, store.Transition{Action: orderbot.ActClaim, Actor: "U0ALICE"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the update", func() bool {
		m, _ := h.fake.Message(chFinance, posted.TS)
		return m.Updates > 0 && len(m.Replies) == 1
	})
}
