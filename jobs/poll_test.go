package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/internal/fakes/memory"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
	"github.com/orderbot/orderbot/tickets"
)

// clock is a settable test clock shared by the store, engine and poller.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type rig struct {
	st     *store.Store
	clk    *clock
	shop   *memory.Source
	stripe *memory.Source
	kd     *memory.Source
	poller *Poller
}

func newRig(t *testing.T) *rig { t.Helper(); return newRigWith(t, store.Options{}) }

// newRigWith is newRig with store options (the clock is the rig's).
func newRigWith(t *testing.T, opts store.Options) *rig {
	t.Helper()
	srv := redistest.Start(t)
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	opts.Now = clk.Now
	st, err := store.New(context.Background(), srv.Client(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{st: st, clk: clk, shop: memory.New("shop", orderbot.SideShop), stripe: memory.New("stripe", ""), kd: memory.New("kd", "")}
	settings := orderbot.DefaultKindSettings()
	r.poller = &Poller{
		Store:    st,
		Detector: detect.New(settings, detect.Options{}),
		Engine:   tickets.New(st, tickets.Options{Settings: settings, Now: clk.Now}),
		Sources: []Source{
			{Name: "shop", Orders: r.shop},
			{Name: "stripe", Payments: r.stripe},
			{Name: "kd", Tracking: r.kd},
		},
		Now:     clk.Now,
		Metrics: NewMetrics(nil),
	}
	return r
}

func (r *rig) order(id string, mod func(*orderbot.Order)) orderbot.Order {
	now := r.clk.Now()
	o := orderbot.Order{
		ID: id, Source: "shop", Name: "#" + id, Status: orderbot.OrderProcessing,
		Financial: orderbot.FinancialPending, Fulfillment: orderbot.FulfillmentUnfulfilled,
		Total: orderbot.Money{Minor: 19900, Currency: "USD"}, PaymentMethod: orderbot.PayCard,
		Customer:         orderbot.Customer{Phone: "+14155552671", Email: "a@example.com", Locale: "en", Timezone: "America/New_York"},
		ShippingAddress:  orderbot.Address{Line1: "1 Main St", City: "San Francisco", Province: "CA", PostalCode: "94105", Country: "US"},
		RequiresShipping: true,
		Lines:            []orderbot.LineItem{{SKU: "SKU-1", Quantity: 1}},
		CreatedAt:        now.Add(-time.Hour), UpdatedAt: now.Add(-time.Minute),
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

// ticketsOf lists every ticket of a kind, active or resolved.
func ticketsOf(t *testing.T, st *store.Store, k orderbot.Kind) []orderbot.Ticket {
	t.Helper()
	var all []orderbot.Ticket
	for _, state := range []orderbot.TicketState{"", orderbot.StateResolved} { // "" = every active state
		ts, err := st.List(context.Background(), store.Filter{Kind: k, State: state, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ts...)
	}
	return all
}

func activeOf(t *testing.T, st *store.Store, k orderbot.Kind) []orderbot.Ticket {
	t.Helper()
	ts, err := st.OpenTicketsOfKind(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// A payment captured at Stripe for an order the shop still shows unpaid opens
// payment.unrecorded once the grace period passed and the next poll still
// finds it (the default flap guard); marking the order paid auto-resolves it
// once two polls found it paid. The order does not change in between: the
// watch list brings it back for each look.
func TestPollJoinsSourcesAndAutoResolves(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.shop.PutOrders(r.order("1001", nil))
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_1", Provider: "stripe", OrderID: "1001",
		Amount: orderbot.Money{Minor: 19900, Currency: "USD"}, Status: orderbot.PaymentSucceeded,
		CreatedAt: r.clk.Now().Add(-20 * time.Minute)})

	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 0 {
		t.Fatalf("payment.unrecorded opened on the first look: %+v", open)
	}
	cur, _ := r.st.Cursor(ctx, "stripe")
	if !cur.Equal(r.clk.Now()) {
		t.Fatalf("stripe cursor = %v, want %v", cur, r.clk.Now())
	}
	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	open := activeOf(t, r.st, orderbot.PaymentUnrecorded)
	if len(open) != 1 || open[0].Subject != "1001" {
		t.Fatalf("payment.unrecorded tickets = %+v, want one for 1001", open)
	}

	// Polling again without change: still one ticket, not a second one.
	r.clk.Add(time.Minute)
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(ticketsOf(t, r.st, orderbot.PaymentUnrecorded)); n != 1 {
		t.Fatalf("%d tickets after a second poll, want 1", n)
	}

	// The shop records the payment: the next poll clears the ticket.
	r.clk.Add(time.Minute)
	r.shop.PutOrders(r.order("1001", func(o *orderbot.Order) {
		o.Financial, o.PaidAt, o.UpdatedAt = orderbot.FinancialPaid, r.clk.Now().Add(-30*time.Second), r.clk.Now().Add(-30*time.Second)
	}))
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 1 {
		t.Fatalf("ticket resolved on the first look that found it paid: %+v", open)
	}
	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 0 {
		t.Fatalf("ticket still active after the order was paid: %+v", open)
	}
	all := ticketsOf(t, r.st, orderbot.PaymentUnrecorded)
	if len(all) != 1 || all[0].State != orderbot.StateResolved || all[0].Resolution == nil || !all[0].Resolution.Auto {
		t.Fatalf("ticket = %+v, want auto-resolved", all)
	}
}

// A payment for an order the shop never showed is held back once by the
// default flap guard; the next Stripe poll lists nothing new, yet the order id
// is on the watch list, its payment is joined again and the ticket opens.
// Before, the pending finding was never looked at again and never opened.
func TestPendingPaymentOfUnknownOrderIsLookedAtAgain(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_9", Provider: "stripe", OrderID: "9009",
		Amount: orderbot.Money{Minor: 5000, Currency: "USD"}, Status: orderbot.PaymentSucceeded,
		CreatedAt: r.clk.Now().Add(-3 * time.Hour)})
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 0 {
		t.Fatalf("opened on the first look: %+v", open)
	}
	// Far past the overlap window: Stripe lists nothing new.
	r.clk.Add(2 * time.Hour)
	if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	open := activeOf(t, r.st, orderbot.PaymentUnrecorded)
	if len(open) != 1 || open[0].Subject != "9009" {
		t.Fatalf("payment.unrecorded tickets = %+v, want one for 9009", open)
	}
}

// A crash after tickets were written but before the cursor moved: the cursor
// stays, and the re-run neither loses the finding nor opens a second ticket.
func TestCrashBeforeCommitLosesNothingDuplicatesNothing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.poller.PollAll(ctx); err != nil { // first polls set every cursor
		t.Fatal(err)
	}
	r.clk.Add(30 * time.Minute)
	before, _ := r.st.Cursor(ctx, "stripe")
	r.shop.PutOrders(r.order("2002", nil))
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_2", OrderID: "2002", Amount: orderbot.Money{Minor: 19900, Currency: "USD"},
		Status: orderbot.PaymentSucceeded, CreatedAt: r.clk.Now().Add(-20 * time.Minute)})
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	r.poller.beforeCommit = func(context.Context) { cancel() }
	if _, err := r.poller.Poll(cctx, "stripe"); !errors.Is(err, context.Canceled) {
		t.Fatalf("crashed poll err = %v, want context.Canceled", err)
	}
	if after, _ := r.st.Cursor(ctx, "stripe"); !after.Equal(before) {
		t.Fatalf("cursor moved from %v to %v although the cycle did not finish", before, after)
	}
	r.poller.beforeCommit = nil

	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	ts := ticketsOf(t, r.st, orderbot.PaymentUnrecorded)
	if len(ts) != 1 || ts[0].Subject != "2002" || !ts[0].State.Active() {
		t.Fatalf("after re-run: %+v, want exactly one active ticket for 2002", ts)
	}
	if after, _ := r.st.Cursor(ctx, "stripe"); !after.Equal(r.clk.Now()) {
		t.Fatalf("cursor after re-run = %v, want %v", after, r.clk.Now())
	}
}

// A source failing N polls in a row opens system.source_down at the Nth failure;
// its recovery auto-resolves it. The cursor never moves while it fails.
func TestSourceDownOpensAndRecovers(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := r.st.Cursor(ctx, "stripe")
	boom := orderbot.Errorf(orderbot.KindTransient, "stripe.list", "503 from provider")
	r.stripe.FailNext(boom, boom, boom)
	for i := 1; i <= 3; i++ {
		r.clk.Add(time.Minute)
		if _, err := r.poller.Poll(ctx, "stripe"); err == nil {
			t.Fatalf("poll %d succeeded, want the injected failure", i)
		}
		open := activeOf(t, r.st, orderbot.SystemSourceDown)
		if want := i >= 3; (len(open) == 1) != want {
			t.Fatalf("after %d failures source_down open = %d", i, len(open))
		}
	}
	if c, _ := r.st.Cursor(ctx, "stripe"); !c.Equal(cur) {
		t.Fatalf("cursor moved during failures: %v → %v", cur, c)
	}
	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	if open := activeOf(t, r.st, orderbot.SystemSourceDown); len(open) != 0 {
		t.Fatalf("source_down still open after recovery: %+v", open)
	}
}

// Time-based kinds fire for orders that did not change: the watch list brings a
// paid, unshipped order back when its ship-by deadline passes.
func TestWatchListFiresLateDispatchWithoutChange(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	paid := r.clk.Now().Add(-time.Hour)
	r.shop.PutOrders(r.order("3003", func(o *orderbot.Order) {
		o.Financial, o.PaidAt = orderbot.FinancialPaid, paid
	}))
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_3", OrderID: "3003", Amount: orderbot.Money{Minor: 19900, Currency: "USD"},
		Status: orderbot.PaymentSucceeded, CreatedAt: paid})
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(ticketsOf(t, r.st, orderbot.ShippingLateDispatch)); n != 0 {
		t.Fatalf("late dispatch fired %d times an hour after payment", n)
	}
	// 48 h pass with no change to the order; only the other sources poll.
	for i := 0; i < 4; i++ {
		r.clk.Add(12 * time.Hour)
		if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
			t.Fatal(err)
		}
	}
	ts := ticketsOf(t, r.st, orderbot.ShippingLateDispatch)
	if len(ts) != 1 || ts[0].Subject != "3003" || ts[0].Stage != "" {
		t.Fatalf("late dispatch tickets = %+v, want one breach for 3003", ts)
	}
}

// A per-parcel tracker (no list API) is asked about parcels of in-flight orders;
// a carrier exception opens shipping.exception.
func TestPerParcelTrackerQueue(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	shipped := r.clk.Now().Add(-30 * time.Hour)
	r.shop.PutOrders(r.order("4004", func(o *orderbot.Order) {
		o.Financial, o.PaidAt = orderbot.FinancialPaid, shipped.Add(-time.Hour)
		o.Fulfillment, o.ShippedAt = orderbot.FulfillmentFulfilled, shipped
		o.Lines[0].Fulfilled = 1
		o.Shipments = []orderbot.ShipmentRef{{TrackingNumber: "YT123", Carrier: "yuantong", ShippedAt: shipped}}
	}))
	r.kd.PutShipments(orderbot.Shipment{TrackingNumber: "YT123", Carrier: "yuantong", Status: orderbot.ShipException,
		StatusCode: "2", LastEventAt: r.clk.Now().Add(-2 * time.Hour), PickedUpAt: shipped.Add(2 * time.Hour),
		Checkpoints: []orderbot.Checkpoint{{Time: r.clk.Now().Add(-2 * time.Hour), Message: "address unknown", Status: orderbot.ShipException}}})
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.poller.Poll(ctx, "kd"); err != nil {
		t.Fatal(err)
	}
	if r.kd.Calls() != 1 {
		t.Fatalf("tracker asked %d times, want once", r.kd.Calls())
	}
	ts := ticketsOf(t, r.st, orderbot.ShippingException)
	if len(ts) != 1 || ts[0].Subject != "4004" {
		t.Fatalf("shipping.exception tickets = %+v, want one for 4004", ts)
	}
	// Asked again only after the recheck interval.
	r.clk.Add(time.Hour)
	if _, err := r.poller.Poll(ctx, "kd"); err != nil {
		t.Fatal(err)
	}
	if r.kd.Calls() != 1 {
		t.Fatalf("tracker asked %d times within the recheck interval, want 1", r.kd.Calls())
	}
	r.clk.Add(2 * time.Hour)
	if _, err := r.poller.Poll(ctx, "kd"); err != nil {
		t.Fatal(err)
	}
	if r.kd.Calls() != 2 {
		t.Fatalf("tracker asked %d times after the recheck interval, want 2", r.kd.Calls())
	}
}

// racingShop lists its orders and, after handing over the first page, lets
// another source's poll run to completion before the listing ends: the shop
// cycle then joins its pages with payments while the Stripe cycle commits.
type racingShop struct {
	*memory.Source
	during func()
}

func (s racingShop) ListOrders(ctx context.Context, w orderbot.Window, fn func([]orderbot.Order) error) error {
	first := true
	return s.Source.ListOrders(ctx, w, func(page []orderbot.Order) error {
		if err := fn(page); err != nil {
			return err
		}
		if first {
			first = false
			s.during()
		}
		return nil
	})
}

// A payment source that commits while the shop cycle is joining its pages
// must not make a paid order's payment look missing: coverage is read before
// any record, so the shop cycle never claims to know payments it did not read.
func TestCoverageIsReadBeforeRecords(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	paidAt := r.clk.Now().Add(-2 * time.Hour)
	o := r.order("9001", func(o *orderbot.Order) {
		o.Financial, o.PaidAt, o.CreatedAt = orderbot.FinancialPaid, paidAt, paidAt
	})
	r.shop.PutOrders(o)
	r.stripe.PutPayments(orderbot.Payment{ID: "pi_9001", OrderID: "9001", Amount: o.Total,
		Status: orderbot.PaymentSucceeded, CreatedAt: paidAt})
	shop := racingShop{Source: r.shop}
	shop.during = func() {
		// Let the shop cycle's stage read the page's (still absent) payments,
		// then run the whole Stripe poll.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if n, _ := r.st.Client().Exists(ctx, "ob:ord:9001").Result(); n == 1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
			t.Error(err)
		}
	}
	r.poller.Sources[0].Orders = shop
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if got := ticketsOf(t, r.st, orderbot.PaymentMissing); len(got) != 0 {
		t.Fatalf("a paid order's payment was taken as missing: %+v", got[0].Summary)
	}
	// The next shop cycle sees the payment and coverage together: still clean.
	r.clk.Add(time.Minute)
	if _, err := r.poller.Poll(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if got := ticketsOf(t, r.st, orderbot.PaymentMissing); len(got) != 0 {
		t.Fatalf("payment.missing after both polls: %+v", got[0].Summary)
	}
}
