package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store/redistest"
)

// fakeClock is a settable clock shared by the Stores of one test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 3, 10, 32, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// testEnv is a fresh redis-server, a clock and a Store on it.
type testEnv struct {
	srv   *redistest.Server
	clock *fakeClock
	st    *Store
}

func newEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	srv := redistest.Start(t)
	clock := newClock()
	opts.Now = clock.Now
	return &testEnv{srv: srv, clock: clock, st: newStoreOn(t, srv, opts)}
}

// newStoreOn opens another Store (its own client and pool) on srv, as a second
// replica would.
func newStoreOn(t testing.TB, srv *redistest.Server, opts Options) *Store {
	t.Helper()
	st, err := New(context.Background(), srv.Universal(t), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return st
}

func anomaly(kind orderbot.Kind, subject string) orderbot.Anomaly {
	return orderbot.Anomaly{
		Kind: kind, Subject: subject, OrderID: subject, Source: "shopify",
		Severity: orderbot.SeverityHigh, Department: "finance",
		Summary: fmt.Sprintf("Order %s: payment succeeded at the provider, order still unpaid", subject),
		Facts:   []orderbot.Fact{{Label: "Amount", Value: "199.00 USD"}, {Label: "Payment", Value: "pi_3Nabc"}},
	}
}

// openTicket upserts one anomaly with 15m/2h targets and returns its ticket.
func (e *testEnv) openTicket(t testing.TB, subject string) orderbot.Ticket {
	t.Helper()
	now := e.clock.Now()
	res, err := e.st.UpsertTickets(context.Background(), []Upsert{{
		Anomaly: anomaly(orderbot.PaymentUnrecorded, subject),
		AckDue:  now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour),
		ReopenWithin: 24 * time.Hour,
	}})
	if err != nil {
		t.Fatalf("UpsertTickets: %v", err)
	}
	return res[0].Ticket
}

func mustKind(t testing.TB, err error, want orderbot.ErrorKind) *orderbot.Error {
	t.Helper()
	if !orderbot.IsKind(err, want) {
		t.Fatalf("error %v: want kind %s", err, want)
	}
	var oe *orderbot.Error
	if e, ok := err.(*orderbot.Error); ok {
		oe = e
	}
	return oe
}
