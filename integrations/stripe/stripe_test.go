package stripe_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/stripefake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T) *stripefake.Server {
	t.Helper()
	f := stripefake.New(stripefake.Options{})
	t.Cleanup(f.Close)
	return f
}

func newAdapter(t *testing.T, f *stripefake.Server, mutate func(*stripe.Options)) (*stripe.Client, *conformance.Sleeper) {
	t.Helper()
	sl := &conformance.Sleeper{}
	o := stripe.Options{
		Settings: httpclient.Settings{Name: "stripe-main", APIURL: f.URL(), Timeout: conformance.GenerousTimeout, RateLimit: -1, HTTPOptions: func(o *httpclient.Options) { o.Sleep = sl.Sleep }, Logger: slog.New(slog.DiscardHandler)},

		SecretKey: f.APIKey(),
	}
	if mutate != nil {
		mutate(&o)
	}
	c, err := stripe.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c, sl
}

func payment(n int, created time.Time, status orderbot.PaymentStatus, minor int64) orderbot.Payment {
	return orderbot.Payment{
		ID:        fmt.Sprintf("pi_%06d", n),
		Provider:  stripe.Provider,
		OrderID:   fmt.Sprintf("%d", 1000+n),
		Amount:    orderbot.Money{Minor: minor, Currency: "USD"},
		Status:    status,
		CreatedAt: created.UTC().Truncate(time.Second),
	}
}

func collect(t *testing.T, c *stripe.Client, w orderbot.Window) ([]orderbot.Payment, int) {
	t.Helper()
	return conformance.Collect(t, func(ctx context.Context, page func([]orderbot.Payment) error) error {
		return c.ListPayments(ctx, w, page)
	})
}

func window() orderbot.Window { return orderbot.Window{From: t0, To: t0.Add(time.Hour)} }

func byID(ps []orderbot.Payment) []orderbot.Payment {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b orderbot.Payment) int { return strings.Compare(a.ID, b.ID) })
	return ps
}

func mustAdd(t *testing.T, f *stripefake.Server, ps ...orderbot.Payment) {
	t.Helper()
	if err := f.AddPayments(ps...); err != nil {
		t.Fatal(err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []stripe.Options{
		{Settings: httpclient.Settings{APIURL: "https://api.stripe.com"}},
		{SecretKey: "sk_test_x", Settings: httpclient.Settings{APIURL: "not a url"}},
		{SecretKey: "sk_test_x", Lookback: -time.Hour},
	} {
		if _, err := stripe.New(o); orderbot.KindOf(err) != orderbot.KindInvalid {
			t.Errorf("New(%+v) err = %v, want KindInvalid", o, err)
		}
	}
}

func TestAuthAndHeaders(t *testing.T) {
	f := newFake(t)
	mustAdd(t, f, payment(1, t0.Add(time.Minute), orderbot.PaymentSucceeded, 500))
	c, _ := newAdapter(t, f, func(o *stripe.Options) {
		o.Account = "acct_123"
		o.APIVersion = "2024-06-20"
	})
	collect(t, c, window())
	reqs := f.Requests()
	if len(reqs) == 0 {
		t.Fatal("no requests")
	}
	for _, r := range reqs {
		if got := r.Header.Get("Authorization"); got != "Bearer "+f.APIKey() {
			t.Errorf("Authorization = %q", got)
		}
		if r.Header.Get("Stripe-Account") != "acct_123" || r.Header.Get("Stripe-Version") != "2024-06-20" {
			t.Errorf("headers = %v", r.Header)
		}
	}
	first := reqs[0]
	if first.Path != "/v1/payment_intents" || first.Query.Get("limit") != "100" ||
		first.Query.Get("created[gte]") != fmt.Sprint(t0.Unix()) || first.Query.Get("created[lt]") != fmt.Sprint(t0.Add(time.Hour).Unix()) ||
		first.Query.Get("expand[]") != "data.latest_charge.refunds" {
		t.Errorf("first request = %s %v", first.Path, first.Query)
	}
}

func TestUnauthorizedIsNotRetried(t *testing.T) {
	f := newFake(t)
	c, _ := newAdapter(t, f, func(o *stripe.Options) { o.SecretKey = "sk_test_wrong_key_9999" })
	err := c.ListPayments(context.Background(), window(), func([]orderbot.Payment) error { return nil })
	if orderbot.KindOf(err) != orderbot.KindUnauthorized {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if n := f.RequestCount(); n != 1 {
		t.Fatalf("requests = %d, want 1", n)
	}
	if !strings.Contains(err.Error(), "Invalid API Key provided") || strings.Contains(err.Error(), "sk_test_wrong_key_9999") {
		t.Fatalf("error = %v", err)
	}
}

func TestPaginationAcrossPages(t *testing.T) {
	f := newFake(t)
	var want []orderbot.Payment
	for i := 0; i < 250; i++ {
		p := payment(i, t0.Add(time.Duration(i)*10*time.Second), orderbot.PaymentSucceeded, int64(100+i))
		want = append(want, p)
	}
	mustAdd(t, f, want...)
	// Outside the window on both sides.
	mustAdd(t, f, payment(900, t0.Add(-time.Second), orderbot.PaymentSucceeded, 1), payment(901, t0.Add(time.Hour), orderbot.PaymentSucceeded, 1))
	c, _ := newAdapter(t, f, nil)
	got, pages := collect(t, c, window())
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
	if !slices.EqualFunc(byID(got), byID(want), paymentsEqual) {
		t.Fatalf("got %d payments, want %d", len(got), len(want))
	}
	// Newest first, as Stripe lists.
	if got[0].ID != "pi_000249" || got[len(got)-1].ID != "pi_000000" {
		t.Errorf("order: first %s last %s", got[0].ID, got[len(got)-1].ID)
	}
	var cursors []string
	for _, r := range f.Requests() {
		if r.Path == "/v1/payment_intents" {
			cursors = append(cursors, r.Query.Get("starting_after"))
		}
	}
	if !slices.Equal(cursors, []string{"", "pi_000150", "pi_000050"}) {
		t.Errorf("cursors = %v", cursors)
	}
}

func TestEmptyWindow(t *testing.T) {
	f := newFake(t)
	mustAdd(t, f, payment(1, t0.Add(-time.Hour), orderbot.PaymentSucceeded, 1))
	c, _ := newAdapter(t, f, nil)
	got, pages := collect(t, c, window())
	if len(got) != 0 || pages != 0 {
		t.Fatalf("got %v in %d pages, want nothing", got, pages)
	}
	if n := f.RequestCount(); n != 2 {
		t.Fatalf("requests = %d, want intents + refunds", n)
	}
	err := c.ListPayments(context.Background(), orderbot.Window{From: t0, To: t0}, func([]orderbot.Payment) error { return nil })
	if orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Fatalf("empty window: err = %v", err)
	}
}

func TestWindowBounds(t *testing.T) {
	f := newFake(t)
	mustAdd(t, f,
		payment(1, t0, orderbot.PaymentSucceeded, 1),                            // at From: in
		payment(2, t0.Add(time.Hour-time.Second), orderbot.PaymentSucceeded, 1), // last second: in
		payment(3, t0.Add(time.Hour), orderbot.PaymentSucceeded, 1),             // at To: out
		payment(4, t0.Add(-time.Second), orderbot.PaymentSucceeded, 1),          // before: out
	)
	c, _ := newAdapter(t, f, nil)
	got, _ := collect(t, c, window())
	if ids := ids(got); !slices.Equal(ids, []string{"pi_000001", "pi_000002"}) {
		t.Fatalf("ids = %v", ids)
	}
	// Fractional bounds round up: [t0+0.5s, t0+1h+0.5s) holds whole seconds t0+1s … t0+1h.
	got, _ = collect(t, c, orderbot.Window{From: t0.Add(500 * time.Millisecond), To: t0.Add(time.Hour + 500*time.Millisecond)})
	if ids := ids(got); !slices.Equal(ids, []string{"pi_000002", "pi_000003"}) {
		t.Fatalf("fractional ids = %v", ids)
	}
}

func ids(ps []orderbot.Payment) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	slices.Sort(out)
	return out
}

func TestRoundTrip(t *testing.T) {
	f := newFake(t)
	refunded := payment(1, t0.Add(time.Minute), orderbot.PaymentSucceeded, 19900)
	refunded.Refunds = []orderbot.Refund{
		{ID: "re_1", Amount: orderbot.Money{Minor: 900, Currency: "USD"}, Status: "succeeded", CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "re_2", Amount: orderbot.Money{Minor: 19000, Currency: "USD"}, Status: "pending", CreatedAt: t0.Add(3 * time.Minute)},
	}
	yen := payment(2, t0.Add(2*time.Minute), orderbot.PaymentSucceeded, 5000)
	yen.Amount.Currency = "JPY"
	unlinked := payment(3, t0.Add(3*time.Minute), orderbot.PaymentSucceeded, 700)
	unlinked.OrderID = ""
	want := []orderbot.Payment{
		refunded, yen, unlinked,
		payment(4, t0.Add(4*time.Minute), orderbot.PaymentPending, 1200),
		payment(7, t0.Add(7*time.Minute), orderbot.PaymentAuthorized, 1500), // requires_capture
		payment(5, t0.Add(5*time.Minute), orderbot.PaymentFailed, 1300),
		payment(6, t0.Add(6*time.Minute), orderbot.PaymentCanceled, 1400),
	}
	mustAdd(t, f, want...)
	c, _ := newAdapter(t, f, nil)
	got, _ := collect(t, c, window())
	if !slices.EqualFunc(byID(got), byID(want), paymentsEqual) {
		t.Fatalf("round trip:\n got %s\nwant %s", js(byID(got)), js(byID(want)))
	}
	one, err := c.GetPayment(context.Background(), "pi_000001")
	if err != nil || !paymentsEqual(one, refunded) {
		t.Fatalf("GetPayment = %s, %v", js(one), err)
	}
}

func TestCustomOrderIDKey(t *testing.T) {
	f := stripefake.New(stripefake.Options{OrderIDKey: "shop_order"})
	defer f.Close()
	mustAdd(t, f, payment(1, t0, orderbot.PaymentSucceeded, 1))
	c, _ := newAdapter(t, f, func(o *stripe.Options) { o.OrderIDKey = "shop_order" })
	got, _ := collect(t, c, window())
	if len(got) != 1 || got[0].OrderID != "1001" {
		t.Fatalf("got %s", js(got))
	}
}

func TestRefundOfOlderPaymentIsFolded(t *testing.T) {
	f := newFake(t)
	old := payment(1, t0.Add(-48*time.Hour), orderbot.PaymentSucceeded, 5000)
	old.Refunds = []orderbot.Refund{
		{ID: "re_old", Amount: orderbot.Money{Minor: 1000, Currency: "USD"}, Status: "succeeded", CreatedAt: t0.Add(-24 * time.Hour)},
		{ID: "re_new", Amount: orderbot.Money{Minor: 4000, Currency: "USD"}, Status: "succeeded", CreatedAt: t0.Add(10 * time.Minute)},
	}
	inWindow := payment(2, t0.Add(time.Minute), orderbot.PaymentSucceeded, 300)
	mustAdd(t, f, old, inWindow)
	c, _ := newAdapter(t, f, nil)
	got, pages := collect(t, c, window())
	if pages != 2 || len(got) != 2 {
		t.Fatalf("got %d payments in %d pages: %s", len(got), pages, js(got))
	}
	if !paymentsEqual(got[1], old) || !got[1].FullyRefunded() {
		t.Fatalf("older payment = %s, want it with both refunds", js(got[1]))
	}
}

func TestLookbackSeesLateStatusChanges(t *testing.T) {
	f := newFake(t)
	// Created before the window, succeeded (3-D Secure) during it.
	mustAdd(t, f, payment(1, t0.Add(-20*time.Minute), orderbot.PaymentSucceeded, 100))
	c, _ := newAdapter(t, f, nil)
	if got, _ := collect(t, c, window()); len(got) != 0 {
		t.Fatalf("without lookback got %s", js(got))
	}
	c, _ = newAdapter(t, f, func(o *stripe.Options) { o.Lookback = 30 * time.Minute })
	if got, _ := collect(t, c, window()); len(got) != 1 {
		t.Fatalf("with lookback got %s", js(got))
	}
}

func TestRecordUpdatedWhilePaging(t *testing.T) {
	f := newFake(t)
	var ps []orderbot.Payment
	for i := 0; i < 150; i++ {
		ps = append(ps, payment(i, t0.Add(time.Duration(i)*time.Second), orderbot.PaymentSucceeded, 1000))
	}
	mustAdd(t, f, ps...)
	c, _ := newAdapter(t, f, nil)
	var got []orderbot.Payment
	first := true
	err := c.ListPayments(context.Background(), window(), func(page []orderbot.Payment) error {
		got = append(got, page...)
		if first {
			first = false
			// pi_000149 was on this page; it is refunded before the next page.
			p := ps[149]
			p.Refunds = []orderbot.Refund{{ID: "re_x", Amount: orderbot.Money{Minor: 1000, Currency: "USD"}, Status: "succeeded", CreatedAt: t0.Add(30 * time.Minute)}}
			mustAdd(t, f, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	last := map[string]orderbot.Payment{}
	for _, p := range got {
		seen[p.ID]++
		last[p.ID] = p
	}
	if len(seen) != 150 {
		t.Fatalf("distinct = %d", len(seen))
	}
	for id, n := range seen {
		if n > 1 && id != "pi_000149" {
			t.Errorf("%s delivered %d times unchanged", id, n)
		}
	}
	final := last["pi_000149"]
	if seen["pi_000149"] != 2 || !final.FullyRefunded() {
		t.Fatalf("updated payment: delivered %d times, last %s; want the refunded version last", seen["pi_000149"], js(last["pi_000149"]))
	}
}

func TestGetPaymentNotFound(t *testing.T) {
	f := newFake(t)
	c, _ := newAdapter(t, f, nil)
	_, err := c.GetPayment(context.Background(), "pi_missing")
	if orderbot.KindOf(err) != orderbot.KindNotFound || !strings.Contains(err.Error(), "No such payment_intent") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.GetPayment(context.Background(), "../v1/refunds"); orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Fatalf("bad id: err = %v", err)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     providerfake.Fault
		retries   int
		timeout   time.Duration      // per attempt; default conformance.GenerousTimeout
		wantKind  orderbot.ErrorKind // "" = success
		wantText  string
		wantWaits []time.Duration
	}{
		{name: "429 with Retry-After then success", fault: providerfake.Fault{Kind: providerfake.RateLimited, RetryAfter: time.Second},
			wantWaits: []time.Duration{time.Second}},
		{name: "429 forever", fault: providerfake.Fault{Kind: providerfake.RateLimited, Times: 10}, retries: 2,
			wantKind: orderbot.KindRateLimited, wantText: "rate_limit"},
		{name: "500 then success", fault: providerfake.Fault{Kind: providerfake.ServerError, Times: 2}},
		// The fake holds the request until the client gives up, so the short
		// timeout is certain to fire.
		{name: "timeout", fault: providerfake.Fault{Kind: providerfake.Slow, Times: 5}, retries: -1, timeout: 100 * time.Millisecond,
			wantKind: orderbot.KindTransient, wantText: "did not answer"},
		// The retry must be answered within the timeout: long enough for a
		// loaded machine, short enough to keep the test quick.
		{name: "slow then success", fault: providerfake.Fault{Kind: providerfake.Slow}, timeout: 3 * time.Second},
		{name: "malformed JSON", fault: providerfake.Fault{Kind: providerfake.Malformed},
			wantKind: orderbot.KindPermanent, wantText: "malformed JSON"},
		{name: "wrong type", fault: providerfake.Fault{Kind: providerfake.WrongType},
			wantKind: orderbot.KindPermanent, wantText: `field "data.amount_received": want integer, got string`},
		{name: "wrong type in refunds", fault: providerfake.Fault{Kind: providerfake.WrongType, PathContains: "refunds"},
			wantKind: orderbot.KindPermanent, wantText: `field "data.amount": want integer, got string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			p := payment(1, t0.Add(time.Minute), orderbot.PaymentSucceeded, 100)
			p.Refunds = []orderbot.Refund{{ID: "re_1", Amount: orderbot.Money{Minor: 10, Currency: "USD"}, Status: "succeeded", CreatedAt: t0.Add(2 * time.Minute)}}
			mustAdd(t, f, p)
			f.Inject(tc.fault)
			c, sl := newAdapter(t, f, func(o *stripe.Options) {
				if tc.timeout > 0 {
					o.Timeout = tc.timeout
				}
				o.MaxRetries = tc.retries
			})
			var got []orderbot.Payment
			err := c.ListPayments(context.Background(), window(), func(ps []orderbot.Payment) error {
				got = append(got, ps...)
				return nil
			})
			if tc.wantKind == "" {
				if err != nil || len(got) != 1 || !paymentsEqual(got[0], p) {
					t.Fatalf("err = %v got = %s", err, js(got))
				}
			} else {
				conformance.CheckError(t, err, tc.wantKind, tc.wantText, f.APIKey())
			}
			if tc.wantWaits != nil && !slices.Equal(sl.Waits(), tc.wantWaits) {
				t.Fatalf("waits = %v, want %v", sl.Waits(), tc.wantWaits)
			}
		})
	}
}

func TestTimeoutCarriesSentinel(t *testing.T) {
	f := newFake(t)
	f.Inject(providerfake.Fault{Kind: providerfake.Slow}) // held until the client gives up
	c, _ := newAdapter(t, f, func(o *stripe.Options) { o.Timeout = 50 * time.Millisecond; o.MaxRetries = -1 })
	_, err := c.GetPayment(context.Background(), "pi_x")
	if !errors.Is(err, httpclient.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestPageCallbackErrorStops(t *testing.T) {
	f := newFake(t)
	for i := 0; i < 250; i++ {
		mustAdd(t, f, payment(i, t0.Add(time.Duration(i)*time.Second), orderbot.PaymentSucceeded, 1))
	}
	c, _ := newAdapter(t, f, nil)
	stop := errors.New("stop")
	calls := 0
	err := c.ListPayments(context.Background(), window(), func([]orderbot.Payment) error { calls++; return stop })
	// The fake logs a request before answering it, so the count is exact.
	if !errors.Is(err, stop) || calls != 1 || f.RequestCount() != 1 {
		t.Fatalf("err = %v calls = %d requests = %d", err, calls, f.RequestCount())
	}
}

func TestConformance(t *testing.T) {
	const key = "sk_live_conformance_Key+4242"
	conformance.Run(t, conformance.Case{
		Provider: "stripe",
		Secrets:  []string{key},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := stripe.New(stripe.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }, RateLimit: -1},

				SecretKey: key,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{
				{Name: "ListPayments", Call: func(ctx context.Context) error {
					return c.ListPayments(ctx, window(), func([]orderbot.Payment) error { return nil })
				}},
				{Name: "GetPayment", Call: func(ctx context.Context) error {
					_, err := c.GetPayment(ctx, "pi_1")
					return err
				}},
			}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"error": map[string]string{"type": "invalid_request_error", "message": msg}})
			return b
		},
	})
}

func paymentsEqual(a, b orderbot.Payment) bool {
	if len(a.Refunds) == 0 && len(b.Refunds) == 0 {
		a.Refunds, b.Refunds = nil, nil
	}
	return js(a) == js(b) && a.CreatedAt.Equal(b.CreatedAt)
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Refunds come with the intents (expand[]=data.latest_charge.refunds): 300
// payments, a third of them refunded, cost the three list pages plus the
// refunds list of the window, not a request per refunded payment. Only a
// charge with more refunds than the embedded list holds is asked about.
func TestRefundsComeWithTheList(t *testing.T) {
	f := newFake(t)
	var want []orderbot.Payment
	for i := 0; i < 300; i++ {
		created := t0.Add(time.Duration(i) * 10 * time.Second)
		p := payment(i, created, orderbot.PaymentSucceeded, 1000)
		if i%3 == 0 {
			p.Refunds = []orderbot.Refund{{ID: fmt.Sprintf("re_%06d", i), Amount: orderbot.Money{Minor: 100, Currency: "USD"}, Status: "succeeded", CreatedAt: created.Add(time.Second)}}
		}
		want = append(want, p)
	}
	many := payment(999, t0.Add(50*time.Minute), orderbot.PaymentSucceeded, 5000)
	for j := 0; j < 12; j++ {
		many.Refunds = append(many.Refunds, orderbot.Refund{ID: fmt.Sprintf("re_m%02d", j), Amount: orderbot.Money{Minor: 10, Currency: "USD"},
			Status: "succeeded", CreatedAt: many.CreatedAt.Add(time.Duration(j+1) * time.Second)})
	}
	want = append(want, many)
	mustAdd(t, f, want...)
	c, _ := newAdapter(t, f, nil)
	got, _ := collect(t, c, window())
	if !slices.EqualFunc(byID(got), byID(want), paymentsEqual) {
		t.Fatalf("got %d payments, want %d (refunds included)", len(got), len(want))
	}
	// 301 intents: 4 pages; 101 refunds created in the window: 2 pages; one
	// charge has 12 refunds, more than the 10 embedded: 1 more list.
	if n := f.RequestCount(); n != 4+2+1 {
		for _, r := range f.Requests() {
			t.Log(r.Path, r.Query)
		}
		t.Fatalf("requests = %d, want 7 (pages only, plus the charge with more refunds than embedded)", n)
	}
}
