package shopify_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/shopifyfake"
)

func level(sku, loc string, avail int64, at time.Time) orderbot.StockLevel {
	return orderbot.StockLevel{SKU: sku, Location: loc, Available: avail, UpdatedAt: at.UTC().Truncate(time.Second),
		Side: orderbot.SideShop, Source: sourceName}
}

func stock(t *testing.T, c *shopify.Client, since time.Time) []orderbot.StockLevel {
	t.Helper()
	all, _ := conformance.Collect(t, func(ctx context.Context, page func([]orderbot.StockLevel) error) error {
		return c.ListStock(ctx, since, page)
	})
	return sortLevels(all)
}

func sortLevels(ls []orderbot.StockLevel) []orderbot.StockLevel {
	ls = slices.Clone(ls)
	slices.SortFunc(ls, func(a, b orderbot.StockLevel) int {
		return cmp.Or(strings.Compare(a.SKU, b.SKU), strings.Compare(a.Location, b.Location))
	})
	return ls
}

func mustStock(t *testing.T, f *shopifyfake.Server, ls ...orderbot.StockLevel) {
	t.Helper()
	if err := f.SetStock(ls...); err != nil {
		t.Fatal(err)
	}
}

func TestListStockRoundTrip(t *testing.T) {
	f := newFake(t, shopifyfake.Options{Timezone: time.FixedZone("CST", 8*3600)})
	want := []orderbot.StockLevel{
		level("SKU-1", "Shanghai DC", 10, t0),
		level("SKU-1", "Beijing DC", 3, t0.Add(time.Minute)),
		level("SKU-2", "Shanghai DC", 0, t0.Add(2*time.Minute)),
		level("SKU-3", "Beijing DC", -2, t0.Add(3*time.Minute)), // oversold
		level("SKU-4", "Shanghai DC", 7, t0.Add(4*time.Minute)),
	}
	mustStock(t, f, want...)
	c, _ := newAdapter(t, f, func(o *shopify.Options) { o.PageSize = 2 })
	if c.Side() != orderbot.SideShop || c.Name() != sourceName {
		t.Fatalf("side %s name %s", c.Side(), c.Name())
	}
	if got := stock(t, c, time.Time{}); js(got) != js(sortLevels(want)) {
		t.Fatalf("got  %s\nwant %s", js(got), js(sortLevels(want)))
	}
	var paths []string
	for _, r := range f.Requests() {
		if r.Header.Get("X-Shopify-Access-Token") != f.AccessToken() || r.Status != 200 {
			t.Errorf("%s: token %q status %d", r.Path, r.Header.Get("X-Shopify-Access-Token"), r.Status)
		}
		paths = append(paths, strings.TrimPrefix(r.Path, "/admin/api/2025-10/"))
		if strings.HasSuffix(r.Path, "inventory_levels.json") && r.Query.Get("page_info") == "" && r.Query.Get("location_ids") == "" {
			t.Errorf("levels without location_ids: %v", r.Query)
		}
	}
	// 4 SKUs at 2 a page: 2 product pages; 5 levels at 2 a page: 3 level pages.
	wantPaths := []string{"locations.json", "products.json", "products.json", "inventory_levels.json", "inventory_levels.json", "inventory_levels.json"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("paths = %v", paths)
	}
}

func TestListStockSinceAndFilters(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	mustStock(t, f,
		level("OLD", "A", 1, t0.Add(-time.Hour)),
		level("NEW", "A", 2, t0.Add(time.Minute)),
		level("UNTRACKED", "A", 5, t0.Add(time.Minute)),
		level("NEW", "B", 4, t0.Add(time.Minute)),
		level("NEW", "Closed", 9, t0.Add(time.Minute)),
	)
	f.SetUntracked("UNTRACKED")
	f.SetLocationActive("Closed", false)
	c, _ := newAdapter(t, f, nil)
	got := stock(t, c, t0)
	want := sortLevels([]orderbot.StockLevel{level("NEW", "A", 2, t0.Add(time.Minute)), level("NEW", "B", 4, t0.Add(time.Minute))})
	if js(got) != js(want) {
		t.Fatalf("since: got %s", js(got))
	}
	c2, _ := newAdapter(t, f, func(o *shopify.Options) { o.Locations = []string{"b"} })
	if got := stock(t, c2, time.Time{}); len(got) != 1 || got[0].Location != "B" {
		t.Fatalf("location filter: got %s", js(got))
	}
}

func TestListStockCatalogCacheAndRefresh(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	mustStock(t, f, level("SKU-1", "A", 1, t0))
	c, _ := newAdapter(t, f, nil)
	stock(t, c, time.Time{})
	f.ResetRequests()
	stock(t, c, time.Time{})
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("second call made %d requests, want only the levels (catalog cached)", n)
	}
	// A product created since: its level names an unknown item, which
	// reloads the catalog once.
	mustStock(t, f, level("SKU-NEW", "A", 8, t0))
	f.ResetRequests()
	got := stock(t, c, time.Time{})
	if len(got) != 2 || got[1].SKU != "SKU-NEW" {
		t.Fatalf("got %s", js(got))
	}
	if n := len(f.Requests()); n != 3 {
		t.Fatalf("requests = %d, want levels + locations + products", n)
	}
}

func TestListStockFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault providerfake.Fault
		want  string
	}{
		{"levels", providerfake.Fault{Kind: providerfake.WrongType, PathContains: "inventory_levels"},
			`shopify.list_stock: field "inventory_levels.available": want integer, got string`},
		{"products", providerfake.Fault{Kind: providerfake.WrongType, PathContains: "products"},
			`shopify.list_catalog: field "products.variants.inventory_item_id": want integer, got string`},
		{"locations", providerfake.Fault{Kind: providerfake.WrongType, PathContains: "locations"},
			`shopify.list_catalog: field "locations.id": want integer, got string`},
		{"malformed", providerfake.Fault{Kind: providerfake.Malformed, PathContains: "inventory_levels"}, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, shopifyfake.Options{})
			mustStock(t, f, level("SKU-1", "A", 1, t0))
			f.Inject(tc.fault)
			c, _ := newAdapter(t, f, nil)
			err := c.ListStock(context.Background(), time.Time{}, func([]orderbot.StockLevel) error { return nil })
			if orderbot.KindOf(err) != orderbot.KindPermanent || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("429 then success", func(t *testing.T) {
		f := newFake(t, shopifyfake.Options{})
		mustStock(t, f, level("SKU-1", "A", 1, t0))
		f.Inject(providerfake.Fault{Kind: providerfake.RateLimited, PathContains: "inventory_levels"})
		c, sl := newAdapter(t, f, nil)
		if got := stock(t, c, time.Time{}); len(got) != 1 {
			t.Fatalf("got %s", js(got))
		}
		if w := sl.Waits(); !slices.Equal(w, []time.Duration{2 * time.Second}) {
			t.Fatalf("waits = %v", w)
		}
	})
}

func TestListStockEmptyShop(t *testing.T) {
	f := newFake(t, shopifyfake.Options{})
	c, _ := newAdapter(t, f, nil)
	calls := 0
	err := c.ListStock(context.Background(), time.Time{}, func([]orderbot.StockLevel) error { calls++; return nil })
	if err != nil || calls != 0 {
		t.Fatalf("err = %v calls = %d", err, calls)
	}
}
