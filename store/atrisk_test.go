package store

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// TestAtRiskStoredOnce follows a ticket's money at risk through every reader:
// the ticket field ar is its one home, so a changed amount reaches the ticket
// read back (with and without content), the storm sum the poster builds from
// it, and the analytics figures (opened at the first amount, recovered at the
// amount the ticket held when it was resolved).
func TestAtRiskStoredOnce(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	usd := func(m int64) orderbot.Money { return orderbot.Money{Minor: m, Currency: "USD"} }
	a := anomaly(orderbot.SyncAmountMismatch, "1001")
	a.AtRisk = usd(500)
	res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
	if err != nil || res[0].Change != ChangeOpened {
		t.Fatalf("open: %+v %v", res, err)
	}
	id := res[0].Ticket.ID
	raw := e.srv.Universal(t).Get(ctx, e.st.ticketKey(id)).Val()
	if c, _ := ticketField(raw, "c"); c == "" || c != string(appendContent(nil, &a)) {
		t.Fatalf("content %q holds more than summary and facts", c)
	}

	// Only the amount moves: the card must show the new one, so it is an update.
	a.AtRisk = usd(700)
	res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
	if err != nil || res[0].Change != ChangeUpdated || res[0].Ticket.AtRisk != a.AtRisk {
		t.Fatalf("amount changed: %+v %v", res, err)
	}
	tk, err := e.st.Get(ctx, id)
	if err != nil || tk.AtRisk != a.AtRisk {
		t.Fatalf("read back %+v %v", tk.AtRisk, err)
	}
	list, err := e.st.List(ctx, Filter{})
	if err != nil || len(list) != 1 || list[0].AtRisk != a.AtRisk {
		t.Fatalf("listed %+v %v", list, err)
	}
	// The same amount again is a plain recurrence and keeps it.
	if res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}}); err != nil || res[0].Change != ChangeRecurred || res[0].Ticket.AtRisk != a.AtRisk {
		t.Fatalf("recurred: %+v %v", res, err)
	}

	// The storm sum, from tickets as read back (threshold 1: the first gets a card).
	other := anomaly(orderbot.SyncAmountMismatch, "1002")
	other.AtRisk = usd(40)
	res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: other}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.st.Get(ctx, res[0].Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	ts := []StormTicket{{ID: first.ID, Subject: first.Subject, Count: first.Count, AtRisk: first.AtRisk},
		{ID: tk.ID, Subject: tk.Subject, Count: tk.Count, AtRisk: tk.AtRisk}}
	if _, err := e.st.AdmitSlackCards(ctx, "C1", a.Kind, time.Minute, 1, time.Hour, ts); err != nil {
		t.Fatal(err)
	}
	storm, err := e.st.SlackStorm(ctx, "C1", a.Kind, 5)
	if err != nil || len(storm.AtRisk) != 1 || storm.AtRisk[0] != usd(700) {
		t.Fatalf("storm at risk %+v %v, want 7.00 USD", storm.AtRisk, err)
	}

	// The analytics figures.
	if _, _, err := e.st.Transition(ctx, id, Transition{Action: orderbot.ActResolve, Actor: "U1",
		Resolution: &orderbot.Resolution{Code: "refunded"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FoldRollups(ctx); err != nil {
		t.Fatal(err)
	}
	day := e.clock.Now().Truncate(24 * time.Hour)
	r, err := e.st.ReadRollup(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var atRisk, recovered int64
	for k, v := range r.Counters {
		switch {
		case k.Metric == MetricAtRisk && k.Extra == "USD":
			atRisk += v
		case k.Metric == MetricRecovered && k.Extra == "USD":
			recovered += v
		}
	}
	if atRisk != 500+40 || recovered != 700 {
		t.Errorf("at risk %d recovered %d, want 540 and 700\n%s", atRisk, recovered, r)
	}
}
