package shopify

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/orderbot/orderbot/integrations/httpclient"
)

// Orders pages are the bulk of what the adapter reads (a busy shop's window is
// tens of thousands of orders of several kilobytes each), and encoding/json
// spends most of its time validating and skipping the many fields the mapping
// never reads. decodeOrders is a decoder for exactly the wire types in
// wire.go: one pass, no reflection, fast skipping of unknown fields. It
// accepts only what encoding/json would decode to the same values; on
// anything else (bad syntax, a wrong type, an escaped key, invalid UTF-8) it
// gives up and the page is decoded again by httpclient.DecodeJSON, so errors
// and edge cases behave exactly as with encoding/json. FuzzDecodeOrders checks
// the two agree.

// errSlow asks for the encoding/json path.
var errSlow = errors.New("shopify: fast decoder declined")

// decodeOrders decodes an orders.json page ({"orders":[...]}) or a single
// order ({"order":{...}}) into v, which is *ordersPage or *orderEnvelope.
func decodeOrders(op string, body []byte, v any) error {
	if fastDecode(body, v) == nil {
		return nil
	}
	// Start from zero so the slow path sees what encoding/json would.
	switch v := v.(type) {
	case *ordersPage:
		*v = ordersPage{}
	case *orderEnvelope:
		*v = orderEnvelope{}
	}
	return httpclient.DecodeJSON(op, body, v)
}

// fastDecode is the one-pass decoder; errSlow means "use encoding/json".
func fastDecode(body []byte, v any) error {
	d := &decoder{b: body}
	var err error
	switch v := v.(type) {
	case *ordersPage:
		err = d.object(func(key []byte) error {
			if string(key) == "orders" {
				if v.Orders == nil {
					// A page is up to 250 orders: skip the small-slice growth.
					v.Orders = make([]order, 0, 64)
				}
				return array(d, &v.Orders, d.order)
			}
			return d.skip()
		})
	case *orderEnvelope:
		err = d.object(func(key []byte) error {
			if string(key) == "order" {
				return d.order(&v.Order)
			}
			return d.skip()
		})
	default:
		return errSlow
	}
	if err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.b) {
		return errSlow
	}
	return nil
}

type decoder struct {
	b     []byte
	i     int
	depth int
}

// maxDepth matches encoding/json's nesting limit, and keeps a hostile body from
// recursing the stack away.
const maxDepth = 10000

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// null consumes a null literal if one is next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// object walks an object, calling field for each key with the decoder at the
// value, which field must consume. Keys needing unescaping decline, and so do
// keys with upper case, which encoding/json would match to a field
// case-insensitively.
func (d *decoder) object(field func(key []byte) error) error { return d.obj(field, true) }

// nullableObject is object for a value that may be null, which decodes to
// nothing.
func (d *decoder) nullableObject(field func(key []byte) error) error {
	if d.null() {
		return nil
	}
	return d.object(field)
}

// obj is object; with strict unset the keys are only validated (skip).
func (d *decoder) obj(field func(key []byte) error, strict bool) error {
	if d.peek() != '{' {
		return errSlow
	}
	if d.depth++; d.depth > maxDepth {
		return errSlow
	}
	defer func() { d.depth-- }()
	d.i++
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		if d.peek() != '"' {
			return errSlow
		}
		start := d.i + 1
		end := start
		if strict {
			for end < len(d.b) && d.b[end] != '"' {
				if c := d.b[end]; c == '\\' || c < 0x20 || c >= 0x80 || c >= 'A' && c <= 'Z' {
					return errSlow
				}
				end++
			}
			if end >= len(d.b) {
				return errSlow
			}
			d.i = end + 1
		} else {
			e, err := d.stringEnd(d.i)
			if err != nil || !utf8.Valid(d.b[start:e]) {
				return errSlow
			}
			end, d.i = e-1, e
		}
		if d.peek() != ':' {
			return errSlow
		}
		d.i++
		if err := field(d.b[start:end]); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return errSlow
		}
	}
}

// array decodes a JSON array (or null, leaving *dst alone) into *dst.
func array[T any](d *decoder, dst *[]T, elem func(*T) error) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if d.peek() != '[' {
		return errSlow
	}
	if d.depth++; d.depth > maxDepth {
		return errSlow
	}
	defer func() { d.depth-- }()
	d.i++
	out := (*dst)[:0]
	if out == nil {
		out = make([]T, 0, 4)
	}
	if d.peek() == ']' {
		d.i++
		*dst = out
		return nil
	}
	for {
		// Like encoding/json, reuse (without zeroing) an element the slice
		// already holds; it matters only for repeated keys.
		if len(out) < cap(out) {
			out = out[:len(out)+1]
		} else {
			var zero T
			out = append(out, zero)
		}
		if err := elem(&out[len(out)-1]); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			*dst = out
			return nil
		default:
			return errSlow
		}
	}
}

// str decodes a string value into a string of its own; null leaves *dst
// unchanged as encoding/json does.
func (d *decoder) str(dst *string) error { return d.decodeString(dst, false) }

// view is str for a field the mapping only reads while the page is mapped:
// an unescaped value is a view into the body, not a copy. Such a field must
// never be stored (see wire.go).
func (d *decoder) view(dst *string) error { return d.decodeString(dst, true) }

func (d *decoder) decodeString(dst *string, view bool) error {
	if d.null() {
		return nil
	}
	if d.peek() != '"' {
		return errSlow
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		switch {
		case c == '"':
			raw := d.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return errSlow // encoding/json replaces invalid bytes; let it
			}
			if view && len(raw) > 0 {
				*dst = unsafe.String(&raw[0], len(raw))
			} else {
				*dst = string(raw)
			}
			d.i = j + 1
			return nil
		case c == '\\':
			return d.escapedString(dst)
		case c < 0x20:
			return errSlow
		case c >= 0x80:
			ascii = false
		}
	}
	return errSlow
}

// escapedString decodes a string with escapes through encoding/json, which
// knows every escape and surrogate rule.
func (d *decoder) escapedString(dst *string) error {
	start := d.i
	end, err := d.stringEnd(start)
	if err != nil {
		return err
	}
	if json.Unmarshal(d.b[start:end], dst) != nil {
		return errSlow
	}
	d.i = end
	return nil
}

// stringEnd returns the index after the string starting at i (at its quote),
// validating escapes and control characters as encoding/json does.
func (d *decoder) stringEnd(i int) (int, error) {
	for j := i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			j++
			if j >= len(d.b) {
				return 0, errSlow
			}
			switch d.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d.b) {
					return 0, errSlow
				}
				for k := j + 1; k <= j+4; k++ {
					if !isHex(d.b[k]) {
						return 0, errSlow
					}
				}
				j += 4
			default:
				return 0, errSlow
			}
		case c < 0x20:
			return 0, errSlow
		}
	}
	return 0, errSlow
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// int decodes an integer; null leaves *dst unchanged. Fractions, exponents
// and out-of-range values decline (encoding/json reports them as errors).
func (d *decoder) int(dst *int64) error {
	if d.null() {
		return nil
	}
	start := d.i
	end := d.numberEnd()
	if end < 0 {
		return errSlow
	}
	n, err := strconv.ParseInt(string(d.b[start:end]), 10, 64)
	if err != nil {
		return errSlow
	}
	*dst = n
	d.i = end
	return nil
}

// intPtr decodes a nullable integer.
func (d *decoder) intPtr(dst **int64) error {
	if d.null() {
		*dst = nil
		return nil
	}
	var n int64
	if err := d.int(&n); err != nil {
		return err
	}
	*dst = &n
	return nil
}

// numberEnd returns the end of an integer literal at d.i, or -1 when what is
// there is not an integer in JSON's grammar.
func (d *decoder) numberEnd() int {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	if j >= len(d.b) {
		return -1
	}
	switch {
	case d.b[j] == '0':
		j++
	case d.b[j] >= '1' && d.b[j] <= '9':
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
	default:
		return -1
	}
	if j < len(d.b) && (d.b[j] == '.' || d.b[j] == 'e' || d.b[j] == 'E') {
		return -1
	}
	return j
}

// bool decodes a boolean; null leaves *dst unchanged.
func (d *decoder) bool(dst *bool) error {
	if d.null() {
		return nil
	}
	switch {
	case d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "true":
		*dst = true
		d.i += 4
	case d.i+5 <= len(d.b) && string(d.b[d.i:d.i+5]) == "false":
		*dst = false
		d.i += 5
	default:
		return errSlow
	}
	return nil
}

// skip consumes any value, validating it.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '"':
		end, err := d.stringEnd(d.i)
		if err != nil {
			return err
		}
		if !utf8.Valid(d.b[d.i:end]) {
			return errSlow
		}
		d.i = end
		return nil
	case c == '{':
		return d.obj(func([]byte) error { return d.skip() }, false)
	case c == '[':
		if d.depth++; d.depth > maxDepth {
			return errSlow
		}
		defer func() { d.depth-- }()
		d.i++
		if d.peek() == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return nil
			default:
				return errSlow
			}
		}
	case c == 't' || c == 'f':
		var b bool
		return d.bool(&b)
	case c == 'n':
		if d.null() {
			return nil
		}
		return errSlow
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	}
	return errSlow
}

// skipNumber consumes any JSON number.
func (d *decoder) skipNumber() error {
	j := d.i
	if d.b[j] == '-' {
		j++
	}
	digits := func() bool {
		k := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(d.b) && d.b[j] == '0' {
		j++
	} else if !digits() {
		return errSlow
	}
	if j < len(d.b) && d.b[j] == '.' {
		j++
		if !digits() {
			return errSlow
		}
	}
	if j < len(d.b) && (d.b[j] == 'e' || d.b[j] == 'E') {
		j++
		if j < len(d.b) && (d.b[j] == '+' || d.b[j] == '-') {
			j++
		}
		if !digits() {
			return errSlow
		}
	}
	d.i = j
	return nil
}

func (d *decoder) order(o *order) error {
	return d.nullableObject(func(k []byte) error { return d.orderField(o, k) })
}

func (d *decoder) orderField(o *order, k []byte) error {
	switch string(k) {
	case "id":
		return d.int(&o.ID)
	case "name":
		return d.str(&o.Name)
	case "email":
		return d.str(&o.Email)
	case "contact_email":
		return d.str(&o.ContactEmail)
	case "phone":
		return d.str(&o.Phone)
	case "created_at":
		return d.view(&o.CreatedAt)
	case "updated_at":
		return d.view(&o.UpdatedAt)
	case "processed_at":
		return d.view(&o.ProcessedAt)
	case "cancelled_at":
		return d.view(&o.CancelledAt)
	case "closed_at":
		return d.view(&o.ClosedAt)
	case "currency":
		return d.view(&o.Currency)
	case "total_price":
		return d.view(&o.TotalPrice)
	case "financial_status":
		return d.view(&o.FinancialStatus)
	case "fulfillment_status":
		return d.view(&o.FulfillmentStatus)
	case "test":
		return d.bool(&o.Test)
	case "customer_locale":
		return d.str(&o.CustomerLocale)
	case "gateway":
		return d.view(&o.Gateway)
	case "customer":
		if d.null() {
			o.Customer = nil
			return nil
		}
		if o.Customer == nil {
			o.Customer = &customer{}
		}
		return d.object(func(k []byte) error { return d.customerField(o.Customer, k) })
	case "shipping_address":
		if d.null() {
			o.ShippingAddress = nil
			return nil
		}
		if o.ShippingAddress == nil {
			o.ShippingAddress = &address{}
		}
		return d.object(func(k []byte) error { return d.addressField(o.ShippingAddress, k) })
	case "line_items":
		return array(d, &o.LineItems, func(li *lineItem) error {
			return d.nullableObject(func(k []byte) error { return d.lineItemField(li, k) })
		})
	case "fulfillments":
		return array(d, &o.Fulfillments, func(f *fulfillment) error {
			return d.nullableObject(func(k []byte) error { return d.fulfillmentField(f, k) })
		})
	case "refunds":
		return array(d, &o.Refunds, func(r *orderRefund) error {
			return d.nullableObject(func(k []byte) error { return d.refundField(r, k) })
		})
	case "payment_gateway_names":
		return array(d, &o.PaymentGatewayNames, d.view)
	}
	return d.skip()
}

func (d *decoder) customerField(c *customer, k []byte) error {
	switch string(k) {
	case "id":
		return d.int(&c.ID)
	case "email":
		return d.str(&c.Email)
	case "phone":
		return d.str(&c.Phone)
	case "first_name":
		return d.str(&c.FirstName)
	case "last_name":
		return d.str(&c.LastName)
	}
	return d.skip()
}

func (d *decoder) addressField(a *address, k []byte) error {
	var dst *string
	switch string(k) {
	case "first_name":
		dst = &a.FirstName
	case "last_name":
		dst = &a.LastName
	case "name":
		dst = &a.Name
	case "address1":
		dst = &a.Address1
	case "address2":
		dst = &a.Address2
	case "city":
		dst = &a.City
	case "province":
		dst = &a.Province
	case "province_code":
		dst = &a.ProvinceCode
	case "country":
		dst = &a.Country
	case "country_code":
		dst = &a.CountryCode
	case "zip":
		dst = &a.Zip
	case "phone":
		dst = &a.Phone
	default:
		return d.skip()
	}
	return d.str(dst)
}

func (d *decoder) lineItemField(li *lineItem, k []byte) error {
	switch string(k) {
	case "id":
		return d.int(&li.ID)
	case "variant_id":
		return d.intPtr(&li.VariantID)
	case "sku":
		return d.str(&li.SKU)
	case "title":
		return d.str(&li.Title)
	case "name":
		return d.str(&li.Name)
	case "quantity":
		return d.int(&li.Quantity)
	case "current_quantity":
		return d.intPtr(&li.CurrentQuantity)
	case "price":
		return d.view(&li.Price)
	case "fulfillment_status":
		return d.view(&li.FulfillmentStatus)
	case "requires_shipping":
		return d.bool(&li.RequiresShipping)
	}
	return d.skip()
}

func (d *decoder) fulfillmentField(f *fulfillment, k []byte) error {
	switch string(k) {
	case "id":
		return d.int(&f.ID)
	case "status":
		return d.view(&f.Status)
	case "created_at":
		return d.view(&f.CreatedAt)
	case "tracking_company":
		return d.str(&f.TrackingCompany)
	case "tracking_number":
		return d.str(&f.TrackingNumber)
	case "tracking_numbers":
		return array(d, &f.TrackingNumbers, d.str)
	case "line_items":
		return array(d, &f.LineItems, func(fi *fulfillmentItems) error {
			return d.nullableObject(func(k []byte) error {
				switch string(k) {
				case "id":
					return d.int(&fi.ID)
				case "quantity":
					return d.int(&fi.Quantity)
				}
				return d.skip()
			})
		})
	}
	return d.skip()
}

func (d *decoder) refundField(r *orderRefund, k []byte) error {
	switch string(k) {
	case "id":
		return d.int(&r.ID)
	case "transactions":
		return array(d, &r.Transactions, func(t *transaction) error {
			return d.nullableObject(func(k []byte) error {
				switch string(k) {
				case "kind":
					return d.view(&t.Kind)
				case "status":
					return d.view(&t.Status)
				case "amount":
					return d.view(&t.Amount)
				case "currency":
					return d.view(&t.Currency)
				}
				return d.skip()
			})
		})
	}
	return d.skip()
}
