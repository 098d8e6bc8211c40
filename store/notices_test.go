package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

func testNotice(ticket, order string) Notice {
	return Notice{
		ID: NoticeID(order + "|shipping.stalled|open"), TicketID: ticket, OrderID: order,
		Kind: orderbot.ShippingStalled, Event: "open", Channel: "sms", To: "+8613812345678",
		ToMasked: orderbot.MaskPhone("+8613812345678"), Locale: "zh-CN", State: NoticeQueued,
		Actor: "orderbot", Message: `{"Text":"hi"}`, Zone: "Asia/Shanghai",
	}
}

// noticeLines reads the ChangeNotice entries of the Slack outbox.
func noticeLines(t *testing.T, e *testEnv) []OutboxEntry {
	t.Helper()
	got, err := e.st.ReadOutbox(context.Background(), OutboxTicketChanges, "test-"+t.Name(), "c", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []OutboxEntry
	for _, g := range got {
		if g.Change == ChangeNotice {
			out = append(out, g)
		}
	}
	return out
}

func TestNoticeCreateIsAtMostOnceUnderRace(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	n := testNotice("T1", "o1")
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 30 {
		wg.Go(func() {
			got, ok, err := e.st.CreateNotice(ctx, n, "orderbot")
			if err != nil {
				t.Error(err)
				return
			}
			if got.ID != n.ID || got.State != NoticeQueued {
				t.Errorf("got %+v", got)
			}
			if ok {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("created %d notices, want 1", created)
	}
	lines := noticeLines(t, e)
	if len(lines) != 1 || lines[0].TicketID != "T1" || lines[0].Payload["state"] != "queued" {
		t.Fatalf("thread lines %+v", lines)
	}
	if to := lines[0].Payload["to"]; to == n.To || to == "" {
		t.Fatalf("thread line shows recipient %q, want it masked", to)
	}
	due, _ := e.st.DueNotices(ctx, e.clock.Now(), 10)
	if len(due) != 1 || due[0] != n.ID {
		t.Fatalf("due %v", due)
	}
}

func TestNoticeLifecycleSent(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	n := testNotice("T1", "o1")
	n.Due = e.clock.Now().Add(time.Hour) // quiet hours: deferred
	if _, _, err := e.st.CreateNotice(ctx, n, "orderbot"); err != nil {
		t.Fatal(err)
	}
	if due, _ := e.st.DueNotices(ctx, e.clock.Now(), 10); len(due) != 0 {
		t.Fatalf("deferred notice due early: %v", due)
	}
	out, _, err := e.st.BeginNotice(ctx, n.ID, e.clock.Now(), time.Minute, "", 0, time.Time{})
	if err != nil || out != BeginNotDue {
		t.Fatalf("begin before due: %v %v", out, err)
	}
	now := e.clock.Advance(time.Hour)
	if due, _ := e.st.DueNotices(ctx, now, 10); len(due) != 1 {
		t.Fatalf("not due after an hour: %v", due)
	}
	out, got, err := e.st.BeginNotice(ctx, n.ID, now, time.Minute, "", 0, time.Time{})
	if err != nil || out != BeginOK || got.State != NoticeSending || got.Attempts != 1 {
		t.Fatalf("begin: %v %+v %v", out, got, err)
	}
	// A second replica cannot begin it again.
	if out, _, _ := e.st.BeginNotice(ctx, n.ID, now, time.Minute, "", 0, time.Time{}); out != BeginGone {
		t.Fatalf("second begin: %v", out)
	}
	fin, err := e.st.FinishNotice(ctx, n.ID, 1, NoticeResult{State: NoticeSent, ProviderID: "SM1", ProviderStatus: "queued"})
	if err != nil || fin.State != NoticeSent || fin.ProviderID != "SM1" {
		t.Fatalf("finish: %+v %v", fin, err)
	}
	if _, err := e.st.FinishNotice(ctx, n.ID, 1, NoticeResult{State: NoticeSent}); !orderbot.IsKind(err, orderbot.KindConflict) {
		t.Fatalf("second finish: %v", err)
	}
	// Recreating the same notice returns the sent one: never twice.
	again, ok, err := e.st.CreateNotice(ctx, n, "orderbot")
	if err != nil || ok || again.State != NoticeSent {
		t.Fatalf("recreate: %+v %v %v", again, ok, err)
	}
	lines := noticeLines(t, e)
	if len(lines) != 2 || lines[1].Payload["state"] != "sent" || lines[1].Payload["pid"] != "SM1" {
		t.Fatalf("thread lines %+v", lines)
	}
	list, err := e.st.TicketNotices(ctx, "T1")
	if err != nil || len(list) != 1 || list[0].ID != n.ID {
		t.Fatalf("ticket notices %+v %v", list, err)
	}
}

// A sender that dies between BeginNotice and FinishNotice leaves the notice
// "sending"; when its lease ends RecoverNotices marks it unknown, it is never
// due again by itself, and a late FinishNotice of the dead attempt conflicts.
func TestNoticeCrashMidSendBecomesUnknown(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	n := testNotice("T1", "o1")
	e.st.CreateNotice(ctx, n, "orderbot")
	now := e.clock.Now()
	if out, _, err := e.st.BeginNotice(ctx, n.ID, now, time.Minute, "", 0, time.Time{}); out != BeginOK || err != nil {
		t.Fatalf("begin %v %v", out, err)
	}
	if ids, _ := e.st.RecoverNotices(ctx, now.Add(30*time.Second), 10); len(ids) != 0 {
		t.Fatalf("recovered within the lease: %v", ids)
	}
	ids, err := e.st.RecoverNotices(ctx, now.Add(2*time.Minute), 10)
	if err != nil || len(ids) != 1 {
		t.Fatalf("recover: %v %v", ids, err)
	}
	got, _ := e.st.GetNotice(ctx, n.ID)
	if got.State != NoticeUnknown {
		t.Fatalf("state %s", got.State)
	}
	if due, _ := e.st.DueNotices(ctx, now.Add(48*time.Hour), 10); len(due) != 0 {
		t.Fatalf("unknown notice is due again: %v", due)
	}
	if _, err := e.st.FinishNotice(ctx, n.ID, 1, NoticeResult{State: NoticeSent}); !orderbot.IsKind(err, orderbot.KindConflict) {
		t.Fatalf("late finish: %v", err)
	}
	lines := noticeLines(t, e)
	if last := lines[len(lines)-1]; last.Payload["state"] != "unknown" {
		t.Fatalf("last thread line %+v", last)
	}
	// Staff settle it: resend queues it (due now); a second settle conflicts.
	res, err := e.st.SettleNotice(ctx, n.ID, SettleResend, "U1")
	if err != nil || res.State != NoticeQueued {
		t.Fatalf("resend %+v %v", res, err)
	}
	if _, err := e.st.SettleNotice(ctx, n.ID, SettleMarkSent, "U2"); !orderbot.IsKind(err, orderbot.KindConflict) {
		t.Fatalf("settle of a queued notice: %v", err)
	}
	if out, got, _ := e.st.BeginNotice(ctx, n.ID, e.clock.Now(), time.Minute, "", 0, time.Time{}); out != BeginOK || got.Attempts != 2 {
		t.Fatalf("begin after resend: %v %+v", out, got)
	}
	if _, err := e.st.SettleNotice(ctx, "Nmissing", SettleResend, "U1"); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("settle of a missing notice: %v", err)
	}
}

func TestNoticeDailyCapDefers(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	now := e.clock.Now()
	tomorrow := now.Add(14 * time.Hour)
	var ns []Notice
	for i, order := range []string{"o1", "o2", "o3"} {
		n := testNotice("T"+order, order)
		n.ID = NoticeID(order)
		e.st.CreateNotice(ctx, n, "orderbot")
		ns = append(ns, n)
		out, got, err := e.st.BeginNotice(ctx, n.ID, now, time.Minute, ContactHash(n.To)+":20250303", 2, tomorrow)
		if err != nil {
			t.Fatal(err)
		}
		want := BeginOK
		if i == 2 {
			want = BeginCapped
		}
		if out != want {
			t.Fatalf("notice %d: %v, want %v", i, out, want)
		}
		if i == 2 && (got.State != NoticeQueued || !got.Due.Equal(tomorrow.Truncate(time.Millisecond))) {
			t.Fatalf("capped notice %+v", got)
		}
	}
	if due, _ := e.st.DueNotices(ctx, tomorrow, 10); len(due) != 1 || due[0] != ns[2].ID {
		t.Fatalf("capped notice not due tomorrow: %v", due)
	}
}

func TestNoticeSkippedAndRetry(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	sk := testNotice("T1", "o1")
	sk.State, sk.Detail = NoticeSkipped, "the order has no mobile number or email address"
	got, ok, err := e.st.CreateNotice(ctx, sk, "orderbot")
	if err != nil || !ok || got.State != NoticeSkipped {
		t.Fatalf("skip: %+v %v", got, err)
	}
	if due, _ := e.st.DueNotices(ctx, e.clock.Now(), 10); len(due) != 0 {
		t.Fatalf("skipped notice queued: %v", due)
	}
	// A settled notice and the ticket's list of notices expire (the dedupe
	// lasts noticeRetention), so neither outlives its use.
	for _, key := range []string{e.st.noticeKey(sk.ID), e.st.noticeByTicketKey("T1")} {
		if ttl := e.st.rdb.TTL(ctx, key).Val(); ttl <= 0 || ttl > noticeRetention {
			t.Fatalf("TTL of %s = %v", key, ttl)
		}
	}
	// A rate-limited send goes back to the queue for later.
	n := testNotice("T2", "o2")
	e.st.CreateNotice(ctx, n, "orderbot")
	now := e.clock.Now()
	e.st.BeginNotice(ctx, n.ID, now, time.Minute, "", 0, time.Time{})
	back, err := e.st.FinishNotice(ctx, n.ID, 1, NoticeResult{State: NoticeQueued, Retry: now.Add(5 * time.Minute), Detail: "rate limited"})
	if err != nil || back.State != NoticeQueued {
		t.Fatalf("requeue %+v %v", back, err)
	}
	next, _ := e.st.NextNoticeDue(ctx)
	if !next.Equal(now.Add(5 * time.Minute)) {
		t.Fatalf("next due %v", next)
	}
	if _, _, err := e.st.CreateNotice(ctx, Notice{ID: "N1", TicketID: "T", State: NoticeSending}, "x"); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("create sending: %v", err)
	}
}

func TestOptOut(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	if err := e.st.AddOptOut(ctx, "+86 138-1234-5678", "Ann@Example.com"); err != nil {
		t.Fatal(err)
	}
	for contact, want := range map[string]bool{"13812345678": true, "ann@example.com": true, "bob@example.com": false} {
		if got, err := e.st.OptedOut(ctx, contact); err != nil || got != want {
			t.Errorf("OptedOut(%q) = %v, %v; want %v", contact, got, err, want)
		}
	}
}

// Bulk notices (an oversold SKU's delayed orders) write no thread line of
// their own, except an unknown outcome, which needs a person.
func TestBulkNoticeLinesOnlyWhenUnknown(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	n := testNotice("T1", "o1")
	n.Bulk = true
	if got, _, err := e.st.CreateNotice(ctx, n, "orderbot"); err != nil || !got.Bulk {
		t.Fatalf("create: %+v %v", got, err)
	}
	now := e.clock.Now()
	e.st.BeginNotice(ctx, n.ID, now, time.Minute, "", 0, time.Time{})
	if len(noticeLines(t, e)) != 0 {
		t.Fatal("a bulk notice wrote a queued line")
	}
	e.st.RecoverNotices(ctx, now.Add(time.Hour), 10)
	lines := noticeLines(t, e)
	if len(lines) != 1 || lines[0].Payload["state"] != "unknown" {
		t.Fatalf("lines %+v, want the unknown outcome only", lines)
	}
}
