package detect

import "github.com/orderbot/orderbot"

// Money at risk: each finding says how much is at stake, so tickets can be
// ranked by it and storms summed. A rule that knows better sets AtRisk
// itself (the duplicate charge, the payment difference, oversold units ×
// price, the ERP difference); any other finding about an order puts the
// order's total at risk. It runs over the anomalies only, about 1 % of
// orders, never on the fine-order path.

// defaultAtRisk fills the order total into order findings without an amount.
func (r *run) defaultAtRisk() {
	for i := range r.out {
		a := &r.out[i]
		if a.AtRisk.Minor != 0 || a.OrderID == "" {
			continue
		}
		if j, ok := r.eval.orders.find(a.OrderID); ok && j < len(r.snap.Orders) {
			a.AtRisk = r.snap.Orders[j].Total
		}
	}
}

// unitsAtRisk is units × the SKU's unit price as the snapshot's orders sell
// it (the highest when they differ); zero when no order of the snapshot has
// the SKU.
func (r *run) unitsAtRisk(sku string, units int64) orderbot.Money {
	if r.prices == nil {
		r.prices = make(map[string]orderbot.Money)
		for i := range r.snap.Orders {
			for _, l := range r.snap.Orders[i].Lines {
				if p, ok := r.prices[l.SKU]; l.SKU != "" && (!ok || l.Price.Minor > p.Minor) {
					r.prices[l.SKU] = l.Price
				}
			}
		}
	}
	p := r.prices[sku]
	return orderbot.Money{Minor: p.Minor * units, Currency: p.Currency}
}
