package store

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// A recurrence whose text differs only in numbers (an age that grew) updates
// the ticket's content and its card, but writes no history entry; a change of
// the text itself still does. So a staff resolution stays visible in the
// history instead of sinking under "details changed" lines.
func TestNumbersOnlyRecurrenceWritesNoHistory(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	a := anomaly(orderbot.SystemStuck, "shopify/on_hold")
	a.OrderID = ""
	a.Summary = "Order #1001 has been on_hold at shopify longer than 2h (oldest for 3h)"
	upsert := func(summary string) UpsertResult {
		t.Helper()
		e.clock.Advance(time.Minute)
		a.Summary, a.DetectedAt = summary, e.clock.Now()
		res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	first := upsert(a.Summary)
	for _, h := range []string{"4h", "5h", "6h 10m"} {
		r := upsert("Order #1001 has been on_hold at shopify longer than 2h (oldest for " + h + ")")
		if r.Change != ChangeUpdated {
			t.Fatalf("age %s: change %s, want updated (the card shows the new age)", h, r.Change)
		}
	}
	got, err := e.st.Get(ctx, first.Ticket.ID)
	if err != nil || got.Summary != a.Summary || got.Count != 4 {
		t.Fatalf("stored %+v, %v; want the latest text and count 4", got, err)
	}
	hist, err := e.st.Audit(ctx, first.Ticket.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Action != orderbot.ActOpen {
		t.Fatalf("history = %+v, want only the open", hist)
	}
	upsert("Orders #1001 and #1002 have been on_hold at shopify longer than 2h (oldest for 6h)")
	if hist, _ := e.st.Audit(ctx, first.Ticket.ID, 0); len(hist) != 2 || hist[1].Detail != "details changed" {
		t.Fatalf("history = %+v, want the open and one \"details changed\"", hist)
	}
}

// The time a SKU started to differ survives later cycles (and a concurrent
// one cannot move it later); a SKU that agrees again is forgotten.
func TestTrackStockDiffs(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	t0 := e.clock.Now()
	if err := e.st.TrackStockDiffs(ctx, nil, map[string]time.Time{"S1": t0, "S2": t0}); err != nil {
		t.Fatal(err)
	}
	// A concurrent cycle that read nothing yet claims a later start.
	if err := e.st.TrackStockDiffs(ctx, nil, map[string]time.Time{"S1": t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.StockDiffSince(ctx)
	if err != nil || len(got) != 2 || !got["S1"].Equal(t0) {
		t.Fatalf("since = %v, %v", got, err)
	}
	if err := e.st.TrackStockDiffs(ctx, got, map[string]time.Time{"S1": t0}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.st.StockDiffSince(ctx); len(got) != 1 || !got["S1"].Equal(t0) {
		t.Fatalf("after S2 agreed: %v", got)
	}
}

// Authorised payments are followed until they are captured or voided.
func TestTrackAuthorizations(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	auth := orderbot.Payment{ID: "pi_1", OrderID: "1", Status: orderbot.PaymentAuthorized}
	other := orderbot.Payment{ID: "pi_2", OrderID: "2", Status: orderbot.PaymentSucceeded}
	if err := e.st.TrackAuthorizations(ctx, "stripe", []orderbot.Payment{auth, other}); err != nil {
		t.Fatal(err)
	}
	if ids, err := e.st.Authorizations(ctx, "stripe"); err != nil || len(ids) != 1 || ids[0] != "pi_1" {
		t.Fatalf("authorizations = %v, %v", ids, err)
	}
	auth.Status = orderbot.PaymentSucceeded
	if err := e.st.TrackAuthorizations(ctx, "stripe", []orderbot.Payment{auth}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := e.st.Authorizations(ctx, "stripe"); len(ids) != 0 {
		t.Fatalf("captured payment still followed: %v", ids)
	}
}
