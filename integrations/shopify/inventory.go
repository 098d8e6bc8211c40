package shopify

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// maxIDsPerRequest is how many ids one inventory_levels request may filter on.
const maxIDsPerRequest = 50

// catalog is what stock levels need to be named: SKUs by inventory item and
// the locations to report.
type catalog struct {
	skuByItem map[int64]string
	locations []location // active, filtered by Options.Locations
	loadedAt  time.Time
}

func (k *catalog) locationName(id int64) string {
	for _, l := range k.locations {
		if l.ID == id {
			return l.Name
		}
	}
	return strconv.FormatInt(id, 10)
}

// ListStock implements orderbot.InventorySource: the available quantity of
// every tracked variant with a SKU at the reported locations, updated at or
// after since (zero: all). Levels of untracked items (available null) and of
// items without a SKU are skipped: nothing can be oversold or compared there.
func (c *Client) ListStock(ctx context.Context, since time.Time, page func([]orderbot.StockLevel) error) error {
	const op = "shopify.list_stock"
	callStart := time.Now()
	cat, err := c.loadCatalog(ctx, false)
	if err != nil {
		return err
	}
	if len(cat.locations) == 0 {
		return nil
	}
	refreshed := false
	ids := make([]string, len(cat.locations))
	for i, l := range cat.locations {
		ids[i] = strconv.FormatInt(l.ID, 10)
	}
	for start := 0; start < len(ids); start += maxIDsPerRequest {
		q := url.Values{}
		q.Set("location_ids", strings.Join(ids[start:min(start+maxIDsPerRequest, len(ids))], ","))
		q.Set("limit", strconv.Itoa(c.pageSize))
		if !since.IsZero() {
			q.Set("updated_at_min", since.UTC().Truncate(time.Second).Format(time.RFC3339))
		}
		err := c.pages(ctx, op, "/inventory_levels.json", q, func(body []byte) error {
			var p levelsPage
			if err := httpclient.DecodeJSON(op, body, &p); err != nil {
				return err
			}
			// A level of an item the cached catalog does not know means
			// products changed since it was loaded: reload once per call.
			if !refreshed && slices.ContainsFunc(p.InventoryLevels, func(l inventoryLevel) bool {
				_, ok := cat.skuByItem[l.InventoryItemID]
				return !ok && l.Available != nil
			}) && cat.loadedAt.Before(callStart) {
				refreshed = true
				if cat, err = c.loadCatalog(ctx, true); err != nil {
					return err
				}
			}
			out := make([]orderbot.StockLevel, 0, len(p.InventoryLevels))
			skipped := 0
			for i, l := range p.InventoryLevels {
				sku := cat.skuByItem[l.InventoryItemID]
				if l.Available == nil || sku == "" {
					skipped++
					continue
				}
				at, err := parseTime(op, "inventory_levels["+strconv.Itoa(i)+"]", ".updated_at", l.UpdatedAt, false)
				if err != nil {
					return err
				}
				if !since.IsZero() && at.Before(since.Truncate(time.Second)) {
					continue
				}
				out = append(out, orderbot.StockLevel{
					SKU:       sku,
					Location:  cat.locationName(l.LocationID),
					Available: *l.Available,
					UpdatedAt: at,
					Side:      orderbot.SideShop,
					Source:    c.name,
				})
			}
			if skipped > 0 {
				c.log.Debug("skipped untracked or SKU-less inventory levels", "count", skipped)
			}
			if len(out) == 0 {
				return nil
			}
			return page(out)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadCatalog returns the cached catalog, listing locations and variants again
// when it is older than CatalogTTL or force is set.
func (c *Client) loadCatalog(ctx context.Context, force bool) (*catalog, error) {
	c.catMu.Lock()
	defer c.catMu.Unlock()
	if c.catalog != nil && !force && time.Since(c.catalog.loadedAt) < c.catalogTTL {
		return c.catalog, nil
	}
	const op = "shopify.list_catalog"
	started := time.Now()
	resp, err := c.get(ctx, op, c.base+"/locations.json", nil)
	if err != nil {
		return nil, err
	}
	var lp locationsPage
	if err := httpclient.DecodeJSON(op, resp.Body, &lp); err != nil {
		return nil, err
	}
	cat := &catalog{skuByItem: map[int64]string{}}
	for _, l := range lp.Locations {
		if l.Active && c.wantLocation(l) {
			cat.locations = append(cat.locations, l)
		}
	}
	q := url.Values{"limit": {strconv.Itoa(c.pageSize)}, "fields": {"id,variants"}}
	err = c.pages(ctx, op, "/products.json", q, func(body []byte) error {
		var pp productsPage
		if err := httpclient.DecodeJSON(op, body, &pp); err != nil {
			return err
		}
		for _, p := range pp.Products {
			for _, v := range p.Variants {
				if sku := strings.TrimSpace(v.SKU); sku != "" && v.InventoryItemID != 0 {
					cat.skuByItem[v.InventoryItemID] = sku
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cat.loadedAt = started
	c.catalog = cat
	return cat, nil
}

func (c *Client) wantLocation(l location) bool {
	if len(c.locFilter) == 0 {
		return true
	}
	id := strconv.FormatInt(l.ID, 10)
	for _, f := range c.locFilter {
		if f == id || strings.EqualFold(f, l.Name) {
			return true
		}
	}
	return false
}
