package jobs

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/memory"
	"github.com/orderbot/orderbot/internal/simulate"
)

// pagedSource is an OrderSource that hands over fixed pages, as a provider
// whose records change while they are paged can, and can fail after some
// pages.
type pagedSource struct {
	pages     [][]orderbot.Order
	failAfter int // pages served before failing; 0 never fails
	served    int
}

func (s *pagedSource) Name() string { return "paged" }

func (s *pagedSource) ListOrders(ctx context.Context, _ orderbot.Window, fn func([]orderbot.Order) error) error {
	s.served = 0
	for _, p := range s.pages {
		if s.failAfter > 0 && s.served == s.failAfter {
			return orderbot.Errorf(orderbot.KindTransient, "paged.list", "503 from provider")
		}
		s.served++
		// A copy: the poller must not rely on keeping the source's slice.
		if err := fn(append([]orderbot.Order(nil), p...)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *pagedSource) GetOrder(context.Context, string) (orderbot.Order, error) {
	return orderbot.Order{}, orderbot.Errorf(orderbot.KindNotFound, "paged.get", "not here")
}

// addPaged adds s to the rig's poller as source "paged".
func (r *rig) addPaged(s *pagedSource) {
	r.poller.Sources = append(r.poller.Sources, Source{Name: "paged", Orders: s})
}

// cached returns the cached orders of ids by id.
func (r *rig) cached(t *testing.T, ids ...string) map[string]orderbot.Order {
	t.Helper()
	m, err := r.st.Orders(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An order listed twice (updated while paging) is cached, counted and
// evaluated once, in its newest version, whichever page it comes on; an older
// or equal version listed later changes nothing.
func TestListingKeepsNewestVersionAcrossPages(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	v := func(id string, age time.Duration, qty int64) orderbot.Order {
		return r.order(id, func(o *orderbot.Order) {
			o.UpdatedAt = now.Add(-age)
			o.Lines = []orderbot.LineItem{{SKU: "SKU-" + id, Quantity: qty}}
		})
	}
	src := &pagedSource{pages: [][]orderbot.Order{
		{v("A", 3*time.Minute, 1), v("B", 3*time.Minute, 1)},
		{v("C", 2*time.Minute, 1), v("A", 2*time.Minute, 2)}, // A updated
		{v("A", 3*time.Minute, 9), v("B", 3*time.Minute, 9)}, // stale copies
		{v("B", 90*time.Second, 3), v("B", time.Minute, 4)},  // B twice on one page
		{}, // an empty page
		{v("D", 30*time.Second, 1), v("A", 2*time.Minute, 7)}, // A again, same version
	}}
	r.addPaged(src)
	rep, err := r.poller.Poll(ctx, "paged")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fetched["orders"] != 4 || rep.Evaluated != 4 {
		t.Fatalf("fetched %d, evaluated %d; want 4 and 4", rep.Fetched["orders"], rep.Evaluated)
	}
	got := r.cached(t, "A", "B", "C", "D")
	for id, qty := range map[string]int64{"A": 2, "B": 4, "C": 1, "D": 1} {
		if o, ok := got[id]; !ok || o.Lines[0].Quantity != qty {
			t.Errorf("cached %s = %+v, want the version with %d units", id, o.Lines, qty)
		}
	}
	demand, err := r.st.Demand(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"SKU-A": 2, "SKU-B": 4, "SKU-C": 1, "SKU-D": 1}
	if !reflect.DeepEqual(demand, want) {
		t.Fatalf("demand %v, want %v (each order counted once, newest)", demand, want)
	}
}

// Pages of every size, across the listing's chunks, all reach the cache and
// the snapshot.
func TestListingManyPages(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	var pages [][]orderbot.Order
	n := 0
	for _, size := range []int{1, 250, 250, listChunk - 1, listChunk + 300, 3, 250} {
		var p []orderbot.Order
		for i := 0; i < size; i++ {
			p = append(p, r.order(fmt.Sprint(10_000+n), func(o *orderbot.Order) { o.UpdatedAt = now.Add(-time.Minute) }))
			n++
		}
		pages = append(pages, p)
	}
	r.addPaged(&pagedSource{pages: pages})
	rep, err := r.poller.Poll(ctx, "paged")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fetched["orders"] != n || rep.Evaluated != n {
		t.Fatalf("fetched %d, evaluated %d; want %d", rep.Fetched["orders"], rep.Evaluated, n)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(10_000 + i)
	}
	if got := r.cached(t, ids...); len(got) != n {
		t.Fatalf("%d orders cached, want %d", len(got), n)
	}
}

// When the store fails while orders are listed, the listing stops and the
// cycle fails, but the source is not to blame: no failed poll is recorded and
// the cursor stays.
func TestStoreFailureWhileListingIsNotASourceFailure(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	var pages [][]orderbot.Order
	for p := 0; p < 20; p++ {
		var page []orderbot.Order
		for i := 0; i < 10; i++ {
			page = append(page, r.order(fmt.Sprint(p*10+i+1), func(o *orderbot.Order) { o.UpdatedAt = now.Add(-time.Minute) }))
		}
		pages = append(pages, page)
	}
	pages[1][3].ID = "" // the store refuses an order without an id
	src := &pagedSource{pages: pages}
	r.addPaged(src)
	rep, err := r.poller.Poll(ctx, "paged")
	var se *stageError
	if err == nil || !errors.As(err, &se) || !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("poll err = %v, want the store's refusal", err)
	}
	if rep.Err == nil {
		t.Fatal("report has no error")
	}
	if src.served == len(pages) {
		t.Fatalf("the listing went on to the end after the store failed")
	}
	h, err := r.st.SourceHealth(ctx, []string{"paged"})
	if err != nil {
		t.Fatal(err)
	}
	if h["paged"].Failures != 0 {
		t.Fatalf("recorded %d source failures for a store failure", h["paged"].Failures)
	}
	if c, _ := r.st.Cursor(ctx, "paged"); !c.IsZero() {
		t.Fatalf("cursor moved to %v", c)
	}
}

// A source failing in the middle of a listing fails the poll as a source
// failure; the pages already listed are cached (they are the source's own
// records), and the next poll lists and evaluates them again.
func TestSourceFailureMidListing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.clk.Now()
	src := &pagedSource{failAfter: 2, pages: [][]orderbot.Order{
		{r.order("1", func(o *orderbot.Order) { o.UpdatedAt = now.Add(-3 * time.Minute) })},
		{r.order("2", func(o *orderbot.Order) { o.UpdatedAt = now.Add(-2 * time.Minute) })},
		{r.order("3", func(o *orderbot.Order) { o.UpdatedAt = now.Add(-time.Minute) })},
	}}
	r.addPaged(src)
	if _, err := r.poller.Poll(ctx, "paged"); err == nil {
		t.Fatal("poll succeeded, want the source's failure")
	}
	h, _ := r.st.SourceHealth(ctx, []string{"paged"})
	if h["paged"].Failures != 1 {
		t.Fatalf("source failures = %d, want 1", h["paged"].Failures)
	}
	if c, _ := r.st.Cursor(ctx, "paged"); !c.IsZero() {
		t.Fatalf("cursor moved to %v", c)
	}
	if got := r.cached(t, "1", "2", "3"); len(got) != 2 {
		t.Fatalf("cached %d orders, want the 2 listed before the failure", len(got))
	}
	src.failAfter = 0
	rep, err := r.poller.Poll(ctx, "paged")
	if err != nil || rep.Evaluated != 3 {
		t.Fatalf("second poll: evaluated %d, %v", rep.Evaluated, err)
	}
}

// The records of listed orders are joined while listing when nothing else the
// cycle fetches can belong to them, and after the cycle's own saves when the
// source also lists payments. Both must reach the same verdicts on the listed
// orders. (The combined cycle also judges payments of orders the shop does not
// have, which the orders-only cycle never sees: those are left out.)
func TestJoinWhileListingMatchesJoinAfterSaves(t *testing.T) {
	ctx := context.Background()
	run := func(combined bool) []string {
		r := newRig(t)
		ds := simulate.New(5, simulate.Options{AnomalyRate: 0.1}).Generate(600, r.clk.Now().Add(-time.Second))
		shop := memory.New("shop", orderbot.SideShop)
		shop.PageSize = 37
		shop.PutOrders(ds.Orders...)
		stripe := memory.New("stripe", "")
		stripe.PutPayments(ds.Payments...)
		lookback := 60 * 24 * time.Hour
		if combined {
			shop.PutPayments(ds.Payments...)
			r.poller.Sources = []Source{{Name: "shop", Orders: shop, Payments: shop, InitialLookback: lookback}}
		} else {
			r.poller.Sources = []Source{{Name: "stripe", Payments: stripe, InitialLookback: lookback},
				{Name: "shop", Orders: shop, InitialLookback: lookback}}
			if _, err := r.poller.Poll(ctx, "stripe"); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := r.poller.Poll(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Evaluated < len(ds.Orders) {
			t.Fatalf("evaluated %d of %d orders", rep.Evaluated, len(ds.Orders))
		}
		listed := map[string]bool{}
		for _, o := range ds.Orders {
			listed[o.ID] = true
		}
		var out []string
		for _, a := range rep.Anomalies {
			if listed[a.Subject] {
				out = append(out, fmt.Sprint(a.Kind, " ", a.Subject, " ", a.Stage))
			}
		}
		sort.Strings(out)
		return out
	}
	joined, late := run(false), run(true)
	if len(joined) == 0 {
		t.Fatal("no anomalies found in a world with 10 % of them")
	}
	if !reflect.DeepEqual(joined, late) {
		t.Fatalf("join while listing found\n%v\njoin after saves found\n%v", joined, late)
	}
}
