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
				Subject: sku, Source: erp.Source, Facts: facts, AtRisk: r.unitsAtRisk(sku, demand-erp.Available),
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
	since    time.Time
}

// syncLag reports stock that the sync has left behind: per SKU, the shop's
// available stock differs from the ERP's sellable stock (Available − Reserved)
// by more than Units, and has differed for at least MaxAge (a sync that runs
// closes a difference within minutes); or the ERP's stock source has not been
// polled successfully for MaxAge, so the shop is being kept in step with
// nothing. A record's own modified time is no evidence: ERPNext changes a Bin
// only when its stock moves, so a Bin untouched for days whose quantity agrees
// is normal.
//
// The ERP's Reserved is the quantity it holds for open orders (ERPNext
// reserved_qty); the shop's available is already net of those same orders, so
// comparing raw ERP Available would flag every SKU that has open orders. When the
// ERP reports no reservation the comparison is plain shop vs ERP available.
//
// When each SKU started to differ comes from Snapshot.StockDiffSince (earlier
// cycles); Result.StockDiffs hands the current differences back for the store.
// The subject is the shop-side source, and one anomaly per source names its
// worst SKUs; an ERP source not polled is its own subject. Both views are whole
// maps in memory, so sync lag always scans every SKU in them, whatever
// StockSKUs says: a partial scan could neither describe nor clear a per-source
// condition.
func (r *run) syncLag() {
	p := r.params(kSyncLag)
	units := p.Units
	if units < 0 {
		units = 0
	}
	r.stockDiffs = make(map[string]time.Time)
	var lag map[string][]lagItem
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
		if it.diff <= units && -it.diff <= units {
			continue
		}
		it.since = r.now
		if t, ok := r.snap.StockDiffSince[sku]; ok && !t.IsZero() && t.Before(r.now) {
			it.since = t
		}
		r.stockDiffs[sku] = it.since
		if !r.due(it.since, p.MaxAge) {
			// A difference the sync may still be closing; look again next cycle.
			continue
		}
		if lag == nil {
			lag = make(map[string][]lagItem)
		}
		lag[src] = append(lag[src], it)
	}
	for src, items := range lag {
		r.emitSyncLag(src, items, units, p.MaxAge)
	}
	r.erpNotPolled(p.MaxAge)
}

// erpNotPolled reports each ERP stock source whose last successful poll is
// MaxAge old or older: its stock is what the shop is checked against, and
// nobody has looked at it since.
func (r *run) erpNotPolled(maxAge time.Duration) {
	for i := range r.snap.Sources {
		s := &r.snap.Sources[i]
		if s.Name == "" || s.Side != orderbot.SideERP {
			continue
		}
		r.markSource(s.Name, kSyncLag)
		if s.LastSuccess.IsZero() || !r.due(s.LastSuccess, maxAge) {
			continue
		}
		facts := []orderbot.Fact{
			fact("Source", s.Name),
			fact("Last successful poll", stamp(s.LastSuccess, r.now)),
			fact("Allowed", age(maxAge)),
			fact("Failed polls in a row", strconv.Itoa(s.ConsecutiveFailures)),
		}
		if s.LastError != "" {
			facts = append(facts, fact("Last error", clip(s.LastError, 300)))
		}
		r.emit(kSyncLag, orderbot.Anomaly{Subject: s.Name, Source: s.Name, Facts: facts,
			Summary: "ERP stock from " + s.Name + " has not been polled successfully for " + age(r.now.Sub(s.LastSuccess)) +
				" (allowed " + age(maxAge) + "): the shop's stock is not being checked against it"})
	}
}

func (r *run) emitSyncLag(src string, items []lagItem, units int64, maxAge time.Duration) {
	// Worst first: the largest differences, then the longest-standing; SKU
	// breaks ties so the facts never depend on map order.
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if da, db := abs64(a.diff), abs64(b.diff); da != db {
			return da > db
		}
		if !a.since.Equal(b.since) {
			return a.since.Before(b.since)
		}
		return a.sku < b.sku
	})
	n := len(items)
	facts := []orderbot.Fact{
		fact("Source", src),
		fact("SKUs differing by more than "+itoa(units)+" for "+age(maxAge)+" or longer", strconv.Itoa(n)),
	}
	names := make([]string, 0, min(n, memberNames))
	for i, it := range items {
		if i < memberNames {
			names = append(names, it.sku)
		}
		if i == r.d.maxListed {
			facts = append(facts, more(n-i))
			break
		}
		sign := "+"
		if it.diff < 0 {
			sign = ""
		}
		facts = append(facts, fact(it.sku, "shop "+itoa(it.shop)+", ERP sellable "+itoa(it.sellable)+
			" (difference "+sign+itoa(it.diff)+") since "+stamp(it.since, r.now)))
	}
	summary := "Stock at " + src + " is out of sync with the ERP: " + strconv.Itoa(n) + " SKU(s) differ by more than " +
		itoa(units) + " units for " + age(maxAge) + " or longer: " + memberList(names, n)
	r.emit(kSyncLag, orderbot.Anomaly{Subject: src, Source: src, Summary: summary, Facts: facts})
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
