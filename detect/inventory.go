package detect

import (
	"sort"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// Inventory rules. The ERP's Available is physical stock free to ship, not
// reduced by reservations (see orderbot.StockLevel); the shop's Available is
// what customers can still buy, already net of the orders it committed.

func (r *run) inventory() {
	erp, shop := r.snap.ERPStock, r.snap.ShopStock
	oversold := r.active.has(kOversold) && erp != nil && r.snap.Demand != nil
	low := r.active.has(kLowStock) && (erp != nil || shop != nil)
	if oversold || low {
		r.eval.skus = make(map[string]kindMask)
		if r.snap.StockSKUs != nil {
			for _, sku := range r.snap.StockSKUs {
				r.sku(sku, oversold, low)
			}
		} else {
			for sku := range erp {
				r.sku(sku, oversold, low)
			}
			for sku := range shop {
				r.sku(sku, oversold, low)
			}
			for sku := range r.snap.Demand {
				r.sku(sku, oversold, low)
			}
		}
	}
	if r.active.has(kSyncLag) && erp != nil && shop != nil {
		r.syncLag()
	}
}

// sku evaluates the SKU-grouped kinds for one SKU, once.
func (r *run) sku(sku string, oversold, low bool) {
	if _, seen := r.eval.skus[sku]; seen || sku == "" {
		return
	}
	var mask kindMask
	erp, hasERP := r.snap.ERPStock[sku]
	shop, hasShop := r.snap.ShopStock[sku]
	demand := r.snap.Demand[sku]
	// oversold: open demand beyond what the warehouse physically holds. Without
	// an ERP record the SKU's stock is unknown and it is not judged.
	if oversold && hasERP {
		mask |= bit(kOversold)
		if demand > erp.Available {
			facts := []orderbot.Fact{
				fact("SKU", sku),
				fact("Open order quantity", itoa(demand)),
				fact("ERP available", itoa(erp.Available)),
				fact("Short by", itoa(demand-erp.Available)),
				fact("ERP record", stockSource(&erp)+", updated "+stamp(erp.UpdatedAt, r.now)),
			}
			if hasShop {
				facts = append(facts, fact("Shop available", itoa(shop.Available)))
			}
			r.emit(kOversold, orderbot.Anomaly{
				Subject: sku, Source: erp.Source, Facts: facts,
				Summary: "SKU " + sku + " is oversold: open orders need " + itoa(demand) + " units, the ERP has " + itoa(erp.Available),
			})
		}
	}
	// low stock: the ERP's view when there is one, else the shop's. When an ERP
	// reports stock at all, a SKU it has not reported yet (new, a poll behind
	// the shop) waits for it: the shop's 0 is not the stock of record.
	if low && (hasERP || (hasShop && len(r.snap.ERPStock) == 0)) {
		lvl := &erp
		side := "ERP"
		if !hasERP {
			lvl, side = &shop, "shop"
		}
		safety, ok := r.params(kLowStock).SKUs[sku]
		if !ok {
			safety = r.params(kLowStock).Units
		}
		// A negative per-SKU safety stock excludes the SKU (discontinued items
		// that sit at zero on purpose).
		if safety >= 0 {
			mask |= bit(kLowStock)
			if lvl.Available <= safety {
				facts := []orderbot.Fact{
					fact("SKU", sku),
					fact(side+" available", itoa(lvl.Available)),
					fact("Safety stock", itoa(safety)),
					fact("Open order quantity", itoa(demand)),
					fact(side+" record", stockSource(lvl)+", updated "+stamp(lvl.UpdatedAt, r.now)),
				}
				if hasERP && hasShop {
					facts = append(facts, fact("Shop available", itoa(shop.Available)))
				}
				r.emit(kLowStock, orderbot.Anomaly{
					Subject: sku, Source: lvl.Source, Facts: facts,
					Summary: "SKU " + sku + " is low on stock: " + itoa(lvl.Available) + " available (" + side + "), safety stock " + itoa(safety),
				})
			}
		}
	}
	r.eval.skus[sku] = mask
}

func stockSource(l *orderbot.StockLevel) string {
	s := l.Source
	if l.Location != "" {
		if s != "" {
			s += " "
		}
		s += l.Location
	}
	if s == "" {
		return string(l.Side)
	}
	return s
}

type lagItem struct {
	sku      string
	shop     int64
	sellable int64 // ERP available minus ERP reserved
	diff     int64 // shop − sellable
	over     bool  // |diff| > Units
	age      time.Duration
	stale    bool // ERP record at least MaxAge old
}

type lagSource struct {
	items        []lagItem
	over, stales int
}

// syncLag compares, per SKU, the shop's available stock with the ERP's sellable
// stock (Available − Reserved), and reports ERP records that stopped updating.
// The ERP's Reserved is the quantity it holds for open orders (ERPNext
// reserved_qty); the shop's available is already net of those same orders, so
// comparing raw ERP Available would flag every SKU that has open orders. When the
// ERP reports no reservation the comparison is plain shop vs ERP available.
//
// The subject is the shop-side source, and one anomaly per source lists its worst
// SKUs; an ERP record with no shop listing is attributed to the ERP source. Both
// views are whole maps in memory, so sync lag always scans every SKU in them,
// whatever StockSKUs says: a partial scan could neither describe nor clear a
// per-source condition.
func (r *run) syncLag() {
	p := r.params(kSyncLag)
	units := p.Units
	if units < 0 {
		units = 0
	}
	var lag map[string]*lagSource
	add := func(source string, it lagItem) {
		if lag == nil {
			lag = make(map[string]*lagSource)
		}
		ls := lag[source]
		if ls == nil {
			ls = &lagSource{}
			lag[source] = ls
		}
		ls.items = append(ls.items, it)
		if it.over {
			ls.over++
		}
		if it.stale {
			ls.stales++
		}
	}
	var lastSource string
	for sku, shop := range r.snap.ShopStock {
		src := shop.Source
		if src == "" {
			src = string(orderbot.SideShop)
		}
		if src != lastSource {
			r.markSource(src, kSyncLag)
			lastSource = src
		}
		erp, ok := r.snap.ERPStock[sku]
		if !ok {
			continue
		}
		it := lagItem{sku: sku, shop: shop.Available, sellable: erp.Available - erp.Reserved}
		it.diff = it.shop - it.sellable
		it.over = it.diff > units || -it.diff > units
		if p.MaxAge > 0 && !erp.UpdatedAt.IsZero() && r.due(erp.UpdatedAt, p.MaxAge) {
			it.stale, it.age = true, r.now.Sub(erp.UpdatedAt)
		}
		if it.over || it.stale {
			add(src, it)
		}
	}
	lastSource = ""
	for sku, erp := range r.snap.ERPStock {
		if _, listed := r.snap.ShopStock[sku]; listed {
			continue
		}
		src := erp.Source
		if src == "" {
			src = string(orderbot.SideERP)
		}
		if src != lastSource {
			r.markSource(src, kSyncLag)
			lastSource = src
		}
		if p.MaxAge > 0 && !erp.UpdatedAt.IsZero() && r.due(erp.UpdatedAt, p.MaxAge) {
			add(src, lagItem{sku: sku, sellable: erp.Available - erp.Reserved, stale: true, age: r.now.Sub(erp.UpdatedAt)})
		}
	}
	for src, ls := range lag {
		r.emitSyncLag(src, ls, units, p.MaxAge)
	}
}

func (r *run) emitSyncLag(src string, ls *lagSource, units int64, maxAge time.Duration) {
	// Worst first: the largest differences, then the oldest records; SKU breaks
	// ties so the facts never depend on map order.
	sort.Slice(ls.items, func(i, j int) bool {
		a, b := ls.items[i], ls.items[j]
		da, db := abs64(a.diff), abs64(b.diff)
		if a.over != b.over {
			return a.over
		}
		if da != db {
			return da > db
		}
		if a.age != b.age {
			return a.age > b.age
		}
		return a.sku < b.sku
	})
	facts := []orderbot.Fact{fact("Source", src)}
	var parts []string
	if ls.over > 0 {
		facts = append(facts, fact("SKUs differing by more than "+itoa(units), strconv.Itoa(ls.over)))
		parts = append(parts, strconv.Itoa(ls.over)+" SKU(s) differ from the ERP by more than "+itoa(units)+" units")
	}
	if ls.stales > 0 {
		facts = append(facts, fact("ERP records older than "+age(maxAge), strconv.Itoa(ls.stales)))
		parts = append(parts, strconv.Itoa(ls.stales)+" ERP stock record(s) older than "+age(maxAge))
	}
	for i, it := range ls.items {
		if i == r.d.maxListed {
			facts = append(facts, more(len(ls.items)-i))
			break
		}
		v := "shop " + itoa(it.shop) + ", ERP sellable " + itoa(it.sellable)
		if it.over {
			sign := "+"
			if it.diff < 0 {
				sign = ""
			}
			v += " (difference " + sign + itoa(it.diff) + ")"
		}
		if it.stale {
			v += ", ERP record " + age(it.age) + " old"
		}
		facts = append(facts, fact(it.sku, v))
	}
	summary := "Stock at " + src + " is out of sync with the ERP: " + parts[0]
	if len(parts) > 1 {
		summary += "; " + parts[1]
	}
	r.emit(kSyncLag, orderbot.Anomaly{Subject: src, Source: src, Summary: summary, Facts: facts})
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
