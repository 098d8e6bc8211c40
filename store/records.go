package store

import (
	"context"
	"encoding/json"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/jsonstr"
	"github.com/redis/go-redis/v9"
)

// The record cache keeps the latest normalised records each source returned, so
// a cycle can join records polled now with records polled earlier from another
// source (a Stripe payment with its Shopify order). Records are in the compact
// encoding of codec.go; every write is pipelined in chunks. Every record
// expires with its life cycle (Options.InFlightRetention and
// FinishedRetention, counted from its last save), so the cache holds the
// orders of a bounded window however long the shop runs.

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
	id      string
	rec     []byte
	expires time.Time
	contrib string // expiry hour | JSON object SKU → open units; "" when the order adds no demand
}

// SaveOrders caches orders and keeps open demand per SKU in step: an in-flight
// order adds the open (unshipped) quantity of each line to its SKU. Each order's
// previous contribution is stored, and one script per chunk applies only the
// difference with HINCRBY, so saving the same order twice never counts twice and
// an order that ships or is cancelled gives its demand back. An order and its
// payments expire Options.InFlightRetention after this save while the order
// is in flight, Options.FinishedRetention once it is finished; an in-flight
// order's demand is given back when its record expires. When ids repeat, the
// last order of the slice wins.
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
	demandKeys := []string{s.demandKey(), s.demandContribKey(), s.demandSweepKey()}
	if err := s.registerURLPrefixes(ctx, orders, idx); err != nil {
		return s.fail(op, err)
	}
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
			buf = appendOrder(buf, o, s.knownURLPrefix(o.Source))
			exp := s.recordExpiry(o.InFlight())
			var c string
			c, lines = demandOf(o, lines[:0])
			if c != "" {
				c = fmtDemandExpiry(exp) + "|" + c
			}
			enc = append(enc, encodedOrder{id: o.ID, rec: buf[start:len(buf):len(buf)], expires: exp, contrib: c})
		}
		args := make([]any, 0, 1+2*len(enc))
		args = append(args, s.nowSeconds()/3600)
		pipe := s.rdb.Pipeline()
		for _, e := range enc {
			// The payments live as long as their order, never shorter: a
			// payment whose order is still cached must be joined to it.
			pipe.SetArgs(ctx, s.orderKey(e.id), e.rec, redis.SetArgs{ExpireAt: e.expires})
			pipe.ExpireAt(ctx, s.paymentsKey(e.id), e.expires)
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
// scratch space, returned for reuse. SaveOrders puts the contribution's
// expiry in front of it (see demandExpiry).
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
	prefix := s.urlPrefixReader(ctx)
	return readAligned(ctx, s, "store.orders", "order", ids, s.orderKey, func(v, id string, o *orderbot.Order) error {
		if err := decodeOrder(v, o, prefix); err != nil {
			return err
		}
		// SaveOrders refuses orders without an id; a record written otherwise
		// is still the order its key names, and must not read as "unknown".
		if o.ID == "" {
			o.ID = id
		}
		return nil
	})
}

// readAligned reads the records named by key(ids[i]) into out[i] with decode,
// in pipelined chunks run in parallel; a missing record leaves the zero value.
// decode also fills in the id of a record that was written without one.
func readAligned[T any](ctx context.Context, s *Store, op, what string, ids []string, key func(string) string, decode func(v, id string, out *T) error) ([]T, error) {
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
			v, err := c.Result()
			if isNil(err) {
				continue
			}
			if err := decode(v, ids[lo+i], &out[lo+i]); err != nil {
				return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached "+what+" is unreadable")
			}
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
	now := s.nowSeconds() / 3600
	var out []string
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, s.demandContribKey(), cursor, "", 1000).Result()
		if err != nil {
			return nil, s.fail(op, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			exp, v, _ := strings.Cut(kv[i+1], "|")
			if (exp != "" && atoi64(exp) <= now) || !strings.Contains(v, needle) {
				continue // expired with its order, or not this SKU
			}
			var contrib map[string]int64
			if json.Unmarshal([]byte(v), &contrib) == nil && contrib[sku] > 0 {
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

// SavePayments caches payments, indexed by order id (one hash per order). Each
// order's hash expires Options.InFlightRetention after its last payment was
// saved, or with its order (SaveOrders), whichever is later. Unlinked payments
// (no order id) are kept in one hash per day of saving, which expires
// InFlightRetention after that day. A payment whose order link changes stays
// listed under its old order too; providers do not re-link payments in
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
			byOrder[p.OrderID] = append(byOrder[p.OrderID], p.ID, appendPayment(nil, p, p.OrderID))
		}
		exp := s.recordExpiry(true)
		for oid, fv := range byOrder {
			key := s.paymentsKey(oid)
			if oid == "" {
				key = s.unlinkedPaymentsKey(s.now().Add(s.skew))
				exp = s.recordExpiry(true).Truncate(24 * time.Hour).Add(24 * time.Hour)
			}
			pipe.HSet(ctx, key, fv...)
			pipe.ExpireAt(ctx, key, exp)
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
		cmds := make([]*redis.MapStringStringCmd, 0, hi-lo)
		var unlinked []*redis.MapStringStringCmd
		for _, id := range orderIDs[lo:hi] {
			if id == "" && unlinked == nil {
				// Every day's hash of unlinked payments that may still exist.
				day := s.now().Add(s.skew)
				for d := time.Duration(0); d <= s.opts.InFlightRetention+24*time.Hour; d += 24 * time.Hour {
					unlinked = append(unlinked, pipe.HGetAll(ctx, s.unlinkedPaymentsKey(day.Add(-d))))
				}
			}
			cmds = append(cmds, pipe.HGetAll(ctx, s.paymentsKey(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		var unlinkedVals map[string]string
		for _, c := range unlinked {
			if unlinkedVals == nil {
				unlinkedVals = map[string]string{}
			}
			maps.Copy(unlinkedVals, c.Val())
		}
		vals := func(i int) map[string]string {
			if orderIDs[lo+i] == "" {
				return unlinkedVals
			}
			return cmds[i].Val()
		}
		n := 0
		for i := range cmds {
			n += len(vals(i))
		}
		if n == 0 {
			return nil
		}
		all := make([]orderbot.Payment, n)
		for i := range cmds {
			vals := vals(i)
			if len(vals) == 0 {
				continue
			}
			list := all[:len(vals):len(vals)]
			all = all[len(vals):]
			j := 0
			for id, v := range vals {
				if err := decodePaymentRec(v, id, orderIDs[lo+i], &list[j]); err != nil {
					return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached payment is unreadable")
				}
				j++
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

// SaveShipments caches parcels by tracking number, with only the newest
// checkpoint (see codec.go). A parcel expires Options.InFlightRetention after
// its last save, or FinishedRetention once its journey is over (delivered,
// returned).
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
			pipe.SetArgs(ctx, s.shipmentKey(p.TrackingNumber), appendShipment(nil, p),
				redis.SetArgs{ExpireAt: s.recordExpiry(!p.Status.Final())})
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
	return readAligned(ctx, s, "store.shipments", "shipment", tracking, s.shipmentKey, func(v, number string, sh *orderbot.Shipment) error {
		if err := decodeShipment(v, sh); err != nil {
			return err
		}
		// SaveShipments refuses parcels without a tracking number; a record
		// written otherwise is still the parcel its key names.
		if sh.TrackingNumber == "" {
			sh.TrackingNumber = number
		}
		return nil
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
