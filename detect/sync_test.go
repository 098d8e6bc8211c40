package detect_test

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

// erpOf is the ERP's faithful record of a shop order: same status, lines and
// total, modified a minute after the shop's last change.
func erpOf(o orderbot.Order) orderbot.ErpOrder {
	e := orderbot.ErpOrder{ID: "SAL-ORD-" + o.ID, Source: "erpnext",
		Link:   orderbot.OrderRef{Shop: o.Source, Holds: orderbot.LinkName, Value: o.Name},
		Status: o.Status, Financial: o.Financial, Fulfillment: o.Fulfillment, Total: o.Total,
		Lines: append([]orderbot.LineItem(nil), o.Lines...), CreatedAt: o.CreatedAt.Add(time.Minute), Modified: o.UpdatedAt.Add(time.Minute)}
	if o.Cancelled() {
		e.Status = orderbot.OrderCancelled
	}
	return e
}

// syncSnap is the joined snapshot of one mirrored shop order.
func syncSnap(o orderbot.Order, erps []orderbot.ErpOrder, parcels ...orderbot.Shipment) *detect.Snapshot {
	cov := covered()
	cov[orderbot.DataERPOrders] = now
	rec := detect.OrderRecords{ERP: erps, Payments: []orderbot.Payment{payment("pi_"+o.ID, o.ID, o.Total, o.PaidAt)}}
	for i := range parcels {
		rec.Parcels = append(rec.Parcels, &parcels[i])
	}
	return &detect.Snapshot{Now: now, Orders: []orderbot.Order{o}, Records: []detect.OrderRecords{rec},
		Coverage: cov, Since: map[orderbot.DataSet]time.Time{orderbot.DataERPOrders: ago(72 * time.Hour), orderbot.DataOrders: ago(72 * time.Hour)},
		ERPShops: map[string]bool{"shopify": true}}
}

func TestSyncRules(t *testing.T) {
	const h = time.Hour
	paid := order("1001") // paid 2 h ago: exactly at the grace
	healthy := erpOf(paid)

	late := order("1002")
	late.PaidAt, late.UpdatedAt = ago(90*time.Minute), ago(90*time.Minute)

	shippedERP := erpOf(paid)
	shippedERP.Fulfillment = orderbot.FulfillmentFulfilled
	shippedERP.Modified = ago(3 * h)

	shippedRecent := shippedERP
	shippedRecent.Modified = ago(h)

	partialShop := shipped(order("1003"), ago(5*h), "1Z1")
	partialShop.Fulfillment = orderbot.FulfillmentPartial
	partialShop.UpdatedAt = ago(5 * h)
	partialERP := erpOf(partialShop)

	cancelledERP := erpOf(paid)
	cancelledERP.Status, cancelledERP.Modified = orderbot.OrderCancelled, ago(3*h)

	shopCancelled := cancelled(order("1004"), ago(4*h))
	shopCancelled.UpdatedAt = ago(4 * h)
	openERP := erpOf(order("1004"))
	openERP.Modified = ago(5 * h)

	amount := erpOf(paid)
	amount.Total = usd(90)
	qty := erpOf(paid)
	qty.Lines = []orderbot.LineItem{{SKU: "SKU-1", Quantity: 3, Price: usd(100)}}
	pennies := erpOf(paid)
	pennies.Total.Minor += 1 // 0.01: within the tolerance

	editedShop := order("1005")
	editedShop.UpdatedAt = ago(30 * time.Minute)
	staleERP := erpOf(order("1005"))
	staleERP.Total, staleERP.Modified = usd(80), ago(3*h)

	delivered := shipped(order("1006"), ago(50*h), "1Z6")
	delivered.Status, delivered.UpdatedAt = orderbot.OrderCompleted, ago(5*h)
	deliveredERP := erpOf(delivered)
	deliveredERP.Modified = ago(5 * h)

	amended := erpOf(paid)
	amendedOld := amended
	amendedOld.ID, amendedOld.Status = "SAL-ORD-1001", orderbot.OrderCancelled
	amended.ID = "SAL-ORD-1001-1"

	unpaidShop := unpaid(order("1007"))

	cases := []struct {
		name    string
		snap    *detect.Snapshot
		want    orderbot.Kind // "" = nothing
		atRisk  int64
		differs orderbot.System
	}{
		{"healthy mirrored order", syncSnap(paid, []orderbot.ErpOrder{healthy}), "", 0, 0},
		{"paid, absent from the ERP after the grace", syncSnap(paid, nil), orderbot.SyncOrderMissing, 10000, orderbot.SystemERP},
		{"trap: absent but still within the grace", syncSnap(late, nil), "", 0, 0},
		{"trap: unpaid order absent from the ERP", syncSnap(unpaidShop, nil), "", 0, 0},
		{"ERP shipped, shop unfulfilled", syncSnap(paid, []orderbot.ErpOrder{shippedERP}), orderbot.SyncStatusMismatch, 10000, orderbot.SystemShop},
		{"trap: ERP shipped within the grace", syncSnap(paid, []orderbot.ErpOrder{shippedRecent}), "", 0, 0},
		{"trap: partial shipment in both", syncSnap(partialShop, []orderbot.ErpOrder{partialERP}, parcel("1Z1", orderbot.ShipInTransit, ago(h))), "", 0, 0},
		{"cancelled in the ERP, open in the shop", syncSnap(paid, []orderbot.ErpOrder{cancelledERP}), orderbot.SyncStatusMismatch, 10000, orderbot.SystemERP},
		{"cancelled in the shop, open in the ERP", syncSnap(shopCancelled, []orderbot.ErpOrder{openERP}), orderbot.SyncOrderMissing, 10000, orderbot.SystemShop},
		{"ERP and shop delivered, courier moving", syncSnap(delivered, []orderbot.ErpOrder{deliveredERP}, parcel("1Z6", orderbot.ShipInTransit, ago(10*h))), orderbot.SyncStatusMismatch, 10000, orderbot.SystemCourier},
		{"trap: delivered everywhere", syncSnap(delivered, []orderbot.ErpOrder{deliveredERP}, parcel("1Z6", orderbot.ShipDelivered, ago(10*h))), "", 0, 0},
		{"totals differ", syncSnap(paid, []orderbot.ErpOrder{amount}), orderbot.SyncAmountMismatch, 1000, orderbot.SystemERP},
		{"line quantity differs", syncSnap(paid, []orderbot.ErpOrder{qty}), orderbot.SyncAmountMismatch, 20000, orderbot.SystemERP},
		{"trap: a cent apart", syncSnap(paid, []orderbot.ErpOrder{pennies}), "", 0, 0},
		{"trap: shop edited, ERP not caught up yet", syncSnap(editedShop, []orderbot.ErpOrder{staleERP}), "", 0, 0},
		{"trap: amended Sales Order (cancelled original + live copy)", syncSnap(paid, []orderbot.ErpOrder{amendedOld, amended}), "", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(c.snap)
			var got []orderbot.Anomaly
			for _, a := range res.Anomalies {
				if a.Kind.Category() == "sync" {
					got = append(got, a)
				}
			}
			if c.want == "" {
				if len(got) > 0 {
					t.Fatalf("opened %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != c.want {
				t.Fatalf("got %+v, want one %s", got, c.want)
			}
			a := got[0]
			if a.AtRisk.Minor != c.atRisk || a.AtRisk.Currency != "USD" {
				t.Errorf("at risk %v, want %d", a.AtRisk, c.atRisk)
			}
			if a.Subject != c.snap.Orders[0].ID || a.OrderID != a.Subject {
				t.Errorf("subject %q order %q", a.Subject, a.OrderID)
			}
			var cmp orderbot.Comparison
			ok := false
			for _, f := range a.Facts {
				if cmp, ok = orderbot.ParseComparison(f); ok {
					break
				}
			}
			if !ok || !cmp.Differs[c.differs] {
				t.Errorf("no side-by-side fact marking %s: %+v", c.differs, a.Facts)
			}
			if !res.WasEvaluated(c.want, a.Subject) {
				t.Error("not evaluated")
			}
		})
	}
}

// Waiting disagreements come back through the watch list when their grace
// ends; cleared ones count as evaluated so their tickets auto-resolve.
func TestSyncRechecksAndEvaluation(t *testing.T) {
	late := order("2001")
	late.PaidAt, late.UpdatedAt = ago(90*time.Minute), ago(90*time.Minute)
	res := run(syncSnap(late, nil))
	if got := nextChecks(res)["2001"]; !got.Equal(late.PaidAt.Add(2 * time.Hour)) {
		t.Errorf("next check %v, want the end of the grace", got)
	}
	ok := order("2002")
	res = run(syncSnap(ok, []orderbot.ErpOrder{erpOf(ok)}))
	for _, k := range []orderbot.Kind{orderbot.SyncOrderMissing, orderbot.SyncStatusMismatch, orderbot.SyncAmountMismatch} {
		if !res.WasEvaluated(k, "2002") {
			t.Errorf("%s not evaluated for a healthy mirrored order", k)
		}
	}
	// The ERP source's coverage short of the grace: neither fire nor clear.
	snap := syncSnap(order("2003"), nil)
	snap.Coverage[orderbot.DataERPOrders] = ago(3 * time.Hour)
	res = run(snap)
	if len(res.Anomalies) != 0 || res.WasEvaluated(orderbot.SyncOrderMissing, "2003") {
		t.Errorf("judged without ERP coverage: %+v", res.Anomalies)
	}
	// A shop nobody mirrors: nothing compared.
	snap = syncSnap(order("2004"), nil)
	snap.ERPShops = nil
	if res = run(snap); len(res.Anomalies) != 0 {
		t.Errorf("unmirrored shop: %+v", res.Anomalies)
	}
}

// An ERP record whose shop order the store does not have.
func TestERPOrphans(t *testing.T) {
	cov := covered()
	cov[orderbot.DataERPOrders] = now
	mk := func(created time.Time, st orderbot.OrderStatus) orderbot.ErpOrder {
		return orderbot.ErpOrder{ID: "SAL-ORD-9", Source: "erpnext", Status: st, Total: usd(40), CreatedAt: created, Modified: created,
			Link: orderbot.OrderRef{Shop: "shopify", Holds: orderbot.LinkID, Value: "999"}}
	}
	for _, c := range []struct {
		name string
		e    orderbot.ErpOrder
		fire bool
	}{
		{"open, older than the grace", mk(ago(3*time.Hour), orderbot.OrderProcessing), true},
		{"trap: within the grace", mk(ago(time.Hour), orderbot.OrderProcessing), false},
		{"trap: old record from before the shop's first poll", mk(ago(100*time.Hour), orderbot.OrderProcessing), false},
		{"trap: completed long ago", mk(ago(3*time.Hour), orderbot.OrderCompleted), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap := &detect.Snapshot{Now: now, Coverage: cov, ERPOrders: []orderbot.ErpOrder{c.e}, ERPShops: map[string]bool{"shopify": true},
				Since: map[orderbot.DataSet]time.Time{orderbot.DataOrders: ago(72 * time.Hour)}}
			res := run(snap)
			if fired := len(res.Anomalies) == 1 && res.Anomalies[0].Kind == orderbot.SyncOrderMissing; fired != c.fire {
				t.Fatalf("anomalies %+v, want fire %v", res.Anomalies, c.fire)
			}
			if c.fire && (res.Anomalies[0].Subject != "erpnext/SAL-ORD-9" || res.Anomalies[0].AtRisk != usd(40)) {
				t.Errorf("anomaly %+v", res.Anomalies[0])
			}
			if c.name == "trap: within the grace" {
				if _, ok := nextChecks(res)[detect.ERPWatchID(c.e.Link)]; !ok {
					t.Error("a young orphan is not re-checked")
				}
			}
		})
	}
}

// Before the shop's first poll an ERP record without a shop order proves
// nothing yet, and must come back.
func TestERPOrphanWaitsForTheShop(t *testing.T) {
	cov := covered()
	cov[orderbot.DataERPOrders] = now
	delete(cov, orderbot.DataOrders)
	e := orderbot.ErpOrder{ID: "SAL-ORD-9", Source: "erpnext", Status: orderbot.OrderProcessing, CreatedAt: ago(5 * time.Hour), Modified: ago(5 * time.Hour),
		Link: orderbot.OrderRef{Shop: "shopify", Holds: orderbot.LinkID, Value: "999"}}
	res := run(&detect.Snapshot{Now: now, Coverage: cov, ERPOrders: []orderbot.ErpOrder{e}, ERPShops: map[string]bool{"shopify": true}})
	if len(res.Anomalies) != 0 {
		t.Fatalf("judged before the shop was polled: %+v", res.Anomalies)
	}
	if at, ok := nextChecks(res)[detect.ERPWatchID(e.Link)]; !ok || !at.Equal(now) {
		t.Fatalf("not re-checked: %v %v", at, ok)
	}
}
