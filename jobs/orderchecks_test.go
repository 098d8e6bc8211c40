package jobs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// querier is a per-order payment source (as Alipay is) holding trades by
// order id; it records which orders it was asked about.
type querier struct {
	mu    sync.Mutex
	pays  map[string]orderbot.Payment
	asked []string
}

func (q *querier) Name() string { return "alipay" }

func (q *querier) QueryPayment(_ context.Context, o orderbot.Order) (orderbot.Payment, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asked = append(q.asked, o.ID)
	p, ok := q.pays[o.ID]
	if !ok {
		return p, orderbot.Errorf(orderbot.KindNotFound, "test.query", "no trade")
	}
	return p, nil
}

func (q *querier) put(p orderbot.Payment) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pays[p.OrderID] = p
}

func (q *querier) askedAbout() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.asked)
}

// newQueryRig is the rig with an Alipay-like source next to Stripe.
func newQueryRig(t *testing.T) (*rig, *querier) {
	r := newRig(t)
	q := &querier{pays: map[string]orderbot.Payment{}}
	r.poller.Sources = append(r.poller.Sources, Source{Name: "alipay", PaymentQueries: q, RecheckEvery: 5 * time.Minute})
	return r, q
}

func (r *rig) wallet(id string, mod func(*orderbot.Order)) orderbot.Order {
	return r.order(id, func(o *orderbot.Order) {
		o.PaymentMethod, o.Total = orderbot.PayWallet, orderbot.Money{Minor: 8888, Currency: "CNY"}
		if mod != nil {
			mod(o)
		}
	})
}

func (r *rig) trade(orderID string, at time.Time) orderbot.Payment {
	return orderbot.Payment{ID: "2026" + orderID, Provider: "alipay", OrderID: orderID,
		Amount: orderbot.Money{Minor: 8888, Currency: "CNY"}, Status: orderbot.PaymentSucceeded, CreatedAt: at}
}

// A lost Alipay callback (掉单): the shop shows the order unpaid, Alipay has
// the money. The order cycle queues the order, the Alipay cycle asks, and
// payment.unrecorded opens with Alipay as its source once the next look still
// finds it (the default flap guard).
func TestPaymentQuerierFindsLostCallback(t *testing.T) {
	r, q := newQueryRig(t)
	ctx := context.Background()
	r.shop.PutOrders(r.wallet("5001", nil))
	q.put(r.trade("5001", r.clk.Now().Add(-40*time.Minute)))
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); !slices.Equal(got, []string{"5001"}) {
		t.Fatalf("asked about %v, want [5001]", got)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 0 {
		t.Fatalf("payment.unrecorded opened on the first look: %+v", open)
	}
	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	open := activeOf(t, r.st, orderbot.PaymentUnrecorded)
	if len(open) != 1 || open[0].Subject != "5001" || open[0].Source != "alipay" {
		t.Fatalf("payment.unrecorded = %+v, want one for 5001 from alipay", open)
	}
	// Settled: the succeeded payment takes the order out of the queue.
	r.clk.Add(time.Hour)
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); len(got) != 1 {
		t.Errorf("asked again about a settled order: %v", got)
	}
}

// A healthy shop paid through Alipay only: orders marked paid long ago (the
// first poll reads history) have no Stripe payment, and nothing opens —
// neither before Alipay is asked (the queue holds the payments coverage back)
// nor after (Alipay confirms the payment).
func TestPaymentQuerierHealthyShopOpensNothing(t *testing.T) {
	r, q := newQueryRig(t)
	ctx := context.Background()
	paid := r.clk.Now().Add(-3 * time.Hour)
	r.shop.PutOrders(r.wallet("5002", func(o *orderbot.Order) {
		o.CreatedAt, o.Financial, o.PaidAt, o.UpdatedAt = paid.Add(-time.Minute), orderbot.FinancialPaid, paid, paid
	}))
	q.put(r.trade("5002", paid))
	// Shop first, then Stripe, and only then Alipay: the order sits unasked
	// through two cycles that evaluate it.
	for _, src := range []string{"shop", "stripe", "alipay"} {
		if _, err := r.poller.Poll(ctx, src); err != nil {
			t.Fatal(err)
		}
		if open := activeOf(t, r.st, orderbot.PaymentMissing); len(open) != 0 {
			t.Fatalf("after the %s cycle: payment.missing opened %+v", src, open)
		}
	}
	for range 3 {
		r.clk.Add(10 * time.Minute)
		if _, err := r.poller.PollAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []orderbot.Kind{orderbot.PaymentMissing, orderbot.PaymentUnrecorded, orderbot.PaymentAmountMismatch} {
		if n := len(ticketsOf(t, r.st, k)); n != 0 {
			t.Errorf("%s: %d tickets on a healthy shop", k, n)
		}
	}
	if got := q.askedAbout(); !slices.Equal(got, []string{"5002"}) {
		t.Errorf("asked about %v, want [5002] once", got)
	}
}

// A trade Alipay does not know is asked about again after recheck_every while
// the order is in doubt; the shop marking the order paid makes it due at once;
// when Alipay then confirms, the order leaves the queue.
func TestPaymentQuerierRechecks(t *testing.T) {
	r, q := newQueryRig(t)
	ctx := context.Background()
	r.shop.PutOrders(r.wallet("5003", nil))
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	r.clk.Add(time.Minute) // not due yet
	if _, err := r.poller.Poll(ctx, "alipay"); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); len(got) != 1 {
		t.Fatalf("asked %v before recheck_every passed", got)
	}
	r.clk.Add(5 * time.Minute)
	if _, err := r.poller.Poll(ctx, "alipay"); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); len(got) != 2 {
		t.Fatalf("asked %v, want a recheck after recheck_every", got)
	}
	// The shop marks it paid (the callback did arrive); Alipay has the trade.
	r.clk.Add(time.Minute)
	now := r.clk.Now()
	r.shop.PutOrders(r.wallet("5003", func(o *orderbot.Order) {
		o.Financial, o.PaidAt, o.UpdatedAt = orderbot.FinancialPaid, now.Add(-10*time.Second), now.Add(-10*time.Second)
	}))
	q.put(r.trade("5003", now.Add(-20*time.Second)))
	for _, src := range []string{"shop", "alipay"} {
		if _, err := r.poller.Poll(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	if got := q.askedAbout(); len(got) != 3 {
		t.Fatalf("asked %v, want the changed order asked at once", got)
	}
	r.clk.Add(time.Hour)
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); len(got) != 3 {
		t.Errorf("asked %v after the payment was confirmed", got)
	}
	if n := len(ticketsOf(t, r.st, orderbot.PaymentMissing)); n != 0 {
		t.Errorf("payment.missing opened %d tickets", n)
	}
}

// Money after close: the shop cancelled the unpaid order, then the customer
// paid at Alipay. payment.after_close opens.
func TestPaymentQuerierAfterClose(t *testing.T) {
	r, q := newQueryRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	r.shop.PutOrders(r.wallet("5004", func(o *orderbot.Order) {
		o.Status, o.CancelledAt, o.StatusSince, o.UpdatedAt = orderbot.OrderCancelled, now.Add(-50*time.Minute), now.Add(-50*time.Minute), now.Add(-50*time.Minute)
	}))
	q.put(r.trade("5004", now.Add(-40*time.Minute)))
	for range 2 {
		if _, err := r.poller.PollAll(ctx); err != nil {
			t.Fatal(err)
		}
		r.clk.Add(20 * time.Minute)
	}
	open := activeOf(t, r.st, orderbot.PaymentAfterClose)
	if len(open) != 1 || open[0].Subject != "5004" {
		t.Fatalf("payment.after_close = %+v, want one for 5004", open)
	}
}

// Orders that cannot have gone through the provider are never asked about.
func TestPaymentQuerierSkipsCODAndSettled(t *testing.T) {
	r, q := newQueryRig(t)
	ctx := context.Background()
	r.shop.PutOrders(r.wallet("5005", func(o *orderbot.Order) { o.PaymentMethod = orderbot.PayCashOnDelivery }))
	r.shop.PutOrders(r.wallet("5006", func(o *orderbot.Order) { o.PaymentMethod = orderbot.PayBankTransfer }))
	r.shop.PutOrders(r.order("5007", func(o *orderbot.Order) {
		o.Financial, o.PaidAt = orderbot.FinancialPaid, r.clk.Now().Add(-50*time.Minute)
	}))
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_5007", Provider: "stripe", OrderID: "5007",
		Amount: orderbot.Money{Minor: 19900, Currency: "USD"}, Status: orderbot.PaymentSucceeded, CreatedAt: r.clk.Now().Add(-50 * time.Minute)})
	if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := q.askedAbout(); len(got) != 0 {
		t.Errorf("asked about %v", got)
	}
}

// A card order cancelled, then paid at Stripe, is found in the first round
// of polls although the Alipay source has never been polled before.
func TestPaymentQuerierLeavesListedPaymentsAlone(t *testing.T) {
	r, _ := newQueryRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	r.shop.PutOrders(r.order("5008", func(o *orderbot.Order) {
		o.CreatedAt = now.Add(-48 * time.Hour)
		o.Status, o.CancelledAt, o.StatusSince, o.UpdatedAt = orderbot.OrderCancelled, now.Add(-47*time.Hour), now.Add(-47*time.Hour), now.Add(-47*time.Hour)
		o.Financial = orderbot.FinancialVoided
	}))
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_5008", Provider: "stripe", OrderID: "5008",
		Amount: orderbot.Money{Minor: 19900, Currency: "USD"}, Status: orderbot.PaymentSucceeded, CreatedAt: now.Add(-46 * time.Hour)})
	r.poller.Sources[0].InitialLookback = 720 * time.Hour
	r.poller.Sources[1].InitialLookback = 720 * time.Hour
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.PaymentAfterClose); len(open) != 1 {
		t.Fatalf("payment.after_close = %+v, want one", open)
	}
}
