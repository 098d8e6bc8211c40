package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// TestDigestOncePerDay runs the digest job of three replicas against one Redis
// and the local Slack fake: the digest is posted once, with its chart through
// the external upload flow; a day later it is posted once more; after a missed
// day (the replicas were down at digest time) the missed digest is posted once
// when they run again.
func TestDigestOncePerDay(t *testing.T) {
	const channel = "C0DIGEST"
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, shanghai) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	srv := redistest.Start(t)
	fake := slackfake.New(slackfake.Config{Channels: []string{channel}})
	t.Cleanup(fake.Close)
	ctx := context.Background()

	var replicas []*Digest
	for i := range 3 {
		st, err := store.New(ctx, srv.Client(t), store.Options{Now: clock, Location: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		b := testBot(t, fake, st, clock, shanghai)
		replicas = append(replicas, &Digest{Store: st, Model: &analytics.Model{Rollups: st, Location: shanghai},
			Poster: b, Channel: channel, At: 8*time.Hour + 30*time.Minute, Location: shanghai,
			Holder: fmt.Sprint("replica-", i), Now: clock})
	}
	// Sunday: three stalled parcels open, one is resolved.
	set(time.Date(2025, 6, 1, 14, 0, 0, 0, shanghai))
	st := replicas[0].Store
	var ups []store.Upsert
	for i := range 3 {
		ups = append(ups, store.Upsert{Anomaly: orderbot.Anomaly{Kind: orderbot.ShippingStalled, Subject: fmt.Sprint("o", i),
			Source: "aftership", Severity: orderbot.SeverityMedium, Department: "logistics", Summary: "stalled",
			Dims: orderbot.Dims{SKU: "SKU-9", Courier: "sf"}}})
	}
	res, err := st.UpsertTickets(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	set(time.Date(2025, 6, 1, 16, 0, 0, 0, shanghai))
	if _, _, err := st.Transition(ctx, res[0].Ticket.ID, store.Transition{Action: orderbot.ActResolve, Actor: "U1",
		Resolution: &orderbot.Resolution{Code: "moving_again"}}); err != nil {
		t.Fatal(err)
	}

	runAll := func() int {
		var wg sync.WaitGroup
		var posted sync.Map
		for i, d := range replicas {
			wg.Go(func() {
				ok, err := d.Run(ctx)
				if err != nil {
					t.Error(err)
				}
				posted.Store(i, ok)
			})
		}
		wg.Wait()
		n := 0
		posted.Range(func(_, v any) bool {
			if v.(bool) {
				n++
			}
			return true
		})
		return n
	}
	// Monday 08:00: not due yet, but Sunday's digest (due Sunday 08:30) was
	// never posted: the job catches up with it.
	set(time.Date(2025, 6, 2, 8, 0, 0, 0, shanghai))
	if n := runAll(); n != 1 {
		t.Fatalf("catch-up: %d replicas posted, want 1", n)
	}
	msgs := fake.Messages(channel)
	if len(msgs) != 1 || !bytes.Contains([]byte(msgs[0].Text), []byte("Saturday 31 May")) {
		t.Fatalf("messages %+v", msgs)
	}
	// Monday 08:30: Monday's digest, about Sunday, posted once by three replicas.
	set(time.Date(2025, 6, 2, 8, 30, 0, 0, shanghai))
	if n := runAll(); n != 1 {
		t.Fatalf("%d replicas posted, want 1", n)
	}
	if n := runAll(); n != 0 {
		t.Fatalf("a second run posted %d more", n)
	}
	msgs = fake.Messages(channel)
	if len(msgs) != 2 {
		t.Fatalf("%d digests, want 2", len(msgs))
	}
	txt := msgs[1].Text + " " + string(mustJSON(t, msgs[1].Blocks))
	for _, want := range []string{"Sunday 1 June", "3 tickets opened", "Parcel stalled ×3", "SKU-9 ×3", "sf ×3", "1 resolved, 1 by staff"} {
		if !bytes.Contains([]byte(txt), []byte(want)) {
			t.Errorf("digest lacks %q: %s", want, txt)
		}
	}
	files := fake.Files(channel)
	if len(files) != 2 || !bytes.HasPrefix(files[1].Bytes, []byte("\x89PNG\r\n\x1a\n")) || files[1].Title == "" {
		t.Fatalf("files %d, last %q %d bytes", len(files), files[len(files)-1].Title, len(files[len(files)-1].Bytes))
	}
	// Down Tuesday and Wednesday; back Thursday 10:00: Thursday's digest once,
	// not one per missed day.
	set(time.Date(2025, 6, 5, 10, 0, 0, 0, shanghai))
	if n := runAll(); n != 1 {
		t.Fatalf("after the missed days: %d replicas posted, want 1", n)
	}
	if n := len(fake.Messages(channel)); n != 3 {
		t.Fatalf("%d digests, want 3", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
