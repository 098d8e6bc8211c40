package erpnextfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// salesOrder is a Sales Order as Frappe serialises it (GET of one document).
// Empty optional Data fields are null, as in Frappe.
type salesOrder struct {
	Name            string      `json:"name"`
	Owner           string      `json:"owner"`
	Creation        string      `json:"creation"`
	Modified        string      `json:"modified"`
	ModifiedBy      string      `json:"modified_by"`
	DocStatus       int         `json:"docstatus"`
	Idx             int         `json:"idx"`
	Title           string      `json:"title"`
	NamingSeries    string      `json:"naming_series"`
	Customer        string      `json:"customer"`
	CustomerName    string      `json:"customer_name"`
	OrderType       string      `json:"order_type"`
	TransactionDate string      `json:"transaction_date"`
	DeliveryDate    *string     `json:"delivery_date"`
	Company         string      `json:"company"`
	Currency        string      `json:"currency"`
	ConversionRate  frappeFloat `json:"conversion_rate"`
	ContactPerson   *string     `json:"contact_person"`
	ContactMobile   *string     `json:"contact_mobile"`
	ContactPhone    *string     `json:"contact_phone"`
	ContactEmail    *string     `json:"contact_email"`
	Total           frappeFloat `json:"total"`
	GrandTotal      frappeFloat `json:"grand_total"`
	RoundedTotal    frappeFloat `json:"rounded_total"`
	BaseGrandTotal  frappeFloat `json:"base_grand_total"`
	Status          string      `json:"status"`
	DeliveryStatus  string      `json:"delivery_status"`
	BillingStatus   string      `json:"billing_status"`
	PerDelivered    frappeFloat `json:"per_delivered"`
	PerBilled       frappeFloat `json:"per_billed"`
	PerPicked       frappeFloat `json:"per_picked"`
	PoNo            *string     `json:"po_no"`
	Doctype         string      `json:"doctype"`
	Items           []orderItem `json:"items"`
	// Custom holds the site's custom fields (Frappe names them "custom_…"),
	// every one the doctype declares, null when empty; they sit at the top
	// level of the document like the standard fields.
	Custom map[string]*string `json:"-"`
}

// MarshalJSON writes the document with its custom fields at the top level,
// as Frappe does.
func (so *salesOrder) MarshalJSON() ([]byte, error) {
	type plain salesOrder
	b, err := json.Marshal((*plain)(so))
	if err != nil || len(so.Custom) == 0 {
		return b, err
	}
	extra, err := json.Marshal(so.Custom)
	if err != nil {
		return nil, err
	}
	// {"name":...} + {"custom_x":...} → {"name":...,"custom_x":...}
	return append(append(b[:len(b)-1], ','), extra[1:]...), nil
}

// frappeFloat is a Frappe Float/Currency/Percent value: Python's json writes
// every float with a decimal point (199.0, never 199).
type frappeFloat float64

// MarshalJSON writes the float as Python's json module does.
func (f frappeFloat) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f)), nil }

// appendFloat appends v as Python's repr of a float: shortest form, with ".0"
// when it would otherwise read as an integer.
func appendFloat(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if !bytes.ContainsAny(b[start:], ".eE") {
		b = append(b, ".0"...)
	}
	return b
}

// orderItem is one "Sales Order Item" child row.
type orderItem struct {
	Name         string      `json:"name"`
	Owner        string      `json:"owner"`
	Creation     string      `json:"creation"`
	Modified     string      `json:"modified"`
	DocStatus    int         `json:"docstatus"`
	Idx          int         `json:"idx"`
	Parent       string      `json:"parent"`
	ParentField  string      `json:"parentfield"`
	ParentType   string      `json:"parenttype"`
	ItemCode     string      `json:"item_code"`
	ItemName     string      `json:"item_name"`
	Qty          frappeFloat `json:"qty"`
	StockUOM     string      `json:"stock_uom"`
	Rate         frappeFloat `json:"rate"`
	Amount       frappeFloat `json:"amount"`
	DeliveredQty frappeFloat `json:"delivered_qty"`
	BilledAmt    frappeFloat `json:"billed_amt"`
	Warehouse    string      `json:"warehouse"`
	Doctype      string      `json:"doctype"`
}

// field returns a list column of the Sales Order (not the child table).
func (so *salesOrder) field(name string) (any, bool) {
	switch name {
	case "name":
		return so.Name, true
	case "owner":
		return so.Owner, true
	case "creation":
		return so.Creation, true
	case "modified":
		return so.Modified, true
	case "modified_by":
		return so.ModifiedBy, true
	case "docstatus":
		return so.DocStatus, true
	case "idx":
		return so.Idx, true
	case "title":
		return so.Title, true
	case "naming_series":
		return so.NamingSeries, true
	case "customer":
		return so.Customer, true
	case "customer_name":
		return so.CustomerName, true
	case "order_type":
		return so.OrderType, true
	case "transaction_date":
		return so.TransactionDate, true
	case "delivery_date":
		return nullable(so.DeliveryDate), true
	case "company":
		return so.Company, true
	case "currency":
		return so.Currency, true
	case "conversion_rate":
		return so.ConversionRate, true
	case "contact_person":
		return nullable(so.ContactPerson), true
	case "contact_mobile":
		return nullable(so.ContactMobile), true
	case "contact_phone":
		return nullable(so.ContactPhone), true
	case "contact_email":
		return nullable(so.ContactEmail), true
	case "total":
		return so.Total, true
	case "grand_total":
		return so.GrandTotal, true
	case "rounded_total":
		return so.RoundedTotal, true
	case "base_grand_total":
		return so.BaseGrandTotal, true
	case "status":
		return so.Status, true
	case "delivery_status":
		return so.DeliveryStatus, true
	case "billing_status":
		return so.BillingStatus, true
	case "per_delivered":
		return so.PerDelivered, true
	case "per_billed":
		return so.PerBilled, true
	case "per_picked":
		return so.PerPicked, true
	case "po_no":
		return nullable(so.PoNo), true
	}
	if v, ok := so.Custom[name]; ok {
		return nullable(v), true
	}
	return nil, false
}

var salesOrderColumns = []string{"name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "title",
	"naming_series", "customer", "customer_name", "order_type", "transaction_date", "delivery_date", "company",
	"currency", "conversion_rate", "contact_person", "contact_mobile", "contact_phone", "contact_email", "total",
	"grand_total", "rounded_total", "base_grand_total", "status", "delivery_status", "billing_status",
	"per_delivered", "per_billed", "per_picked", "po_no"}

// binDoc is a Bin as Frappe serialises it.
type binDoc struct {
	Name                      string      `json:"name"`
	Owner                     string      `json:"owner"`
	Creation                  string      `json:"creation"`
	Modified                  string      `json:"modified"`
	ModifiedBy                string      `json:"modified_by"`
	DocStatus                 int         `json:"docstatus"`
	Idx                       int         `json:"idx"`
	ItemCode                  string      `json:"item_code"`
	Warehouse                 string      `json:"warehouse"`
	ActualQty                 frappeFloat `json:"actual_qty"`
	ReservedQty               frappeFloat `json:"reserved_qty"`
	OrderedQty                frappeFloat `json:"ordered_qty"`
	IndentedQty               frappeFloat `json:"indented_qty"`
	PlannedQty                frappeFloat `json:"planned_qty"`
	ProjectedQty              frappeFloat `json:"projected_qty"`
	ReservedQtyForProduction  frappeFloat `json:"reserved_qty_for_production"`
	ReservedQtyForSubContract frappeFloat `json:"reserved_qty_for_sub_contract"`
	ValuationRate             frappeFloat `json:"valuation_rate"`
	StockValue                frappeFloat `json:"stock_value"`
	StockUOM                  string      `json:"stock_uom"`
	Doctype                   string      `json:"doctype"`
}

func (b *binDoc) field(name string) (any, bool) {
	switch name {
	case "name":
		return b.Name, true
	case "owner":
		return b.Owner, true
	case "creation":
		return b.Creation, true
	case "modified":
		return b.Modified, true
	case "modified_by":
		return b.ModifiedBy, true
	case "docstatus":
		return b.DocStatus, true
	case "idx":
		return b.Idx, true
	case "item_code":
		return b.ItemCode, true
	case "warehouse":
		return b.Warehouse, true
	case "actual_qty":
		return b.ActualQty, true
	case "reserved_qty":
		return b.ReservedQty, true
	case "ordered_qty":
		return b.OrderedQty, true
	case "indented_qty":
		return b.IndentedQty, true
	case "planned_qty":
		return b.PlannedQty, true
	case "projected_qty":
		return b.ProjectedQty, true
	case "reserved_qty_for_production":
		return b.ReservedQtyForProduction, true
	case "reserved_qty_for_sub_contract":
		return b.ReservedQtyForSubContract, true
	case "valuation_rate":
		return b.ValuationRate, true
	case "stock_value":
		return b.StockValue, true
	case "stock_uom":
		return b.StockUOM, true
	}
	return nil, false
}

var binColumns = []string{"name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "item_code",
	"warehouse", "actual_qty", "reserved_qty", "ordered_qty", "indented_qty", "planned_qty", "projected_qty",
	"reserved_qty_for_production", "reserved_qty_for_sub_contract", "valuation_rate", "stock_value", "stock_uom"}

func nullable(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pyDatetime renders t as Python's str(datetime) does in the site's zone:
// microseconds only when non-zero.
func pyDatetime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// major converts minor units to a Frappe float amount.
func major(m orderbot.Money) float64 {
	return float64(m.Minor) / math.Pow10(orderbot.MinorDigits(m.Currency))
}

// percent is a/b as Frappe's 0–100 percentage.
func percent(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(float64(a)*10000/float64(b)) / 100
}

// renderOrder turns a domain order into the Sales Order ERPNext would hold for
// it, following ERPNext's own status rules (status is derived from docstatus,
// per_delivered and per_billed).
func renderOrder(o *orderbot.Order, loc *time.Location, company string) salesOrder {
	currency := o.Total.Currency
	if currency == "" {
		currency = "USD"
	}
	var qty, delivered int64
	for _, l := range o.Lines {
		qty += l.Quantity
		delivered += min(l.Fulfilled, l.Quantity)
	}
	perDelivered := 0.0
	switch o.Fulfillment {
	case orderbot.FulfillmentFulfilled:
		perDelivered = 100
	case orderbot.FulfillmentPartial:
		perDelivered = percent(delivered, qty)
		if perDelivered <= 0 || perDelivered >= 100 {
			perDelivered = 50
		}
	}
	perBilled := 0.0
	switch o.Financial {
	case orderbot.FinancialPaid, orderbot.FinancialPartiallyRefunded, orderbot.FinancialRefunded:
		perBilled = 100
	case orderbot.FinancialPartiallyPaid:
		perBilled = 50
	}
	docstatus, status := 1, ""
	switch o.Status {
	case orderbot.OrderPending:
		docstatus, status = 0, "Draft"
	case orderbot.OrderCancelled:
		docstatus, status = 2, "Cancelled"
	case orderbot.OrderOnHold:
		status = "On Hold"
	case orderbot.OrderCompleted:
		status = "Completed"
	default:
		switch {
		case perDelivered >= 100 && perBilled >= 100:
			status = "Completed"
		case perDelivered >= 100:
			status = "To Bill"
		case perBilled >= 100:
			status = "To Deliver"
		default:
			status = "To Deliver and Bill"
		}
	}
	deliveryStatus := "Not Delivered"
	switch {
	case !o.RequiresShipping:
		deliveryStatus = "Not Applicable"
	case perDelivered >= 100:
		deliveryStatus = "Fully Delivered"
	case perDelivered > 0:
		deliveryStatus = "Partly Delivered"
	}
	billingStatus := "Not Billed"
	switch {
	case perBilled >= 100:
		billingStatus = "Fully Billed"
	case perBilled > 0:
		billingStatus = "Partly Billed"
	}
	created := o.CreatedAt
	if created.IsZero() {
		created = o.UpdatedAt
	}
	customer := o.Customer.Name
	if customer == "" {
		customer = "Guest"
	}
	grand := major(orderbot.Money{Minor: o.Total.Minor, Currency: currency})
	so := salesOrder{
		Name:            o.ID,
		Owner:           "Administrator",
		Creation:        pyDatetime(created, loc),
		Modified:        pyDatetime(o.UpdatedAt, loc),
		ModifiedBy:      "Administrator",
		DocStatus:       docstatus,
		Title:           customer,
		NamingSeries:    "SAL-ORD-.YYYY.-",
		Customer:        customer,
		CustomerName:    o.Customer.Name,
		OrderType:       "Sales",
		TransactionDate: created.In(loc).Format("2006-01-02"),
		Company:         company,
		Currency:        currency,
		ConversionRate:  1,
		ContactMobile:   strPtr(o.Customer.Phone),
		ContactEmail:    strPtr(o.Customer.Email),
		Total:           frappeFloat(grand),
		GrandTotal:      frappeFloat(grand),
		RoundedTotal:    frappeFloat(grand),
		BaseGrandTotal:  frappeFloat(grand),
		Status:          status,
		DeliveryStatus:  deliveryStatus,
		BillingStatus:   billingStatus,
		PerDelivered:    frappeFloat(perDelivered),
		PerBilled:       frappeFloat(perBilled),
		Doctype:         "Sales Order",
		Items:           make([]orderItem, 0, len(o.Lines)),
	}
	if !o.ShipBy.IsZero() {
		// ShipBy is the end of the delivery date: the date is that of the last
		// instant before the deadline.
		d := o.ShipBy.Add(-time.Nanosecond).In(loc).Format("2006-01-02")
		so.DeliveryDate = &d
	}
	if o.Customer.Name != "" {
		so.ContactPerson = strPtr(o.Customer.Name + "-" + customer)
	}
	for i, l := range o.Lines {
		title := l.Title
		if title == "" {
			title = l.SKU
		}
		price := l.Price
		if price.Currency == "" {
			price.Currency = currency
		}
		rate := major(price)
		so.Items = append(so.Items, orderItem{
			Name:         fmt.Sprintf("%s-item-%d", o.ID, i+1),
			Owner:        "Administrator",
			Creation:     so.Creation,
			Modified:     so.Modified,
			DocStatus:    docstatus,
			Idx:          i + 1,
			Parent:       o.ID,
			ParentField:  "items",
			ParentType:   "Sales Order",
			ItemCode:     l.SKU,
			ItemName:     title,
			Qty:          frappeFloat(l.Quantity),
			StockUOM:     "Nos",
			Rate:         frappeFloat(rate),
			Amount:       frappeFloat(rate * float64(l.Quantity)),
			DeliveredQty: frappeFloat(l.Fulfilled),
			BilledAmt:    frappeFloat(rate * float64(l.Quantity) * perBilled / 100),
			Warehouse:    "Stores - " + company,
			Doctype:      "Sales Order Item",
		})
	}
	return so
}

// renderBin turns a domain ERP stock level into its Bin. The ordered quantity is
// chosen so that Frappe's projected_qty formula (actual + ordered + indented +
// planned − reserved − …) holds.
func renderBin(name string, l *orderbot.StockLevel, created time.Time, loc *time.Location) binDoc {
	ordered := l.Projected - l.Available + l.Reserved
	if ordered < 0 {
		ordered = 0
	}
	return binDoc{
		Name:         name,
		Owner:        "Administrator",
		Creation:     pyDatetime(created, loc),
		Modified:     pyDatetime(l.UpdatedAt, loc),
		ModifiedBy:   "Administrator",
		ItemCode:     l.SKU,
		Warehouse:    l.Location,
		ActualQty:    frappeFloat(l.Available),
		ReservedQty:  frappeFloat(l.Reserved),
		OrderedQty:   frappeFloat(ordered),
		ProjectedQty: frappeFloat(l.Projected),
		StockUOM:     "Nos",
		Doctype:      "Bin",
	}
}
