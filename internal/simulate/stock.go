package simulate

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
)

// stock builds both views of stock for every catalogue SKU from the batch's
// demand, and seeds the SKU- and source-level inventory kinds.
//
// The ERP's Available is physical stock and its Reserved the quantity held for
// open orders (the batch's demand); the shop's Available is what customers can
// still buy, physical minus committed, within a unit or two of the ERP's
// sellable stock as a healthy sync keeps it.
func (b *batch) stock() {
	w := b.w
	low := w.param(orderbot.InventoryLowStock)
	lag := w.param(orderbot.InventorySyncLag)
	units := lag.Units
	if units < 0 {
		units = 0
	}
	safety := func(sku string) int64 {
		if s, ok := low.SKUs[sku]; ok {
			return s
		}
		return low.Units
	}
	seeding := w.opts.AnomalyRate > 0
	count := func(k orderbot.Kind) int {
		if !seeding || !w.seeds[k] {
			return 0
		}
		n := int(float64(len(w.catalog))*w.opts.AnomalyRate + 0.5)
		if n < 1 {
			n = 1
		}
		return n
	}
	wantOversold, wantLow, wantLag := count(orderbot.InventoryOversold), count(orderbot.InventoryLowStock), 0
	if seeding && w.seeds[orderbot.InventorySyncLag] {
		wantLag = 2
	}
	// Walk the catalogue in a random order so the seeded SKUs vary with the seed,
	// deterministically.
	order := w.rng.Perm(len(w.catalog))
	fresh := func() time.Time { return b.now.Add(-w.between(10*time.Second, minDur(10*minute, lag.MaxAge/2))) }
	oldSeeded := false
	for _, i := range order {
		sku := w.catalog[i].sku
		d := b.demand[sku]
		s := safety(sku)
		erp := orderbot.StockLevel{SKU: sku, Location: "Stores - WH", Reserved: d, Side: orderbot.SideERP,
			Source: w.opts.ERPStockSource, UpdatedAt: fresh()}
		shop := orderbot.StockLevel{SKU: sku, Side: orderbot.SideShop, Source: w.opts.ShopStockSource, UpdatedAt: fresh()}
		noise := int64(0)
		if units > 0 {
			m := minI64(2, units)
			noise = w.rng.Int64N(2*m+1) - m
		}
		switch {
		case wantOversold > 0 && s >= 0 && d >= s+2 && units >= 1:
			// Sold more than the warehouse holds, by up to the sync tolerance, so
			// the shop (at zero) and the ERP still agree within it; the physical
			// stock stays above safety stock so only oversold fires.
			short := 1 + w.rng.Int64N(minI64(units, d-s-1))
			erp.Available = d - short
			shop.Available = 0
			wantOversold--
			b.expect(orderbot.InventoryOversold, sku, "", fmt.Sprintf("short by %d", short))
		case wantLow > 0 && s > 0 && d <= s:
			// Down to safety stock, every unit spoken for or nearly so.
			erp.Available = d + w.rng.Int64N(s-d+1)
			shop.Available = erp.Available - d
			wantLow--
			b.expect(orderbot.InventoryLowStock, sku, "", fmt.Sprintf("%d left", erp.Available))
		default:
			erp.Available = d + maxI64(s, 0) + 1 + w.rng.Int64N(300)
			shop.Available = maxI64(erp.Available-d+noise, 0)
			switch {
			case wantLag > 0:
				// The shop still shows stock the ERP no longer has, and has
				// for longer than a sync takes.
				shop.Available = erp.Available - d + units + 1 + w.rng.Int64N(30)
				if b.diffSince == nil {
					b.diffSince = map[string]time.Time{}
				}
				b.diffSince[sku] = b.now.Add(-lag.MaxAge - w.between(minute, 2*time.Hour))
				wantLag--
				if wantLag == 0 {
					b.expect(orderbot.InventorySyncLag, w.opts.ShopStockSource, "", "two SKUs differ for longer than max_age")
				}
			case !oldSeeded:
				// A trap: an ERPNext Bin changes only when its stock moves, so
				// one untouched for days whose quantity agrees is normal.
				erp.UpdatedAt = b.now.Add(-72*time.Hour - w.between(minute, 2*time.Hour))
				oldSeeded = true
			}
		}
		erp.OnHand = erp.Available
		b.erp = append(b.erp, erp)
		b.shop = append(b.shop, shop)
	}
	// The long tail may have no SKU with demand at or below safety stock; list a
	// fresh slow seller at its safety stock then.
	for ; wantLow > 0; wantLow-- {
		w.idSeq++
		sku := fmt.Sprintf("TAIL-%05d", w.idSeq)
		s := safety(sku)
		if s < 0 {
			break
		}
		a := w.rng.Int64N(s + 1)
		b.erp = append(b.erp, orderbot.StockLevel{SKU: sku, Location: "Stores - WH", Available: a, OnHand: a, Side: orderbot.SideERP,
			Source: w.opts.ERPStockSource, UpdatedAt: fresh()})
		b.shop = append(b.shop, orderbot.StockLevel{SKU: sku, Available: a, Side: orderbot.SideShop,
			Source: w.opts.ShopStockSource, UpdatedAt: fresh()})
		b.expect(orderbot.InventoryLowStock, sku, "", fmt.Sprintf("%d left", a))
	}
}

func minI64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func maxI64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minDur(a, b time.Duration) time.Duration {
	if a < b || b <= 0 {
		return a
	}
	return b
}
