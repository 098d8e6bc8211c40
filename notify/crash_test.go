package notify

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/twilio"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/twiliofake"
	"github.com/orderbot/orderbot/notify/templates"
	"github.com/orderbot/orderbot/store"
)

// TestHelperNotifierProcess is not a test: TestKillBetweenSendingAndSent runs
// the test binary with this name to get a notifier in a process of its own,
// which the test kills with SIGKILL while the provider holds its request.
func TestHelperNotifierProcess(t *testing.T) {
	if os.Getenv("OB_NOTIFY_HELPER") != "1" {
		t.Skip("helper process for TestKillBetweenSendingAndSent")
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
	tw, err := twilio.New(twilio.Options{
		Settings:   httpclient.Settings{APIURL: os.Getenv("OB_TWILIO_URL"), RateLimit: -1, Logger: quietLogger()},
		AccountSID: twiliofake.DefaultAccountSID,
		AuthToken:  twiliofake.DefaultAuthToken, From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(st, Options{Templates: templates.Builtin(), SMS: tw, Shop: "Demo Shop",
		SendTimeout: 10 * time.Minute, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	n.DeliverDue(context.Background()) // hangs in the provider call until killed
	t.Fatal("the provider answered; the test expected to be killed first")
}

func TestKillBetweenSendingAndSent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	e := newEnv(t, nil)
	e.twilio.Inject(providerfake.Fault{Kind: providerfake.Slow}) // holds the request until the client goes away
	tk, change := e.open(order("1401"), orderbot.ShippingStalled)
	if err := e.n.HandleChange(context.Background(), change); err != nil {
		t.Fatal(err)
	}
	id := store.NoticeID("1401|" + string(orderbot.ShippingStalled) + "|" + string(orderbot.NoticeOpen))
	// The child runs on the real clock; make the notice due now for it.
	if _, err := e.st.DeferNotice(context.Background(), id, time.Now().Add(-time.Second), "", false); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNotifierProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OB_NOTIFY_HELPER=1", "OB_REDIS_URL="+e.srv.URL, "OB_TWILIO_URL="+e.twilio.URL())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has recorded "sending" and its request is with the
	// provider, then kill it.
	deadline := time.Now().Add(30 * time.Second)
	for e.notice(id).State != store.NoticeSending {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child never began sending; its output:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the request reach the fake
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	cmd.Wait()

	// The child held the notice on a short lease that it renewed while the
	// call lasted; dead, it renews no more, so the lease ends at most Lease
	// (9s by default) after the kill: that is when a survivor takes over.
	leaseEnd := e.sendingLease(t, id)
	if d := leaseEnd.Sub(killed); d > 10*time.Second {
		t.Fatalf("the dead sender's lease ends %v after the kill, want at most 10s", d)
	}

	// A surviving replica: while the dead sender's lease runs nothing happens;
	// after it, the notice is unknown and shown on the ticket, never resent.
	e.clock.Set(time.Now())
	e.deliver()
	if st := e.notice(id).State; st != store.NoticeSending {
		t.Fatalf("state %s within the lease, want sending", st)
	}
	e.clock.Set(leaseEnd.Add(time.Millisecond))
	for range 3 {
		e.deliver()
	}
	got := e.notice(id)
	if got.State != store.NoticeUnknown {
		t.Fatalf("state %s after the lease, want unknown", got.State)
	}
	if reqs := e.twilio.RequestCount(); reqs > 1 || len(e.twilio.Messages()) != 0 {
		t.Fatalf("provider saw %d requests and %d messages, want the one held request only", reqs, len(e.twilio.Messages()))
	}
	lines := e.lines()
	last := lines[len(lines)-1]
	if last.TicketID != tk.ID || last.Payload["state"] != "unknown" || !strings.Contains(last.Payload["detail"], "Resend") {
		t.Fatalf("last thread line %+v", last)
	}
}

// sendingLease reads the lease deadline of a notice in "sending" from the
// store's set of notices being sent.
func (e *env) sendingLease(t *testing.T, id string) time.Time {
	t.Helper()
	ctx := context.Background()
	rdb := e.srv.Client(t)
	keys, err := rdb.Keys(ctx, "*ntc:sending").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("the sending set: %v %v", keys, err)
	}
	ms, err := rdb.ZScore(ctx, keys[0], id).Result()
	if err != nil {
		t.Fatalf("notice %s has no sending lease: %v", id, err)
	}
	return time.UnixMilli(int64(ms))
}
