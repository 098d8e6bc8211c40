package shopifyfake

import (
	"strconv"
	"strings"

	"github.com/orderbot/orderbot/internal/jsonstr"
)

// Orders are the fake's bulk output (a benchmark pages 100,000 of them), so
// they are encoded by hand instead of through encoding/json's reflection, and
// the fields parameter selects top-level keys as it is encoded rather than by
// re-parsing. TestEncodeOrderMatchesEncodingJSON keeps this in step with the
// struct tags of wireOrder.

// fieldSet is a parsed fields parameter; nil selects every field.
type fieldSet map[string]bool

func parseFields(v string) fieldSet {
	if v == "" {
		return nil
	}
	fs := fieldSet{}
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fs[f] = true
		}
	}
	return fs
}

// jw appends JSON; first tracks whether a comma is due in the current object.
type jw struct {
	b     []byte
	first bool
}

func (w *jw) open(c byte) { w.b = append(w.b, c); w.first = true }

func (w *jw) close(c byte) { w.b = append(w.b, c); w.first = false }

func (w *jw) comma() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

func (w *jw) key(k string) {
	w.comma()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.first = true // the value follows the colon without a comma
}

func (w *jw) str(s string) {
	w.comma()
	w.b = jsonstr.AppendString(w.b, s)
}

func (w *jw) strPtr(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

func (w *jw) int(n int64) {
	w.comma()
	w.b = strconv.AppendInt(w.b, n, 10)
}

func (w *jw) intPtr(n *int64) {
	if n == nil {
		w.null()
		return
	}
	w.int(*n)
}

func (w *jw) bool(v bool) {
	w.comma()
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jw) null() {
	w.comma()
	w.b = append(w.b, "null"...)
}

func (w *jw) strs(list []string) {
	w.comma()
	if list == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for _, s := range list {
		w.str(s)
	}
	w.close(']')
}

func (w *jw) address(a *wireAddress) {
	if a == nil {
		w.null()
		return
	}
	w.comma()
	w.open('{')
	w.key("first_name")
	w.str(a.FirstName)
	w.key("last_name")
	w.str(a.LastName)
	w.key("name")
	w.str(a.Name)
	w.key("company")
	w.strPtr(a.Company)
	w.key("address1")
	w.str(a.Address1)
	w.key("address2")
	w.strPtr(a.Address2)
	w.key("city")
	w.str(a.City)
	w.key("province")
	w.strPtr(a.Province)
	w.key("province_code")
	w.strPtr(a.ProvinceCode)
	w.key("country")
	w.str(a.Country)
	w.key("country_code")
	w.str(a.CountryCode)
	w.key("zip")
	w.str(a.Zip)
	w.key("phone")
	w.strPtr(a.Phone)
	w.key("latitude")
	w.null()
	w.key("longitude")
	w.null()
	w.close('}')
}

// appendOrder appends o with the selected top-level keys, in wireOrder's order.
func appendOrder(b []byte, o *wireOrder, sel fieldSet) []byte {
	w := &jw{b: b}
	w.open('{')
	for _, m := range orderMembers {
		if sel == nil || sel[m.key] {
			w.key(m.key)
			m.value(w, o)
		}
	}
	w.close('}')
	return w.b
}

// orderMember is one top-level key of an order and how its value is written.
type orderMember struct {
	key   string
	value func(w *jw, o *wireOrder)
}

// orderMembers are wireOrder's keys in its field order. It is an array so that
// its length is a constant (encodedOrder's offsets); its length is at most 64
// (memberMask).
var orderMembers = [...]orderMember{
	{"id", func(w *jw, o *wireOrder) { w.int(o.ID) }},
	{"admin_graphql_api_id", func(w *jw, o *wireOrder) { w.str(o.AdminGraphqlAPIID) }},
	{"name", func(w *jw, o *wireOrder) { w.str(o.Name) }},
	{"order_number", func(w *jw, o *wireOrder) { w.int(o.OrderNumber) }},
	{"email", func(w *jw, o *wireOrder) { w.strPtr(o.Email) }},
	{"contact_email", func(w *jw, o *wireOrder) { w.strPtr(o.ContactEmail) }},
	{"phone", func(w *jw, o *wireOrder) { w.strPtr(o.Phone) }},
	{"created_at", func(w *jw, o *wireOrder) { w.str(o.CreatedAt) }},
	{"updated_at", func(w *jw, o *wireOrder) { w.str(o.UpdatedAt) }},
	{"processed_at", func(w *jw, o *wireOrder) { w.str(o.ProcessedAt) }},
	{"cancelled_at", func(w *jw, o *wireOrder) { w.strPtr(o.CancelledAt) }},
	{"cancel_reason", func(w *jw, o *wireOrder) { w.strPtr(o.CancelReason) }},
	{"closed_at", func(w *jw, o *wireOrder) { w.strPtr(o.ClosedAt) }},
	{"currency", func(w *jw, o *wireOrder) { w.str(o.Currency) }},
	{"presentment_currency", func(w *jw, o *wireOrder) { w.str(o.PresentmentCurrency) }},
	{"total_price", func(w *jw, o *wireOrder) { w.str(o.TotalPrice) }},
	{"subtotal_price", func(w *jw, o *wireOrder) { w.str(o.SubtotalPrice) }},
	{"total_tax", func(w *jw, o *wireOrder) { w.str(o.TotalTax) }},
	{"total_discounts", func(w *jw, o *wireOrder) { w.str(o.TotalDiscounts) }},
	{"current_total_price", func(w *jw, o *wireOrder) { w.str(o.CurrentTotalPrice) }},
	{"total_outstanding", func(w *jw, o *wireOrder) { w.str(o.TotalOutstanding) }},
	{"financial_status", func(w *jw, o *wireOrder) { w.str(o.FinancialStatus) }},
	{"fulfillment_status", func(w *jw, o *wireOrder) { w.strPtr(o.FulfillmentStatus) }},
	{"test", func(w *jw, o *wireOrder) { w.bool(o.Test) }},
	{"tags", func(w *jw, o *wireOrder) { w.str(o.Tags) }},
	{"note", func(w *jw, o *wireOrder) { w.strPtr(o.Note) }},
	{"customer_locale", func(w *jw, o *wireOrder) { w.strPtr(o.CustomerLocale) }},
	{"gateway", func(w *jw, o *wireOrder) { w.str(o.Gateway) }},
	{"payment_gateway_names", func(w *jw, o *wireOrder) { w.strs(o.PaymentGatewayNames) }},
	{"customer", func(w *jw, o *wireOrder) { w.customer(o.Customer) }},
	{"shipping_address", func(w *jw, o *wireOrder) { w.address(o.ShippingAddress) }},
	{"billing_address", func(w *jw, o *wireOrder) { w.address(o.BillingAddress) }},
	{"line_items", func(w *jw, o *wireOrder) { w.lineItems(o.LineItems) }},
	{"fulfillments", func(w *jw, o *wireOrder) { w.fulfillments(o.Fulfillments) }},
	{"refunds", func(w *jw, o *wireOrder) { w.refunds(o.Refunds) }},
}

// memberMask selects orderMembers by index.
type memberMask uint64

// maskOf is the members a fields parameter selects.
func maskOf(sel fieldSet) memberMask {
	var m memberMask
	for i, om := range orderMembers {
		if sel == nil || sel[om.key] {
			m |= 1 << i
		}
	}
	return m
}

// encodedOrder is an order encoded once, when it is stored: each member as
// `"key":value`, back to back, end[i] the end of member i. A page is then cut
// together from the members its fields parameter selects, instead of every
// listing rendering and encoding the same orders again (the fake's cost is
// not Shopify's, and a benchmark should measure the adapter, not the fake).
type encodedOrder struct {
	b   []byte
	end [len(orderMembers)]uint32
}

// encodeOrder encodes o, using scratch (returned for reuse) as a work buffer.
func encodeOrder(o *wireOrder, scratch []byte) (encodedOrder, []byte) {
	var e encodedOrder
	w := &jw{b: scratch[:0]}
	for i, m := range orderMembers {
		w.first = true // no comma: members are joined when a page is cut
		w.key(m.key)
		m.value(w, o)
		e.end[i] = uint32(len(w.b))
	}
	e.b = append([]byte(nil), w.b...) // exact size: the fake keeps every order
	return e, w.b
}

// size is an upper bound of what appendTo appends.
func (e *encodedOrder) size() int { return len(e.b) + len(orderMembers) + 2 }

// appendTo appends the order as an object of the members in m, which is what
// appendOrder writes for the same selection.
func (e *encodedOrder) appendTo(b []byte, m memberMask) []byte {
	b = append(b, '{')
	start, first := uint32(0), true
	for i, end := range e.end {
		if m&(1<<i) != 0 {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, e.b[start:end]...)
		}
		start = end
	}
	return append(b, '}')
}

func (w *jw) customer(c *wireCustomer) {
	if c == nil {
		w.null()
		return
	}
	w.comma()
	w.open('{')
	w.key("id")
	w.int(c.ID)
	w.key("email")
	w.strPtr(c.Email)
	w.key("phone")
	w.strPtr(c.Phone)
	w.key("first_name")
	w.str(c.FirstName)
	w.key("last_name")
	w.str(c.LastName)
	w.key("state")
	w.str(c.State)
	w.key("currency")
	w.str(c.Currency)
	w.close('}')
}

func (w *jw) lineItems(items []wireLineItem) {
	w.comma()
	if items == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for i := range items {
		li := &items[i]
		w.comma()
		w.open('{')
		w.key("id")
		w.int(li.ID)
		w.key("variant_id")
		w.intPtr(li.VariantID)
		w.key("product_id")
		w.intPtr(li.ProductID)
		w.key("sku")
		w.str(li.SKU)
		w.key("title")
		w.str(li.Title)
		w.key("name")
		w.str(li.Name)
		w.key("quantity")
		w.int(li.Quantity)
		w.key("current_quantity")
		w.int(li.CurrentQuantity)
		w.key("price")
		w.str(li.Price)
		w.key("fulfillable_quantity")
		w.int(li.FulfillableQuantity)
		w.key("fulfillment_status")
		w.strPtr(li.FulfillmentStatus)
		w.key("requires_shipping")
		w.bool(li.RequiresShipping)
		w.key("grams")
		w.int(int64(li.Grams))
		w.key("vendor")
		w.strPtr(li.Vendor)
		w.close('}')
	}
	w.close(']')
}

func (w *jw) fulfillments(fs []wireFulfillment) {
	w.comma()
	if fs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for i := range fs {
		f := &fs[i]
		w.comma()
		w.open('{')
		w.key("id")
		w.int(f.ID)
		w.key("order_id")
		w.int(f.OrderID)
		w.key("name")
		w.str(f.Name)
		w.key("status")
		w.str(f.Status)
		w.key("created_at")
		w.str(f.CreatedAt)
		w.key("updated_at")
		w.str(f.UpdatedAt)
		w.key("service")
		w.str(f.Service)
		w.key("shipment_status")
		w.strPtr(f.ShipmentStatus)
		w.key("tracking_company")
		w.strPtr(f.TrackingCompany)
		w.key("tracking_number")
		w.strPtr(f.TrackingNumber)
		w.key("tracking_numbers")
		w.strs(f.TrackingNumbers)
		w.key("tracking_url")
		w.strPtr(f.TrackingURL)
		w.key("tracking_urls")
		w.strs(f.TrackingURLs)
		w.key("line_items")
		w.comma()
		if f.LineItems == nil {
			w.b = append(w.b, "null"...)
		} else {
			w.open('[')
			for _, li := range f.LineItems {
				w.comma()
				w.open('{')
				w.key("id")
				w.int(li.ID)
				w.key("sku")
				w.str(li.SKU)
				w.key("quantity")
				w.int(li.Quantity)
				w.close('}')
			}
			w.close(']')
		}
		w.close('}')
	}
	w.close(']')
}

func (w *jw) refunds(rs []wireRefund) {
	w.comma()
	if rs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for i := range rs {
		r := &rs[i]
		w.comma()
		w.open('{')
		w.key("id")
		w.int(r.ID)
		w.key("order_id")
		w.int(r.OrderID)
		w.key("created_at")
		w.str(r.CreatedAt)
		w.key("note")
		w.strPtr(r.Note)
		w.key("transactions")
		w.comma()
		if r.Transactions == nil {
			w.b = append(w.b, "null"...)
		} else {
			w.open('[')
			for _, t := range r.Transactions {
				w.comma()
				w.open('{')
				w.key("id")
				w.int(t.ID)
				w.key("order_id")
				w.int(t.OrderID)
				w.key("kind")
				w.str(t.Kind)
				w.key("gateway")
				w.str(t.Gateway)
				w.key("status")
				w.str(t.Status)
				w.key("amount")
				w.str(t.Amount)
				w.key("currency")
				w.str(t.Currency)
				w.close('}')
			}
			w.close(']')
		}
		w.close('}')
	}
	w.close(']')
}
