package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

func TestTakeOverOutboxFromDeadConsumers(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := e.st.EnqueueOutbox(ctx, OutboxClicks, OutboxEntry{Payload: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.HeartbeatConsumer(ctx, OutboxClicks, "g", "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.ReadOutbox(ctx, OutboxClicks, "g", "a", 10, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("read: %d %v", len(got), err)
	}
	rdb := e.srv.Universal(t)
	key := e.st.outboxKey(OutboxClicks)
	// The takeover threshold is 1ms; wait until a has been idle that long.
	for {
		cs, err := rdb.XInfoConsumers(ctx, key, "g").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 1 && cs[0].Idle >= 2*time.Millisecond {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// a is idle, but its heartbeat is live: nothing is taken.
	if took, err := e.st.TakeOverOutbox(ctx, OutboxClicks, "g", "b", time.Millisecond, 10, false); err != nil || len(took) != 0 {
		t.Fatalf("took %d entries from a live consumer (%v)", len(took), err)
	}
	// a dies: its heartbeat runs out. b takes all three over.
	rdb.Del(ctx, e.st.consumerLeaseKey(OutboxClicks, "g", "a"))
	took, err := e.st.TakeOverOutbox(ctx, OutboxClicks, "g", "b", time.Millisecond, 10, false)
	if err != nil || len(took) != 3 || took[0].ID != got[0].ID || took[2].Payload["n"] != "2" {
		t.Fatalf("takeover: %+v %v", took, err)
	}
	// a, now holding nothing, is removed from the group on the next pass.
	if _, err := e.st.TakeOverOutbox(ctx, OutboxClicks, "g", "b", time.Millisecond, 10, false); err != nil {
		t.Fatal(err)
	}
	cs, _ := rdb.XInfoConsumers(ctx, key, "g").Result()
	if len(cs) != 1 || cs[0].Name != "b" || cs[0].Pending != 3 {
		t.Fatalf("consumers after the takeover: %+v", cs)
	}
	// b restarts under the same name: with self it gets its own entries back.
	again, err := e.st.TakeOverOutbox(ctx, OutboxClicks, "g", "b", time.Hour, 10, true)
	if err != nil || len(again) != 3 {
		t.Fatalf("own entries after a restart: %d %v", len(again), err)
	}
	if _, err := e.st.TakeOverOutbox(ctx, OutboxClicks, "g", "b", 0, 10, false); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("takeover without a ttl: %v", err)
	}
}
