package detect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

func erp(sku string, available, reserved int64, updated time.Time) orderbot.StockLevel {
	return orderbot.StockLevel{SKU: sku, Available: available, Reserved: reserved, UpdatedAt: updated,
		Side: orderbot.SideERP, Source: "erpnext", Location: "Stores - WH"}
}

func shop(sku string, available int64) orderbot.StockLevel {
	return orderbot.StockLevel{SKU: sku, Available: available, UpdatedAt: ago(time.Minute), Side: orderbot.SideShop, Source: "shopify"}
}

func stockSnap(erps []orderbot.StockLevel, shops []orderbot.StockLevel, demand map[string]int64) *detect.Snapshot {
	s := snapshot(nil, nil, nil)
	if erps != nil {
		s.ERPStock = map[string]orderbot.StockLevel{}
		for _, l := range erps {
			s.ERPStock[l.SKU] = l
		}
	}
	if shops != nil {
		s.ShopStock = map[string]orderbot.StockLevel{}
		for _, l := range shops {
			s.ShopStock[l.SKU] = l
		}
	}
	s.Demand = demand
	return s
}

func TestInventoryRules(t *testing.T) {
	fresh := ago(time.Minute)
	tests := []struct {
		name  string
		snap  func() *detect.Snapshot
		opts  func(map[orderbot.Kind]orderbot.KindSettings)
		want  []found
		eval  map[found]bool // kind+subject → WasEvaluated
		check func(t *testing.T, res *detect.Result)
	}{
		{
			name: "healthy SKU",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 50, 10, fresh)}, []orderbot.StockLevel{shop("S1", 40)}, map[string]int64{"S1": 10})
			},
			eval: map[found]bool{{kind: orderbot.InventoryOversold, subject: "S1"}: true, {kind: orderbot.InventoryLowStock, subject: "S1"}: true,
				{kind: orderbot.InventorySyncLag, subject: "shopify"}: true, {kind: orderbot.InventoryOversold, subject: "S9"}: false},
		},
		{
			name: "oversold by one",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 9, 10, fresh)}, []orderbot.StockLevel{shop("S1", 0)}, map[string]int64{"S1": 10})
			},
			want: []found{{orderbot.InventoryOversold, "S1", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.InventoryOversold, "S1")
				if factValue(a, "Short by") != "1" || factValue(a, "Open order quantity") != "10" || a.Source != "erpnext" || a.OrderID != "" ||
					a.Dims.SKU != "S1" {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			name: "demand equal to stock is not oversold",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 10, 10, fresh)}, []orderbot.StockLevel{shop("S1", 0)}, map[string]int64{"S1": 10})
			},
			opts: withParams(orderbot.InventoryLowStock, func(p *orderbot.Params) { p.Units = 2 }),
		},
		{
			name: "oversold needs the ERP's view",
			snap: func() *detect.Snapshot {
				return stockSnap(nil, []orderbot.StockLevel{shop("S1", 20)}, map[string]int64{"S1": 30})
			},
			eval: map[found]bool{{kind: orderbot.InventoryOversold, subject: "S1"}: false, {kind: orderbot.InventoryLowStock, subject: "S1"}: true,
				{kind: orderbot.InventorySyncLag, subject: "shopify"}: false},
		},
		{
			name: "oversold needs demand",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 20, 0, fresh)}, nil, nil)
			},
			eval: map[found]bool{{kind: orderbot.InventoryOversold, subject: "S1"}: false, {kind: orderbot.InventoryLowStock, subject: "S1"}: true},
		},
		{
			name: "low stock at the default safety stock",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 5, 0, fresh), erp("S2", 6, 0, fresh)},
					[]orderbot.StockLevel{shop("S1", 5), shop("S2", 6)}, map[string]int64{})
			},
			want: []found{{orderbot.InventoryLowStock, "S1", ""}},
		},
		{
			name: "per-SKU safety stock, and a negative one excludes the SKU",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 8, 0, fresh), erp("S2", 0, 0, fresh)},
					[]orderbot.StockLevel{shop("S1", 8), shop("S2", 0)}, map[string]int64{})
			},
			opts: withParams(orderbot.InventoryLowStock, func(p *orderbot.Params) { p.SKUs = map[string]int64{"S1": 10, "S2": -1} }),
			want: []found{{orderbot.InventoryLowStock, "S1", ""}},
			eval: map[found]bool{{kind: orderbot.InventoryLowStock, subject: "S2"}: false},
			check: func(t *testing.T, res *detect.Result) {
				if a := anomaly(t, res, orderbot.InventoryLowStock, "S1"); factValue(a, "Safety stock") != "10" {
					t.Errorf("facts %+v", a.Facts)
				}
			},
		},
		{
			name: "low stock from the shop when there is no ERP view",
			snap: func() *detect.Snapshot { return stockSnap(nil, []orderbot.StockLevel{shop("S1", 2)}, nil) },
			want: []found{{orderbot.InventoryLowStock, "S1", ""}},
			check: func(t *testing.T, res *detect.Result) {
				if a := anomaly(t, res, orderbot.InventoryLowStock, "S1"); factValue(a, "shop available") != "2" || a.Source != "shopify" {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			// A new SKU reaches the shop's stock a poll before the ERP's (the
			// quality run's bulk SKUs did): with an ERP view configured, the
			// shop's 0 is not the stock of record, so it waits for the ERP.
			name: "no low stock from the shop for a SKU the ERP has not reported yet",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S2", 100, 0, fresh)}, []orderbot.StockLevel{shop("S1", 0), shop("S2", 100)}, map[string]int64{"S1": 3})
			},
			want: nil,
			eval: map[found]bool{{kind: orderbot.InventoryLowStock, subject: "S1"}: false},
		},
		{
			name: "sync: difference of exactly the tolerance is fine",
			snap: func() *detect.Snapshot {
				// ERP sellable = 30 − 5 = 25; shop 20: difference 5.
				return stockSnap([]orderbot.StockLevel{erp("S1", 30, 5, fresh)}, []orderbot.StockLevel{shop("S1", 20)}, map[string]int64{"S1": 5})
			},
		},
		{
			name: "sync: difference beyond the tolerance for max age",
			snap: func() *detect.Snapshot {
				s := stockSnap([]orderbot.StockLevel{erp("S1", 30, 5, fresh), erp("S2", 100, 0, fresh), erp("S3", 40, 0, fresh)},
					[]orderbot.StockLevel{shop("S1", 19), shop("S2", 130), shop("S3", 40)}, map[string]int64{"S1": 5})
				s.StockDiffSince = map[string]time.Time{"S1": ago(20 * time.Minute), "S2": ago(time.Hour), "S3": ago(time.Hour)}
				return s
			},
			want: []found{{orderbot.InventorySyncLag, "shopify", ""}},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.InventorySyncLag, "shopify")
				// Worst first, named in the summary.
				if got := factValue(a, "S2"); !strings.HasPrefix(got, "shop 130, ERP sellable 100 (difference +30) since ") {
					t.Errorf("S2 fact %q", got)
				}
				if a.Facts[len(a.Facts)-1].Label != "S1" || factValue(a, "S3") != "" || a.Department != "tech" {
					t.Errorf("facts %+v", a.Facts)
				}
				if !strings.HasSuffix(a.Summary, ": S2 and S1") {
					t.Errorf("summary does not name the SKUs: %q", a.Summary)
				}
				// S3 agrees: it leaves the kept differences.
				if len(res.StockDiffs) != 2 || !res.StockDiffs["S2"].Equal(ago(time.Hour)) {
					t.Errorf("StockDiffs = %v", res.StockDiffs)
				}
			},
		},
		{
			name: "sync: a new difference waits for max age",
			snap: func() *detect.Snapshot {
				s := stockSnap([]orderbot.StockLevel{erp("S1", 100, 0, fresh), erp("S2", 100, 0, fresh)},
					[]orderbot.StockLevel{shop("S1", 130), shop("S2", 130)}, map[string]int64{})
				s.StockDiffSince = map[string]time.Time{"S2": ago(20*time.Minute - time.Second)}
				return s
			},
			eval: map[found]bool{{kind: orderbot.InventorySyncLag, subject: "shopify"}: true},
			check: func(t *testing.T, res *detect.Result) {
				if len(res.StockDiffs) != 2 || !res.StockDiffs["S1"].Equal(now) || !res.StockDiffs["S2"].Equal(ago(20*time.Minute-time.Second)) {
					t.Errorf("StockDiffs = %v, want S1 since now and S2 kept", res.StockDiffs)
				}
			},
		},
		{
			// ERPNext changes a Bin only when its stock moves: old records whose
			// quantity agrees are a healthy shop.
			name: "sync: old ERP records that agree open nothing",
			snap: func() *detect.Snapshot {
				return stockSnap([]orderbot.StockLevel{erp("S1", 30, 0, ago(72*time.Hour)), erp("S2", 30, 0, ago(20*time.Minute)), erp("S9", 3, 0, ago(200*time.Hour))},
					[]orderbot.StockLevel{shop("S1", 30), shop("S2", 28)}, map[string]int64{})
			},
			opts: withParams(orderbot.InventoryLowStock, func(p *orderbot.Params) { p.Units = 0 }),
			eval: map[found]bool{{kind: orderbot.InventorySyncLag, subject: "shopify"}: true},
		},
		{
			name: "sync: ERP stock source not polled successfully for max age",
			snap: func() *detect.Snapshot {
				s := stockSnap([]orderbot.StockLevel{erp("S1", 30, 0, ago(72*time.Hour))}, []orderbot.StockLevel{shop("S1", 30)}, map[string]int64{})
				s.Sources = []detect.SourceHealth{
					{Name: "erpnext", Kind: orderbot.DataOrders, Side: orderbot.SideERP, LastSuccess: ago(20 * time.Minute), ConsecutiveFailures: 2, LastError: "503"},
					{Name: "erp2", Side: orderbot.SideERP, LastSuccess: ago(19 * time.Minute)},
					{Name: "shopify", Side: orderbot.SideShop, LastSuccess: ago(3 * time.Hour)},
				}
				return s
			},
			want: []found{{orderbot.InventorySyncLag, "erpnext", ""}},
			eval: map[found]bool{{kind: orderbot.InventorySyncLag, subject: "erp2"}: true, {kind: orderbot.InventorySyncLag, subject: "shopify"}: true},
			check: func(t *testing.T, res *detect.Result) {
				a := anomaly(t, res, orderbot.InventorySyncLag, "erpnext")
				if !strings.Contains(a.Summary, "has not been polled successfully for 20m") || factValue(a, "Last error") != "503" {
					t.Errorf("anomaly %+v", a)
				}
			},
		},
		{
			name: "StockSKUs limits the SKU kinds but not the per-source sync check",
			snap: func() *detect.Snapshot {
				s := stockSnap([]orderbot.StockLevel{erp("S1", 1, 0, fresh), erp("S2", 1, 0, fresh)},
					[]orderbot.StockLevel{shop("S1", 1), shop("S2", 20)}, map[string]int64{"S1": 3, "S2": 3})
				s.StockSKUs = []string{"S1"}
				s.StockDiffSince = map[string]time.Time{"S2": ago(time.Hour)}
				return s
			},
			want: []found{{orderbot.InventoryOversold, "S1", ""}, {orderbot.InventoryLowStock, "S1", ""}, {orderbot.InventorySyncLag, "shopify", ""}},
			eval: map[found]bool{{kind: orderbot.InventoryOversold, subject: "S2"}: false, {kind: orderbot.InventoryLowStock, subject: "S2"}: false},
		},
		{
			name: "no inventory coverage: nothing fires or counts",
			snap: func() *detect.Snapshot {
				s := stockSnap([]orderbot.StockLevel{erp("S1", 0, 0, ago(time.Hour))}, []orderbot.StockLevel{shop("S1", 50)}, map[string]int64{"S1": 3})
				delete(s.Coverage, orderbot.DataInventory)
				return s
			},
			eval: map[found]bool{{kind: orderbot.InventoryOversold, subject: "S1"}: false, {kind: orderbot.InventoryLowStock, subject: "S1"}: false,
				{kind: orderbot.InventorySyncLag, subject: "shopify"}: false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set map[orderbot.Kind]orderbot.KindSettings
			if tt.opts != nil {
				set = settings(tt.opts)
			}
			res := detect.New(set, detect.Options{}).Run(tt.snap())
			checkFound(t, res, tt.want)
			for f, want := range tt.eval {
				if got := res.WasEvaluated(f.kind, f.subject); got != want {
					t.Errorf("WasEvaluated(%s, %s) = %v, want %v", f.kind, f.subject, got, want)
				}
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}
