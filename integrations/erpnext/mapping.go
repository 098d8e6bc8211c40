package erpnext

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// full is the percentage at which Frappe considers a Sales Order fully delivered
// or billed; the small slack absorbs float rounding of per_delivered/per_billed.
const full = 100 - 1e-6

// Sales Order docstatus values.
const (
	docDraft     = 0
	docSubmitted = 1
	docCancelled = 2
)

// orderStatus maps a Sales Order's docstatus and status onto the normalised
// order status. known is false for a status this adapter has never seen (a newer
// ERPNext version); the docstatus then decides, so a new status never stops
// polling.
func orderStatus(docstatus int, status string) (s orderbot.OrderStatus, known bool) {
	switch docstatus {
	case docDraft:
		return orderbot.OrderPending, true
	case docCancelled:
		return orderbot.OrderCancelled, true
	}
	switch status {
	case "Draft", "To Pay":
		return orderbot.OrderPending, true
	case "On Hold":
		return orderbot.OrderOnHold, true
	case "To Deliver and Bill", "To Bill", "To Deliver":
		return orderbot.OrderProcessing, true
	case "Completed", "Closed":
		// Closed is a staff decision that nothing more will ship or be billed: the
		// order is over, like Completed.
		return orderbot.OrderCompleted, true
	case "Cancelled":
		return orderbot.OrderCancelled, true
	}
	return orderbot.OrderProcessing, false
}

// financialStatus maps per_billed onto the normalised financial status. ERPNext
// records money owed through Sales Invoices against the order, so the billed
// percentage is the order's own view of payment; a cancelled order that was
// never billed is voided.
func financialStatus(docstatus int, perBilled float64) orderbot.FinancialStatus {
	switch {
	case perBilled >= full:
		return orderbot.FinancialPaid
	case perBilled > 0:
		return orderbot.FinancialPartiallyPaid
	case docstatus == docCancelled:
		return orderbot.FinancialVoided
	}
	return orderbot.FinancialPending
}

// fulfillmentStatus maps per_delivered onto the normalised fulfilment status.
func fulfillmentStatus(perDelivered float64) orderbot.FulfillmentStatus {
	switch {
	case perDelivered >= full:
		return orderbot.FulfillmentFulfilled
	case perDelivered > 0:
		return orderbot.FulfillmentPartial
	}
	return orderbot.FulfillmentUnfulfilled
}

// quantity turns a Frappe Float quantity into whole units.
func quantity(v float64) int64 { return int64(math.Round(v)) }

// toOrder maps a full Sales Order document (with its items) onto the domain.
// path names the document in errors ("data").
func (c *Client) toOrder(op, path string, so *salesOrder) (orderbot.Order, error) {
	if so.Name == "" {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: empty document name", path+".name")
	}
	modified, err := parseDatetime(so.Modified, c.loc)
	if err != nil {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindPermanent, op, "%s", fieldError(path+".modified", "Frappe datetime", so.Modified))
	}
	o := orderbot.Order{
		ID:               so.Name,
		Source:           c.name,
		Name:             so.Name,
		Financial:        financialStatus(so.DocStatus, so.PerBilled),
		Fulfillment:      fulfillmentStatus(so.PerDelivered),
		Total:            orderbot.FromFloat(so.GrandTotal, so.Currency),
		RequiresShipping: so.DeliveryStatus != "Not Applicable",
		UpdatedAt:        modified,
		URL:              c.siteURL + "/app/sales-order/" + url.PathEscape(so.Name),
		Customer: orderbot.Customer{
			// customer is a Link (a record id); customer_name is the person.
			Name:  strings.TrimSpace(so.CustomerName),
			Phone: firstNonEmpty(so.ContactMobile, so.ContactPhone),
			Email: so.ContactEmail,
		},
	}
	status, known := orderStatus(so.DocStatus, so.Status)
	if !known {
		c.log.Warn("erpnext: unknown Sales Order status, mapped by docstatus",
			"source", c.name, "order", so.Name, "status", so.Status, "docstatus", so.DocStatus)
	}
	o.Status = status
	if so.Creation != "" {
		if o.CreatedAt, err = parseDatetime(so.Creation, c.loc); err != nil {
			return orderbot.Order{}, orderbot.Errorf(orderbot.KindPermanent, op, "%s", fieldError(path+".creation", "Frappe datetime", so.Creation))
		}
	}
	if so.DeliveryDate != "" {
		d, err := time.ParseInLocation(dateLayout, so.DeliveryDate, c.loc)
		if err != nil {
			return orderbot.Order{}, orderbot.Errorf(orderbot.KindPermanent, op, "%s", fieldError(path+".delivery_date", "Frappe date", so.DeliveryDate))
		}
		// The delivery date is the last day the goods may leave on: the deadline
		// is the end of that day in the site's time zone.
		o.ShipBy = d.AddDate(0, 0, 1)
	}
	if len(so.Items) > 0 {
		o.Lines = make([]orderbot.LineItem, 0, len(so.Items))
	}
	for i, it := range so.Items {
		if it.ItemCode == "" {
			return orderbot.Order{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: empty item code", path+".items["+strconv.Itoa(i)+"].item_code")
		}
		o.Lines = append(o.Lines, orderbot.LineItem{
			SKU:       it.ItemCode,
			Title:     it.ItemName,
			Quantity:  quantity(it.Qty),
			Fulfilled: quantity(it.DeliveredQty),
			Price:     orderbot.FromFloat(it.Rate, so.Currency),
		})
	}
	return o, nil
}

// toStock maps one Bin row onto the ERP side of stock.
func (c *Client) toStock(op, path string, b *bin) (orderbot.StockLevel, error) {
	if b.ItemCode == "" {
		return orderbot.StockLevel{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: empty item code", path+".item_code")
	}
	modified, err := parseDatetime(b.Modified, c.loc)
	if err != nil {
		return orderbot.StockLevel{}, orderbot.Errorf(orderbot.KindPermanent, op, "%s", fieldError(path+".modified", "Frappe datetime", b.Modified))
	}
	actual := quantity(b.ActualQty)
	return orderbot.StockLevel{
		SKU:       b.ItemCode,
		Location:  b.Warehouse,
		Available: actual, // see orderbot.StockLevel: reservations are the demand, not a deduction
		OnHand:    actual,
		Reserved:  quantity(b.ReservedQty),
		Projected: quantity(b.ProjectedQty),
		UpdatedAt: modified,
		Side:      orderbot.SideERP,
		Source:    c.name,
	}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
