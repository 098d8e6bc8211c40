package store

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/jsonstr"
	"github.com/redis/go-redis/v9"
)

// The record cache keeps the latest normalised records each source returned, so
// a cycle can join records polled now with records polled earlier from another
// source (a Stripe payment with its Shopify order). Records are JSON of the
// domain types; every write is pipelined in chunks.

// recordChunk is how many records one pipeline carries.
const recordChunk = 1000

// orderChunk is how many orders one SaveOrders pipeline (and demand script)
// carries; one demand script call then runs a few milliseconds.
const orderChunk = 2500

// encodeBufs recycles the buffers SaveOrders encodes a chunk of orders into
// (about a kilobyte per order).
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024*orderChunk); return &b }}

// encodedOrder is an order ready to write.
type encodedOrder struct {
	id       string
	json     []byte
	terminal bool
	contrib  string // JSON object SKU → open units, "" when the order adds no demand
}

// SaveOrders caches orders and keeps open demand per SKU in step: an in-flight
// order adds the open (unshipped) quantity of each line to its SKU. Each order's
// previous contribution is stored, and one script per chunk applies only the
// difference with HINCRBY, so saving the same order twice never counts twice and
// an order that ships or is cancelled gives its demand back. Terminal orders
// expire from the cache after Options.RecordRetention (with their payments).
// When ids repeat, the last order of the slice wins.
func (s *Store) SaveOrders(ctx context.Context, orders []orderbot.Order) error {
	const op = "store.save_orders"
	if len(orders) == 0 {
		return nil
	}
	// Keep the last version of each id so concurrent chunks never race on one key.
	last := make(map[string]int, len(orders))
	for i := range orders {
		if orders[i].ID == "" {
			return orderbot.Errorf(orderbot.KindInvalid, op, "order %d has no id", i)
		}
		last[orders[i].ID] = i
	}
	idx := make([]int, 0, len(last))
	for i := range orders {
		if last[orders[i].ID] == i {
			idx = append(idx, i)
		}
	}
	// Each worker encodes a chunk and sends it in one pipeline (the record
	// writes and the chunk's demand script), so encoding one chunk overlaps
	// with Redis running another.
	ttl := s.opts.RecordRetention
	demandKeys := []string{s.demandKey(), s.demandContribKey()}
	// Chunks are larger than for other records: the demand script sums each
	// chunk's differences, so bigger chunks mean fewer HINCRBYs per SKU.
	return parallel(len(idx), orderChunk, func(lo, hi int) error {
		enc := make([]encodedOrder, 0, hi-lo)
		// One buffer holds the chunk's encoded orders, each record a
		// sub-slice of it, so a chunk costs a handful of allocations rather
		// than a few per order. The records are written by the time Exec
		// returns, so the buffer goes back to a pool for the next chunk.
		bp := encodeBufs.Get().(*[]byte)
		defer encodeBufs.Put(bp)
		buf := (*bp)[:0]
		defer func() { *bp = buf[:0] }()
		var lines []skuQty
		for _, i := range idx[lo:hi] {
			o := &orders[i]
			start := len(buf)
			var err error
			if buf, err = appendOrderJSON(buf, o); err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "an order cannot be encoded")
			}
			var c string
			c, lines = demandOf(o, lines[:0])
			enc = append(enc, encodedOrder{id: o.ID, json: buf[start:len(buf):len(buf)], terminal: !o.InFlight(), contrib: c})
		}
		args := make([]any, 0, 2*len(enc))
		pipe := s.rdb.Pipeline()
		for _, e := range enc {
			if e.terminal {
				pipe.Set(ctx, s.orderKey(e.id), e.json, ttl)
				pipe.PExpire(ctx, s.paymentsKey(e.id), ttl)
			} else {
				pipe.Set(ctx, s.orderKey(e.id), e.json, 0)
			}
			args = append(args, e.id, e.contrib)
		}
		demand := scriptDemand.EvalSha(ctx, pipe, demandKeys, args...)
		_, err := pipe.Exec(ctx)
		if isNoScript(demand.Err()) {
			// Redis lost its scripts (restart, failover): the records are
			// written; run the demand step again on its own.
			err = s.evalSha(ctx, scriptDemand, demandKeys, args...).Err()
		}
		if err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// skuQty is one SKU's open units within an order.
type skuQty struct {
	sku string
	n   int64
}

// demandOf is an order's contribution to open demand: for an in-flight order,
// the open quantity of each line summed by SKU, as the JSON object
// json.Marshal writes for a map[string]int64 (keys sorted, so equal demand is
// an equal string, which is what the demand script compares). lines is
// scratch space, returned for reuse.
func demandOf(o *orderbot.Order, lines []skuQty) (string, []skuQty) {
	if !o.InFlight() {
		return "", lines
	}
	for _, l := range o.Lines {
		if n := l.Open(); n > 0 && l.SKU != "" {
			lines = append(lines, skuQty{l.SKU, n})
		}
	}
	if len(lines) == 0 {
		return "", lines
	}
	slices.SortStableFunc(lines, func(a, b skuQty) int { return strings.Compare(a.sku, b.sku) })
	b := make([]byte, 0, 16*len(lines))
	b = append(b, '{')
	for i := 0; i < len(lines); {
		sku, n := lines[i].sku, lines[i].n
		for i++; i < len(lines) && lines[i].sku == sku; i++ {
			n += lines[i].n
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = jsonstr.AppendString(b, sku)
		b = append(b, ':')
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '}')
	return string(b), lines
}

// Orders returns the cached orders among ids, by id; unknown ids are absent.
func (s *Store) Orders(ctx context.Context, ids []string) (map[string]orderbot.Order, error) {
	list, err := s.OrdersOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]orderbot.Order, len(list))
	for i := range list {
		if list[i].ID != "" {
			out[list[i].ID] = list[i]
		}
	}
	return out, nil
}

// OrdersOf returns the cached orders in request order: out[i] is the order
// ids[i], or the zero Order (empty ID) when the cache has none. A poll cycle
// joins records by position, without a map keyed by order id.
func (s *Store) OrdersOf(ctx context.Context, ids []string) ([]orderbot.Order, error) {
	return readAligned(ctx, s, "store.orders", "order", ids, s.orderKey, func(o *orderbot.Order, id string) {
		// SaveOrders refuses orders without an id; a record written otherwise
		// is still the order its key names, and must not read as "unknown".
		if o.ID == "" {
			o.ID = id
		}
	})
}

// readAligned reads the JSON records named by key(ids[i]) into out[i], in
// pipelined chunks run in parallel; a missing record leaves the zero value.
// fix fills in the id of a record that was written without one.
func readAligned[T any](ctx context.Context, s *Store, op, what string, ids []string, key func(string) string, fix func(*T, string)) ([]T, error) {
	out := make([]T, len(ids))
	err := parallel(len(ids), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, 0, hi-lo)
		for _, id := range ids[lo:hi] {
			cmds = append(cmds, pipe.Get(ctx, key(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return s.fail(op, err)
		}
		for i, c := range cmds {
			b, err := c.Bytes()
			if isNil(err) {
				continue
			}
			if err := json.Unmarshal(b, &out[lo+i]); err != nil {
				return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached "+what+" is unreadable")
			}
			fix(&out[lo+i], ids[lo+i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OrdersWithSKU returns the ids of the cached in-flight orders that still
// have units of sku to ship, from the demand bookkeeping. It scans every
// in-flight order's contribution, so it is for rare events (an oversold SKU's
// ticket opening), not for every poll.
func (s *Store) OrdersWithSKU(ctx context.Context, sku string) ([]string, error) {
	const op = "store.orders_with_sku"
	if sku == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "a SKU is required")
	}
	quoted, _ := json.Marshal(sku)
	needle := string(quoted) + ":"
	var out []string
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, s.demandContribKey(), cursor, "", 1000).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if !strings.Contains(kv[i+1], needle) {
				continue
			}
			var contrib map[string]int64
			if json.Unmarshal([]byte(kv[i+1]), &contrib) == nil && contrib[sku] > 0 {
				out = append(out, kv[i])
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Demand returns the open demand of the given SKUs (SKUs without demand are
// absent); nil skus returns every SKU with open demand.
func (s *Store) Demand(ctx context.Context, skus []string) (map[string]int64, error) {
	const op = "store.demand"
	out := make(map[string]int64)
	if skus == nil {
		m, err := s.rdb.HGetAll(ctx, s.demandKey()).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		for k, v := range m {
			if n := atoi64(v); n > 0 {
				out[k] = n
			}
		}
		return out, nil
	}
	for lo := 0; lo < len(skus); lo += recordChunk {
		part := skus[lo:min(lo+recordChunk, len(skus))]
		vals, err := s.rdb.HMGet(ctx, s.demandKey(), part...).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		for i, v := range vals {
			if str, ok := v.(string); ok {
				if n := atoi64(str); n > 0 {
					out[part[i]] = n
				}
			}
		}
	}
	return out, nil
}

// SavePayments caches payments, indexed by order id (one hash per order).
// Unlinked payments (no order id) are kept under a hash of their own that
// expires after Options.RecordRetention. A payment whose order link changes
// stays listed under its old order too; providers do not re-link payments in
// practice.
func (s *Store) SavePayments(ctx context.Context, ps []orderbot.Payment) error {
	const op = "store.save_payments"
	for i := range ps {
		if ps[i].ID == "" {
			return orderbot.Errorf(orderbot.KindInvalid, op, "payment %d has no id", i)
		}
	}
	return parallel(len(ps), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		byOrder := make(map[string][]any)
		for i := lo; i < hi; i++ {
			p := &ps[i]
			b, err := json.Marshal(p)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "a payment cannot be encoded")
			}
			byOrder[p.OrderID] = append(byOrder[p.OrderID], p.ID, b)
		}
		for oid, fv := range byOrder {
			pipe.HSet(ctx, s.paymentsKey(oid), fv...)
			if oid == "" {
				pipe.PExpire(ctx, s.paymentsKey(oid), s.opts.RecordRetention)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// PaymentsByOrder returns the cached payments of each order that has any,
// oldest first.
func (s *Store) PaymentsByOrder(ctx context.Context, orderIDs []string) (map[string][]orderbot.Payment, error) {
	lists, err := s.PaymentsOf(ctx, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]orderbot.Payment, len(orderIDs))
	for i, l := range lists {
		if len(l) > 0 {
			out[orderIDs[i]] = l
		}
	}
	return out, nil
}

// PaymentsOf returns the cached payments of each order in request order:
// out[i] holds the payments of orderIDs[i], oldest first, and is nil when the
// order has none. A poll cycle joins them to its orders by position, without
// a map keyed by order id. The lists of one call share backing arrays; each
// is capped, so appending to one never overwrites another.
func (s *Store) PaymentsOf(ctx context.Context, orderIDs []string) ([][]orderbot.Payment, error) {
	const op = "store.payments_by_order"
	out := make([][]orderbot.Payment, len(orderIDs))
	err := parallel(len(orderIDs), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringSliceCmd, 0, hi-lo)
		for _, id := range orderIDs[lo:hi] {
			cmds = append(cmds, pipe.HVals(ctx, s.paymentsKey(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		n := 0
		for _, c := range cmds {
			n += len(c.Val())
		}
		if n == 0 {
			return nil
		}
		all := make([]orderbot.Payment, n)
		for i, c := range cmds {
			vals := c.Val()
			if len(vals) == 0 {
				continue
			}
			list := all[:len(vals):len(vals)]
			all = all[len(vals):]
			for j, v := range vals {
				if !decodePayment(v, &list[j]) {
					list[j] = orderbot.Payment{}
					if err := json.Unmarshal([]byte(v), &list[j]); err != nil {
						return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached payment is unreadable")
					}
				}
			}
			if len(list) > 1 {
				sort.Slice(list, func(a, b int) bool {
					if !list[a].CreatedAt.Equal(list[b].CreatedAt) {
						return list[a].CreatedAt.Before(list[b].CreatedAt)
					}
					return list[a].ID < list[b].ID
				})
			}
			out[lo+i] = list
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SaveShipments caches parcels by tracking number. Parcels whose journey is
// over (delivered, returned) expire after Options.RecordRetention.
func (s *Store) SaveShipments(ctx context.Context, sh []orderbot.Shipment) error {
	const op = "store.save_shipments"
	for i := range sh {
		if sh[i].TrackingNumber == "" {
			return orderbot.Errorf(orderbot.KindInvalid, op, "shipment %d has no tracking number", i)
		}
	}
	return parallel(len(sh), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		for i := lo; i < hi; i++ {
			p := &sh[i]
			b, err := json.Marshal(p)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "a shipment cannot be encoded")
			}
			var ttl = s.opts.RecordRetention
			if !p.Status.Final() {
				ttl = 0
			}
			pipe.Set(ctx, s.shipmentKey(p.TrackingNumber), b, ttl)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// Shipments returns the cached parcels among tracking numbers; unknown ones are
// absent.
func (s *Store) Shipments(ctx context.Context, tracking []string) (map[string]orderbot.Shipment, error) {
	list, err := s.ShipmentsOf(ctx, tracking)
	if err != nil {
		return nil, err
	}
	out := make(map[string]orderbot.Shipment, len(tracking))
	for i := range list {
		if list[i].TrackingNumber != "" {
			out[list[i].TrackingNumber] = list[i]
		}
	}
	return out, nil
}

// ShipmentsOf returns the cached parcels in request order: out[i] is the parcel
// of tracking[i], or the zero Shipment (empty TrackingNumber) when the cache
// has none. A poll cycle joins them to its orders by position.
func (s *Store) ShipmentsOf(ctx context.Context, tracking []string) ([]orderbot.Shipment, error) {
	return readAligned(ctx, s, "store.shipments", "shipment", tracking, s.shipmentKey, func(sh *orderbot.Shipment, number string) {
		// SaveShipments refuses parcels without a tracking number; a record
		// written otherwise is still the parcel its key names.
		if sh.TrackingNumber == "" {
			sh.TrackingNumber = number
		}
	})
}

// parallel runs fn over [0,n) in chunks of size on up to GOMAXPROCS
// goroutines (at most 4: Redis is one thread, more connections do not help)
// and returns the first error.
func parallel(n, size int, fn func(lo, hi int) error) error {
	if n == 0 {
		return nil
	}
	chunks := (n + size - 1) / size
	workers := min(runtime.GOMAXPROCS(0), 4, chunks)
	if workers <= 1 {
		for lo := 0; lo < n; lo += size {
			if err := fn(lo, min(lo+size, n)); err != nil {
				return err
			}
		}
		return nil
	}
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c * size
	}
	close(next)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				mu.Lock()
				failed := first != nil
				mu.Unlock()
				if failed {
					return
				}
				if err := fn(lo, min(lo+size, n)); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// The record cache stores orders and payments as the JSON encoding/json writes
// for the domain types, so any tool (and an older replica) reads them. A poll
// cycle writes 100,000 orders and reads back as many payments, and reflection
// was most of that time; appendOrderJSON writes the same bytes by hand and
// decodePayment reads exactly what encoding/json writes for a Payment, leaving
// anything else to json.Unmarshal. TestOrderJSONMatchesEncodingJSON and
// TestDecodePaymentMatchesEncodingJSON hold them to encoding/json, including
// every field of the types, so a field added to them without a change here
// fails a test.

// appendOrderJSON appends the bytes json.Marshal(o) returns.
func appendOrderJSON(b []byte, o *orderbot.Order) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonstr.AppendString(b, o.ID)
	b = append(b, `,"source":`...)
	b = jsonstr.AppendString(b, o.Source)
	if o.Name != "" {
		b = append(b, `,"name":`...)
		b = jsonstr.AppendString(b, o.Name)
	}
	b = append(b, `,"status":`...)
	b = jsonstr.AppendString(b, string(o.Status))
	if b, err = appendTimeField(b, `,"status_since":`, o.StatusSince, true); err != nil {
		return b, err
	}
	b = append(b, `,"financial":`...)
	b = jsonstr.AppendString(b, string(o.Financial))
	b = append(b, `,"fulfillment":`...)
	b = jsonstr.AppendString(b, string(o.Fulfillment))
	b = append(b, `,"total":`...)
	b = appendMoney(b, o.Total)
	if o.Refunded != (orderbot.Money{}) {
		b = append(b, `,"refunded":`...)
		b = appendMoney(b, o.Refunded)
	}
	if o.PaymentMethod != "" {
		b = append(b, `,"payment_method":`...)
		b = jsonstr.AppendString(b, string(o.PaymentMethod))
	}
	if c := &o.Customer; *c != (orderbot.Customer{}) {
		b = append(b, `,"customer":`...)
		b = appendMembers(b, []member{{"name", c.Name}, {"phone", c.Phone}, {"email", c.Email},
			{"locale", c.Locale}, {"timezone", c.Timezone}}, c.OptOut, "opt_out")
	}
	if a := &o.ShippingAddress; *a != (orderbot.Address{}) {
		b = append(b, `,"shipping_address":`...)
		b = appendMembers(b, []member{{"name", a.Name}, {"line1", a.Line1}, {"line2", a.Line2}, {"city", a.City},
			{"province", a.Province}, {"postal_code", a.PostalCode}, {"country", a.Country}, {"phone", a.Phone}}, false, "")
	}
	if o.RequiresShipping {
		b = append(b, `,"requires_shipping":true`...)
	}
	if len(o.Lines) > 0 {
		b = append(b, `,"lines":[`...)
		for i := range o.Lines {
			l := &o.Lines[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"sku":`...)
			b = jsonstr.AppendString(b, l.SKU)
			if l.Title != "" {
				b = append(b, `,"title":`...)
				b = jsonstr.AppendString(b, l.Title)
			}
			b = append(b, `,"qty":`...)
			b = strconv.AppendInt(b, l.Quantity, 10)
			if l.Fulfilled != 0 {
				b = append(b, `,"fulfilled":`...)
				b = strconv.AppendInt(b, l.Fulfilled, 10)
			}
			if l.Price != (orderbot.Money{}) {
				b = append(b, `,"price":`...)
				b = appendMoney(b, l.Price)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(o.Shipments) > 0 {
		b = append(b, `,"shipments":[`...)
		for i := range o.Shipments {
			r := &o.Shipments[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"tracking":`...)
			b = jsonstr.AppendString(b, r.TrackingNumber)
			if r.Carrier != "" {
				b = append(b, `,"carrier":`...)
				b = jsonstr.AppendString(b, r.Carrier)
			}
			if b, err = appendTimeField(b, `,"shipped_at":`, r.ShippedAt, true); err != nil {
				return b, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	for _, f := range []struct {
		key      string
		t        time.Time
		omitZero bool
	}{
		{`,"created_at":`, o.CreatedAt, false}, {`,"updated_at":`, o.UpdatedAt, false},
		{`,"paid_at":`, o.PaidAt, true}, {`,"shipped_at":`, o.ShippedAt, true},
		{`,"cancelled_at":`, o.CancelledAt, true}, {`,"ship_by":`, o.ShipBy, true},
	} {
		if b, err = appendTimeField(b, f.key, f.t, f.omitZero); err != nil {
			return b, err
		}
	}
	if o.URL != "" {
		b = append(b, `,"url":`...)
		b = jsonstr.AppendString(b, o.URL)
	}
	if o.Test {
		b = append(b, `,"test":true`...)
	}
	return append(b, '}'), nil
}

// member is an omitempty string field of a small object.
type member struct{ key, value string }

// appendMembers appends an object of the non-empty string members, in order,
// then flagKey: true when flag is set (an omitempty bool after them).
func appendMembers(b []byte, ms []member, flag bool, flagKey string) []byte {
	b = append(b, '{')
	first := true
	comma := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	for _, m := range ms {
		if m.value == "" {
			continue
		}
		comma()
		b = append(b, '"')
		b = append(b, m.key...)
		b = append(b, '"', ':')
		b = jsonstr.AppendString(b, m.value)
	}
	if flag {
		comma()
		b = append(b, '"')
		b = append(b, flagKey...)
		b = append(b, `":true`...)
	}
	return append(b, '}')
}

func appendMoney(b []byte, m orderbot.Money) []byte {
	b = append(b, `{"minor":`...)
	b = strconv.AppendInt(b, m.Minor, 10)
	b = append(b, `,"currency":`...)
	b = jsonstr.AppendString(b, m.Currency)
	return append(b, '}')
}

// appendTimeField appends key and t as time.Time.MarshalJSON writes it
// (RFC 3339 with nanoseconds, an error outside years 0-9999); omitZero leaves
// a zero t out, as the omitzero option does.
func appendTimeField(b []byte, key string, t time.Time, omitZero bool) ([]byte, error) {
	if omitZero && t.IsZero() {
		return b, nil
	}
	b = append(b, key...)
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, fmt.Errorf("Time.MarshalJSON: %w", err)
	}
	return append(b, '"'), nil
}

// decodePayment decodes v, the JSON json.Marshal writes for a Payment, into p
// and reports whether it could. It reads only that exact form (keys in field
// order, no spaces, no escapes, canonical numbers and times) and declines
// anything else, which the caller hands to json.Unmarshal: a record written by
// another tool reads the same either way. The strings of p are substrings of
// v: Redis replies are allocated per value, so this keeps one ~200-byte record
// alive per payment instead of allocating each string again.
func decodePayment(v string, p *orderbot.Payment) bool {
	r := jsonReader{s: v, ok: true}
	r.lit(`{"id":`)
	p.ID = r.str()
	r.lit(`,"provider":`)
	p.Provider = r.str()
	r.lit(`,"order_id":`)
	p.OrderID = r.str()
	r.lit(`,"amount":`)
	p.Amount = r.money()
	r.lit(`,"status":`)
	p.Status = orderbot.PaymentStatus(r.str())
	r.lit(`,"created_at":`)
	p.CreatedAt = r.time()
	p.Refunds = nil
	if r.next(`,"refunds":[`) {
		for r.ok {
			var f orderbot.Refund
			r.lit(`{"id":`)
			f.ID = r.str()
			r.lit(`,"amount":`)
			f.Amount = r.money()
			r.lit(`,"status":`)
			f.Status = r.str()
			r.lit(`,"created_at":`)
			f.CreatedAt = r.time()
			r.lit(`}`)
			p.Refunds = append(p.Refunds, f)
			if !r.next(",") {
				break
			}
		}
		r.lit("]")
	}
	p.RefundsUnreported = r.next(`,"refunds_unreported":true`)
	r.lit("}")
	return r.ok && r.i == len(r.s)
}

// jsonReader reads one fixed JSON layout. It starts with ok set; any surprise
// clears it, and every later read returns zero values.
type jsonReader struct {
	s  string
	i  int
	ok bool
}

// lit consumes the literal l.
func (r *jsonReader) lit(l string) {
	if !r.ok || !strings.HasPrefix(r.s[r.i:], l) {
		r.ok = false
		return
	}
	r.i += len(l)
}

// next consumes l if it comes next and reports whether it did.
func (r *jsonReader) next(l string) bool {
	if r.ok && strings.HasPrefix(r.s[r.i:], l) {
		r.i += len(l)
		return true
	}
	return false
}

// str returns the contents of a string as a substring of the input. Only
// strings encoding/json writes unescaped are read: valid UTF-8 without control
// characters, quotes, backslashes, <, >, &, U+2028 or U+2029.
func (r *jsonReader) str() string {
	if !r.ok || r.i >= len(r.s) || r.s[r.i] != '"' {
		r.ok = false
		return ""
	}
	start := r.i + 1
	ascii := true
	for j := start; j < len(r.s); j++ {
		c := r.s[j]
		if c == '"' {
			v := r.s[start:j]
			if !ascii && (!utf8.ValidString(v) || strings.ContainsRune(v, '\u2028') || strings.ContainsRune(v, '\u2029')) {
				break
			}
			r.i = j + 1
			return v
		}
		if c == '\\' || c < 0x20 || c == '<' || c == '>' || c == '&' {
			break
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	r.ok = false
	return ""
}

func (r *jsonReader) int() int64 {
	j := r.i
	if j < len(r.s) && r.s[j] == '-' {
		j++
	}
	for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
		j++
	}
	if !r.ok || j == r.i {
		r.ok = false
		return 0
	}
	n, err := strconv.ParseInt(r.s[r.i:j], 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != r.s[r.i:j] { // no leading zeros, no "-0"
		r.ok = false
		return 0
	}
	r.i = j
	return n
}

func (r *jsonReader) money() orderbot.Money {
	var m orderbot.Money
	r.lit(`{"minor":`)
	m.Minor = r.int()
	r.lit(`,"currency":`)
	m.Currency = r.str()
	r.lit("}")
	return m
}

// time reads a time as time.Time.MarshalJSON writes it; one that the writer
// would not have written back the same way (a non-canonical form) declines.
func (r *jsonReader) time() time.Time {
	v := r.str()
	if !r.ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || len(v) > 64 {
		r.ok = false
		return time.Time{}
	}
	var buf [64]byte
	if out, err := t.AppendText(buf[:0]); err != nil || string(out) != v {
		r.ok = false
		return time.Time{}
	}
	return t
}
