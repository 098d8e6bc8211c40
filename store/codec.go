package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// The record cache holds orders, payments and parcels in a compact binary
// encoding rather than JSON: at a million orders a day Redis memory is the
// cost that grows, and JSON spent most of a record on field names, RFC 3339
// times and values repeated from the key (the order id in its own record, a
// line's currency). A record is the version byte recordV1 followed by the
// fields in a fixed order:
//
//   - strings are a uvarint length and the bytes; "ref" strings write 0 when
//     they equal a value the reader already knows (the key's id, the order
//     total's currency, the customer's name), else length+1 and the bytes;
//   - enums (statuses, payment method) are the value's position in a table
//     plus one, or 0 and the string for a value not in the table;
//   - times are 0 for the zero time, else zigzag(seconds - base)<<1 | has
//     nanoseconds, plus one, then the nanoseconds when there are any; base is
//     0 for the first time of a record and that time for the others, so
//     related times cost three or four bytes;
//   - money is a varint of minor units and a currency.
//
// A parcel keeps only its newest checkpoint: detection and cards read no
// other (detect's lastCheckpoint, the card's tracking line), and the history
// was most of a parcel's bytes.
//
// A record that starts with '{' is JSON written by an earlier version and is
// read with encoding/json, so a cache written before an upgrade stays
// readable until it expires. TestRecordCodecRoundTrip fills every field of the
// domain types by reflection, so a field added to them without a change here
// fails a test.
const recordV1 = 0x01

// Enum tables. Appending is safe; reordering changes what stored records mean.
var (
	orderStatuses   = []string{"pending", "processing", "on_hold", "completed", "cancelled"}
	financials      = []string{"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
	fulfillments    = []string{"unfulfilled", "partial", "fulfilled"}
	payMethods      = []string{"card", "wallet", "bank_transfer", "cod", "other"}
	paymentStatuses = []string{"succeeded", "pending", "failed", "canceled"}
	shipStatuses    = []string{"pending", "info_received", "picked_up", "in_transit", "out_for_delivery", "attempt_fail",
		"available_for_pickup", "delivered", "exception", "refused", "returning", "returned", "expired"}
	refundStatuses = []string{"succeeded", "pending", "failed", "canceled"}
)

// Order flags.
const (
	flagRequiresShipping = 1 << iota
	flagTest
	flagOptOut
	flagURLSuffixID     // URL is the stored prefix followed by the order id
	flagURLSourcePrefix // URL is its source's prefix (see urlPrefixes) followed by the order id
)

var errBadRecord = errors.New("malformed cached record")

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendVarint(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }

func appendStr(b []byte, s string) []byte {
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendRef writes s, or 0 when it equals ref (and ref is not empty).
func appendRef(b []byte, s, ref string) []byte {
	if s == ref && s != "" {
		return append(b, 0)
	}
	b = appendUvarint(b, uint64(len(s))+1)
	return append(b, s...)
}

func appendEnum(b []byte, s string, table []string) []byte {
	for i, v := range table {
		if v == s {
			return appendUvarint(b, uint64(i)+1)
		}
	}
	b = append(b, 0)
	return appendStr(b, s)
}

func appendTime(b []byte, t time.Time, base int64) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	d := t.Unix() - base
	zz := uint64(d<<1) ^ uint64(d>>63)
	ns := t.Nanosecond()
	v := zz << 1
	if ns != 0 {
		v |= 1
	}
	b = appendUvarint(b, v+1)
	if ns != 0 {
		b = appendUvarint(b, uint64(ns))
	}
	return b
}

func appendMoneyBin(b []byte, m orderbot.Money, refCurrency string) []byte {
	b = appendVarint(b, m.Minor)
	return appendRef(b, m.Currency, refCurrency)
}

// appendOrder appends o's compact record. srcPrefix is the URL prefix
// registered for o.Source ("" when none is): an admin link that is that prefix
// and the order id is stored as a flag.
func appendOrder(b []byte, o *orderbot.Order, srcPrefix string) []byte {
	b = append(b, recordV1)
	var flags uint64
	if o.RequiresShipping {
		flags |= flagRequiresShipping
	}
	if o.Test {
		flags |= flagTest
	}
	if o.Customer.OptOut {
		flags |= flagOptOut
	}
	url := o.URL
	if o.ID != "" && len(url) > len(o.ID) && strings.HasSuffix(url, o.ID) {
		flags |= flagURLSuffixID
		url = url[:len(url)-len(o.ID)]
		if srcPrefix != "" && url == srcPrefix {
			flags |= flagURLSourcePrefix
			url = ""
		}
	}
	b = appendUvarint(b, flags)
	b = appendStr(b, o.ID)
	b = appendStr(b, o.Source)
	b = appendStr(b, o.Name)
	b = appendEnum(b, string(o.Status), orderStatuses)
	b = appendEnum(b, string(o.Financial), financials)
	b = appendEnum(b, string(o.Fulfillment), fulfillments)
	b = appendEnum(b, string(o.PaymentMethod), payMethods)
	cur := o.Total.Currency
	b = appendMoneyBin(b, o.Total, "")
	b = appendMoneyBin(b, o.Refunded, cur)
	c := &o.Customer
	b = appendStr(b, c.Name)
	b = appendStr(b, c.Phone)
	b = appendStr(b, c.Email)
	b = appendStr(b, c.Locale)
	b = appendStr(b, c.Timezone)
	a := &o.ShippingAddress
	b = appendRef(b, a.Name, c.Name)
	b = appendStr(b, a.Line1)
	b = appendStr(b, a.Line2)
	b = appendStr(b, a.City)
	b = appendStr(b, a.Province)
	b = appendStr(b, a.PostalCode)
	b = appendStr(b, a.Country)
	b = appendRef(b, a.Phone, c.Phone)
	b = appendUvarint(b, uint64(len(o.Lines)))
	for i := range o.Lines {
		l := &o.Lines[i]
		b = appendStr(b, l.SKU)
		b = appendStr(b, l.Title)
		b = appendVarint(b, l.Quantity)
		b = appendVarint(b, l.Fulfilled)
		b = appendMoneyBin(b, l.Price, cur)
	}
	base := o.CreatedAt.Unix()
	if o.CreatedAt.IsZero() {
		base = 0
	}
	b = appendTime(b, o.CreatedAt, 0)
	for _, t := range [...]time.Time{o.UpdatedAt, o.StatusSince, o.PaidAt, o.ShippedAt, o.CancelledAt, o.ShipBy} {
		b = appendTime(b, t, base)
	}
	b = appendUvarint(b, uint64(len(o.Shipments)))
	for i := range o.Shipments {
		r := &o.Shipments[i]
		b = appendStr(b, r.TrackingNumber)
		b = appendStr(b, r.Carrier)
		b = appendTime(b, r.ShippedAt, base)
	}
	return appendStr(b, url)
}

// appendPayment appends p's compact record, without its id: the id is the
// record's field in its order's hash, and orderID is that order.
func appendPayment(b []byte, p *orderbot.Payment, orderID string) []byte {
	b = append(b, recordV1)
	b = appendStr(b, p.Provider)
	b = appendRef(b, p.OrderID, orderID)
	b = appendEnum(b, string(p.Status), paymentStatuses)
	b = appendMoneyBin(b, p.Amount, "")
	base := p.CreatedAt.Unix()
	if p.CreatedAt.IsZero() {
		base = 0
	}
	b = appendTime(b, p.CreatedAt, 0)
	b = appendUvarint(b, uint64(len(p.Refunds)))
	for i := range p.Refunds {
		r := &p.Refunds[i]
		b = appendStr(b, r.ID)
		b = appendMoneyBin(b, r.Amount, p.Amount.Currency)
		b = appendEnum(b, r.Status, refundStatuses)
		b = appendTime(b, r.CreatedAt, base)
	}
	// An optional trailing flags byte, written only when set, so records
	// cached before it decode unchanged.
	if p.RefundsUnreported {
		b = appendUvarint(b, paymentRefundsUnreported)
	}
	return b
}

// paymentRefundsUnreported is the flag bit of a payment record whose provider
// does not report partial refunds (Payment.RefundsUnreported).
const paymentRefundsUnreported = 1

// appendShipment appends sh's compact record, with only its newest checkpoint.
func appendShipment(b []byte, sh *orderbot.Shipment) []byte {
	b = append(b, recordV1)
	url, suffix := sh.URL, uint64(0)
	if n := sh.TrackingNumber; n != "" && len(url) > len(n) && strings.HasSuffix(url, n) {
		url, suffix = url[:len(url)-len(n)], 1
	}
	b = appendUvarint(b, suffix)
	b = appendStr(b, sh.TrackingNumber)
	b = appendStr(b, sh.Carrier)
	b = appendStr(b, sh.OrderID)
	b = appendStr(b, sh.Source)
	b = appendEnum(b, string(sh.Status), shipStatuses)
	b = appendStr(b, sh.StatusCode)
	b = appendStr(b, sh.StatusText)
	base := sh.LastEventAt.Unix()
	if sh.LastEventAt.IsZero() {
		base = 0
	}
	b = appendTime(b, sh.LastEventAt, 0)
	b = appendTime(b, sh.PickedUpAt, base)
	b = appendTime(b, sh.ExpectedDelivery, base)
	b = appendTime(b, sh.DeliveredAt, base)
	if len(sh.Checkpoints) == 0 {
		b = append(b, 0)
	} else {
		best := sh.Checkpoints[0]
		for _, cp := range sh.Checkpoints[1:] {
			if cp.Time.After(best.Time) {
				best = cp
			}
		}
		b = append(b, 1)
		b = appendTime(b, best.Time, base)
		b = appendStr(b, best.Location)
		b = appendStr(b, best.Message)
		b = appendEnum(b, string(best.Status), shipStatuses)
		b = appendStr(b, best.Code)
	}
	return appendStr(b, url)
}

// recReader reads a compact record. Strings are substrings of the input (a
// Redis reply is one allocation per value, so this costs none per field). Any
// surprise sets bad; later reads then return zero values.
type recReader struct {
	s   string
	i   int
	bad bool
}

func (r *recReader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	var v uint64
	var shift uint
	for r.i < len(r.s) {
		c := r.s[r.i]
		r.i++
		if shift == 63 && c > 1 {
			break
		}
		if c < 0x80 {
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	r.bad = true
	return 0
}

func (r *recReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *recReader) bytes(n uint64) string {
	if r.bad || n > uint64(len(r.s)-r.i) {
		r.bad = true
		return ""
	}
	v := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	return v
}

func (r *recReader) str() string { return r.bytes(r.uvarint()) }

func (r *recReader) ref(ref string) string {
	n := r.uvarint()
	if n == 0 {
		return ref
	}
	return r.bytes(n - 1)
}

func (r *recReader) enum(table []string) string {
	n := r.uvarint()
	switch {
	case n == 0:
		return r.str()
	case n <= uint64(len(table)):
		return table[n-1]
	}
	r.bad = true
	return ""
}

func (r *recReader) time(base int64) time.Time {
	v := r.uvarint()
	if v == 0 {
		return time.Time{}
	}
	v--
	zz := v >> 1
	sec := int64(zz>>1) ^ -int64(zz&1)
	var ns uint64
	if v&1 == 1 {
		if ns = r.uvarint(); ns >= 1e9 {
			r.bad = true
		}
	}
	return time.Unix(base+sec, int64(ns)).UTC()
}

func (r *recReader) money(refCurrency string) orderbot.Money {
	m := orderbot.Money{Minor: r.varint()}
	m.Currency = r.ref(refCurrency)
	return m
}

func (r *recReader) done() bool { return !r.bad && r.i == len(r.s) }

// decodeOrder reads a cached order (compact, or JSON from an earlier version).
// srcPrefix returns the URL prefix registered for a source.
func decodeOrder(v string, o *orderbot.Order, srcPrefix func(source string) (string, error)) error {
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal([]byte(v), o)
	}
	r := recReader{s: v}
	if len(v) == 0 || v[0] != recordV1 {
		return errBadRecord
	}
	r.i = 1
	flags := r.uvarint()
	o.ID = r.str()
	o.Source = r.str()
	o.Name = r.str()
	o.Status = orderbot.OrderStatus(r.enum(orderStatuses))
	o.Financial = orderbot.FinancialStatus(r.enum(financials))
	o.Fulfillment = orderbot.FulfillmentStatus(r.enum(fulfillments))
	o.PaymentMethod = orderbot.PaymentMethod(r.enum(payMethods))
	o.Total = r.money("")
	cur := o.Total.Currency
	o.Refunded = r.money(cur)
	c := &o.Customer
	c.Name, c.Phone, c.Email, c.Locale, c.Timezone = r.str(), r.str(), r.str(), r.str(), r.str()
	c.OptOut = flags&flagOptOut != 0
	a := &o.ShippingAddress
	a.Name = r.ref(c.Name)
	a.Line1, a.Line2, a.City, a.Province, a.PostalCode, a.Country = r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
	a.Phone = r.ref(c.Phone)
	o.Lines = nil
	if n := r.uvarint(); n > 0 && n <= uint64(len(v)) {
		o.Lines = make([]orderbot.LineItem, n)
		for i := range o.Lines {
			l := &o.Lines[i]
			l.SKU, l.Title = r.str(), r.str()
			l.Quantity, l.Fulfilled = r.varint(), r.varint()
			l.Price = r.money(cur)
		}
	} else if n > 0 {
		return errBadRecord
	}
	o.CreatedAt = r.time(0)
	base := int64(0)
	if !o.CreatedAt.IsZero() {
		base = o.CreatedAt.Unix()
	}
	o.UpdatedAt, o.StatusSince, o.PaidAt = r.time(base), r.time(base), r.time(base)
	o.ShippedAt, o.CancelledAt, o.ShipBy = r.time(base), r.time(base), r.time(base)
	o.Shipments = nil
	if n := r.uvarint(); n > 0 && n <= uint64(len(v)) {
		o.Shipments = make([]orderbot.ShipmentRef, n)
		for k := range o.Shipments {
			sr := &o.Shipments[k]
			sr.TrackingNumber, sr.Carrier = r.str(), r.str()
			sr.ShippedAt = r.time(base)
		}
	} else if n > 0 {
		return errBadRecord
	}
	o.URL = r.str()
	if flags&flagURLSourcePrefix != 0 {
		p, err := srcPrefix(o.Source)
		if err != nil {
			return err
		}
		o.URL = p
	}
	if flags&flagURLSuffixID != 0 {
		o.URL += o.ID
	}
	o.RequiresShipping = flags&flagRequiresShipping != 0
	o.Test = flags&flagTest != 0
	if !r.done() {
		return errBadRecord
	}
	return nil
}

// decodePaymentRec reads the cached payment id of orderID's hash.
func decodePaymentRec(v, id, orderID string, p *orderbot.Payment) error {
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal([]byte(v), p)
	}
	if len(v) == 0 || v[0] != recordV1 {
		return errBadRecord
	}
	r := recReader{s: v, i: 1}
	p.ID, p.Provider = id, r.str()
	p.OrderID = r.ref(orderID)
	p.Status = orderbot.PaymentStatus(r.enum(paymentStatuses))
	p.Amount = r.money("")
	p.CreatedAt = r.time(0)
	base := int64(0)
	if !p.CreatedAt.IsZero() {
		base = p.CreatedAt.Unix()
	}
	p.Refunds = nil
	if n := r.uvarint(); n > 0 {
		if n > uint64(len(v)) {
			return errBadRecord
		}
		p.Refunds = make([]orderbot.Refund, n)
		for i := range p.Refunds {
			f := &p.Refunds[i]
			f.ID = r.str()
			f.Amount = r.money(p.Amount.Currency)
			f.Status = r.enum(refundStatuses)
			f.CreatedAt = r.time(base)
		}
	}
	p.RefundsUnreported = false
	if !r.done() {
		p.RefundsUnreported = r.uvarint()&paymentRefundsUnreported != 0
	}
	if !r.done() {
		return errBadRecord
	}
	return nil
}

// decodeShipment reads a cached parcel.
func decodeShipment(v string, sh *orderbot.Shipment) error {
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal([]byte(v), sh)
	}
	if len(v) == 0 || v[0] != recordV1 {
		return errBadRecord
	}
	r := recReader{s: v, i: 1}
	suffix := r.uvarint()
	sh.TrackingNumber, sh.Carrier, sh.OrderID, sh.Source = r.str(), r.str(), r.str(), r.str()
	sh.Status = orderbot.ShipmentStatus(r.enum(shipStatuses))
	sh.StatusCode, sh.StatusText = r.str(), r.str()
	sh.LastEventAt = r.time(0)
	base := int64(0)
	if !sh.LastEventAt.IsZero() {
		base = sh.LastEventAt.Unix()
	}
	sh.PickedUpAt, sh.ExpectedDelivery, sh.DeliveredAt = r.time(base), r.time(base), r.time(base)
	sh.Checkpoints = nil
	switch r.uvarint() {
	case 0:
	case 1:
		var cp orderbot.Checkpoint
		cp.Time = r.time(base)
		cp.Location, cp.Message = r.str(), r.str()
		cp.Status = orderbot.ShipmentStatus(r.enum(shipStatuses))
		cp.Code = r.str()
		sh.Checkpoints = []orderbot.Checkpoint{cp}
	default:
		return errBadRecord
	}
	sh.URL = r.str()
	if suffix == 1 {
		sh.URL += sh.TrackingNumber
	}
	if !r.done() {
		return errBadRecord
	}
	return nil
}
