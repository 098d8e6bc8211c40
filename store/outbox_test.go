package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

func TestOutboxReadAckAndStaleClaim(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := e.st.EnqueueOutbox(ctx, testStream, OutboxEntry{TicketID: fmt.Sprint("T", i+1), Change: ChangeOpened, Version: 1,
			Payload: map[string]string{"template": "delay"}}); err != nil {
			t.Fatal(err)
		}
	}
	// Consumer a reads three and acknowledges one, then dies.
	got, err := e.st.ReadOutbox(ctx, testStream, "notifier", "a", 3, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("read: %d %v", len(got), err)
	}
	if got[0].TicketID != "T1" || got[0].Change != ChangeOpened || got[0].Version != 1 || got[0].Payload["template"] != "delay" {
		t.Fatalf("entry %+v", got[0])
	}
	if err := e.st.AckOutbox(ctx, testStream, "notifier", got[0].ID); err != nil {
		t.Fatal(err)
	}
	// Consumer b gets only new entries from ReadOutbox...
	gotB, err := e.st.ReadOutbox(ctx, testStream, "notifier", "b", 10, 0)
	if err != nil || len(gotB) != 2 || gotB[0].TicketID != "T4" {
		t.Fatalf("b read %+v %v", gotB, err)
	}
	e.st.AckOutbox(ctx, testStream, "notifier", gotB[0].ID, gotB[1].ID)
	// ...and a's unacknowledged entries only once they have been idle long enough.
	if stale, err := e.st.ClaimStaleOutbox(ctx, testStream, "notifier", "b", time.Hour, 10); err != nil || len(stale) != 0 {
		t.Fatalf("claimed fresh entries: %+v %v", stale, err)
	}
	time.Sleep(30 * time.Millisecond)
	stale, err := e.st.ClaimStaleOutbox(ctx, testStream, "notifier", "b", 20*time.Millisecond, 10)
	if err != nil || len(stale) != 2 || stale[0].ID != got[1].ID || stale[1].ID != got[2].ID {
		t.Fatalf("stale claim %+v %v", stale, err)
	}
	if err := e.st.AckOutbox(ctx, testStream, "notifier", stale[0].ID, stale[1].ID); err != nil {
		t.Fatal(err)
	}
	pending := e.srv.Universal(t).XPending(ctx, e.st.outboxKey(testStream), "notifier").Val()
	if pending.Count != 0 {
		t.Fatalf("%d entries still pending", pending.Count)
	}
	// A second group sees everything from the start of the stream.
	all, _ := e.st.ReadOutbox(ctx, testStream, "audit", "x", 100, 0)
	if len(all) != 5 {
		t.Fatalf("new group read %d entries, want 5", len(all))
	}
}

func TestOutboxBlockingRead(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	start := time.Now()
	got, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p", 10, 60*time.Millisecond)
	if err != nil || got != nil {
		t.Fatalf("empty read: %+v %v", got, err)
	}
	// It waited (a read that ignored block would return at once); the upper
	// bound only catches a read that never ends, so it is generous.
	if d := time.Since(start); d < 50*time.Millisecond || d > 30*time.Second {
		t.Fatalf("blocking read returned after %v", d)
	}
	done := make(chan []OutboxEntry, 1)
	go func() {
		got, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p", 10, 5*time.Second)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	time.Sleep(50 * time.Millisecond)
	e.openTicket(t, "B1")
	select {
	case got := <-done:
		if len(got) != 1 || got[0].Change != ChangeOpened {
			t.Fatalf("woken read %+v", got)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("blocked read did not see the new entry")
	}
	// A deleted stream (or a Redis that restarted empty) gets its group back.
	e.srv.Universal(t).Del(ctx, e.st.outboxKey(OutboxTicketChanges))
	if _, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p", 10, 0); err != nil {
		t.Fatalf("read after the stream vanished: %v", err)
	}
}

func TestOutboxTrimKeepsUnacked(t *testing.T) {
	const bound = 200
	e := newEnv(t, Options{OutboxMaxLen: bound})
	ctx := context.Background()
	c := e.srv.Universal(t)
	key := e.st.outboxKey(testStream)
	enqueue := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := e.st.EnqueueOutbox(ctx, testStream, OutboxEntry{TicketID: "T1", Change: ChangeNoted}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A group that reads but never acknowledges: nothing may be trimmed.
	if _, err := e.st.ReadOutbox(ctx, testStream, "slow", "s", 1, 0); err != nil {
		t.Fatal(err)
	}
	enqueue(1000)
	first, _ := e.st.ReadOutbox(ctx, testStream, "slow", "s", 600, 0)
	enqueue(500)
	if n := c.XLen(ctx, key).Val(); n != 1500 {
		t.Fatalf("stream length %d: entries pending or unread for a group were trimmed", n)
	}
	// Acknowledge the first 600: those may go, the unread rest may not.
	ids := make([]string, len(first))
	for i, en := range first {
		ids[i] = en.ID
	}
	if err := e.st.AckOutbox(ctx, testStream, "slow", ids...); err != nil {
		t.Fatal(err)
	}
	enqueue(1)
	n := c.XLen(ctx, key).Val()
	if n > 1501-500 || n < 901 {
		t.Fatalf("stream length %d after acking 600 of 1501: want the acked entries trimmed, the 901 others kept", n)
	}
	rest, _ := e.st.ReadOutbox(ctx, testStream, "slow", "s", 10_000, 0)
	if len(rest) != 901 {
		t.Fatalf("the group could still read %d entries, want 901", len(rest))
	}
	// Everything acknowledged: the stream shrinks to about the bound.
	ids = ids[:0]
	for _, en := range rest {
		ids = append(ids, en.ID)
	}
	e.st.AckOutbox(ctx, testStream, "slow", ids...)
	enqueue(1)
	if n := c.XLen(ctx, key).Val(); n > 2*bound+100 || n < bound {
		t.Fatalf("stream length %d after acking everything, want about %d", n, bound)
	}

	// A stream without consumer groups is trimmed by length alone.
	for i := 0; i < 1000; i++ {
		e.st.EnqueueOutbox(ctx, "audit-copy", OutboxEntry{TicketID: "T1", Change: ChangeNoted})
	}
	if n := c.XLen(ctx, e.st.outboxKey("audit-copy")).Val(); n > 2*bound+100 {
		t.Fatalf("group-less stream length %d, want about %d", n, bound)
	}
}

func TestOutboxValidation(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	cases := []struct {
		stream string
		e      OutboxEntry
	}{
		{"", OutboxEntry{TicketID: "T1"}},
		{"Bad Name", OutboxEntry{TicketID: "T1"}},
		{OutboxTicketChanges, OutboxEntry{}},
		{OutboxTicketChanges, OutboxEntry{TicketID: "T1", Payload: map[string]string{"t": "x"}}},
	}
	for i, tc := range cases {
		if _, err := e.st.EnqueueOutbox(ctx, tc.stream, tc.e); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("case %d: %v, want invalid", i, err)
		}
	}
	if _, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "", "c", 1, 0); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("read without group: %v", err)
	}
}

// Groups named in Options.OutboxGroups exist from the start, so a burst written
// before the consumer's first read is kept whole.
func TestOutboxGroupsCreatedAtStart(t *testing.T) {
	e := newEnv(t, Options{OutboxMaxLen: 100, OutboxGroups: map[string][]string{OutboxTicketChanges: {"poster"}}})
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		e.openTicket(t, fmt.Sprint("G", i))
	}
	got, err := e.st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p", 1000, 0)
	if err != nil || len(got) != 300 {
		t.Fatalf("poster read %d entries (%v), want all 300", len(got), err)
	}
	if _, err := New(ctx, e.srv.Universal(t), Options{OutboxGroups: map[string][]string{"Bad Name": {"g"}}}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("bad stream name: %v", err)
	}
}

// testStream is an outbox stream of the tests' own, so they never meet what
// the ticket scripts write.
const testStream = "test"

// TestOutboxUnderItsOldNameIsMoved: a Redis written by a version that named
// the ticket-change stream "slack" keeps its unread entries and consumer
// groups when a Store of this version starts on it.
func TestOutboxUnderItsOldNameIsMoved(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	c := e.srv.Universal(t)
	old := e.st.outboxKey("slack")
	c.Del(ctx, e.st.outboxKey(OutboxTicketChanges))
	if err := c.XGroupCreateMkStream(ctx, old, "poster", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: old, Values: []string{"t", "T7", "c", "claimed"}}).Err(); err != nil {
		t.Fatal(err)
	}
	st := newStoreOn(t, e.srv, Options{Now: e.clock.Now})
	if c.Exists(ctx, old).Val() != 0 {
		t.Fatal("the stream is still under its old name")
	}
	got, err := st.ReadOutbox(ctx, OutboxTicketChanges, "poster", "p", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TicketID != "T7" || got[0].Change != ChangeClaimed {
		t.Fatalf("after the move the poster group reads %+v, want T7's claim", got)
	}
	// A second replica starting later finds nothing to move and leaves the
	// stream as it is.
	newStoreOn(t, e.srv, Options{Now: e.clock.Now})
	if n := c.XLen(ctx, st.outboxKey(OutboxTicketChanges)).Val(); n != 1 {
		t.Fatalf("stream holds %d entries after a second start, want 1", n)
	}
}
