package erpnext

import (
	"context"
	"time"

	"github.com/orderbot/orderbot"
)

var _ orderbot.ERPOrderSource = (*Client)(nil)

// customLinks reports whether a link reads a field the Sales Order struct
// does not carry (a custom field), so documents are decoded a second time.
func (c *Client) customLinks() bool {
	for _, l := range c.links {
		if l.Field != "po_no" {
			return true
		}
	}
	return false
}

// linkValue is the value of a link field in a Sales Order.
func (so *salesOrder) linkValue(field string) string {
	if field == "po_no" {
		return so.PoNo
	}
	return so.Fields[field]
}

// ListERPOrders lists Sales Orders modified in w as the ERP's records of shop
// orders, oldest first, page by page; like ListOrders it reads each in full.
// A Sales Order links through the first configured link whose field is set;
// one with none set (an order entered in the ERP only) is not a shop order's
// record and is left out.
func (c *Client) ListERPOrders(ctx context.Context, w orderbot.Window, page func([]orderbot.ErpOrder) error) error {
	if len(c.links) == 0 {
		return orderbot.Errorf(orderbot.KindInvalid, opListOrders, "no order links configured: the Sales Orders are orders of their own")
	}
	return listSalesOrders(ctx, c, w, func(so *salesOrder) (orderbot.ErpOrder, string, time.Time, bool, error) {
		e, ok, err := c.toERPOrder(so)
		return e, e.ID, e.Modified, ok, err
	}, page)
}

// toERPOrder maps a Sales Order onto the ERP's record of a shop order; ok is
// false when no link field is set.
func (c *Client) toERPOrder(so *salesOrder) (orderbot.ErpOrder, bool, error) {
	o, err := c.toOrder(opListOrders, "data", so)
	if err != nil {
		return orderbot.ErpOrder{}, false, err
	}
	e := orderbot.ErpOrder{ID: o.ID, Source: c.name, Status: o.Status, Financial: o.Financial, Fulfillment: o.Fulfillment,
		Total: o.Total, Lines: o.Lines, CreatedAt: o.CreatedAt, Modified: o.UpdatedAt, URL: o.URL}
	for _, l := range c.links {
		if ref, ok := l.Ref(so.linkValue(l.Field)); ok {
			e.Link = ref
			return e, true, nil
		}
	}
	return e, false, nil
}
