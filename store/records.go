package store

import (
	"context"
	"encoding/json"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"github.com/orderbot/orderbot"
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
		for _, i := range idx[lo:hi] {
			o := &orders[i]
			b, err := json.Marshal(o)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "an order cannot be encoded")
			}
			c, err := demandOf(o)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "an order cannot be encoded")
			}
			enc = append(enc, encodedOrder{id: o.ID, json: b, terminal: !o.InFlight(), contrib: c})
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

// demandOf is an order's contribution to open demand: for an in-flight order,
// the open quantity of each line summed by SKU.
func demandOf(o *orderbot.Order) (string, error) {
	if !o.InFlight() {
		return "", nil
	}
	var m map[string]int64
	for _, l := range o.Lines {
		if n := l.Open(); n > 0 && l.SKU != "" {
			if m == nil {
				m = make(map[string]int64, len(o.Lines))
			}
			m[l.SKU] += n
		}
	}
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m) // map keys are sorted: equal demand, equal string
	return string(b), err
}

// Orders returns the cached orders among ids, by id; unknown ids are absent.
func (s *Store) Orders(ctx context.Context, ids []string) (map[string]orderbot.Order, error) {
	const op = "store.orders"
	out := make(map[string]orderbot.Order, len(ids))
	var mu sync.Mutex
	err := parallel(len(ids), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, 0, hi-lo)
		for _, id := range ids[lo:hi] {
			cmds = append(cmds, pipe.Get(ctx, s.orderKey(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return s.fail(op, err)
		}
		got := make([]orderbot.Order, 0, len(cmds))
		for _, c := range cmds {
			b, err := c.Bytes()
			if isNil(err) {
				continue
			}
			var o orderbot.Order
			if err := json.Unmarshal(b, &o); err != nil {
				return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached order is unreadable")
			}
			got = append(got, o)
		}
		mu.Lock()
		for _, o := range got {
			out[o.ID] = o
		}
		mu.Unlock()
		return nil
	})
	return out, err
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
	const op = "store.payments_by_order"
	out := make(map[string][]orderbot.Payment, len(orderIDs))
	var mu sync.Mutex
	err := parallel(len(orderIDs), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, 0, hi-lo)
		for _, id := range orderIDs[lo:hi] {
			cmds = append(cmds, pipe.HGetAll(ctx, s.paymentsKey(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		got := make(map[string][]orderbot.Payment)
		for i, c := range cmds {
			m := c.Val()
			if len(m) == 0 {
				continue
			}
			list := make([]orderbot.Payment, 0, len(m))
			for _, v := range m {
				var p orderbot.Payment
				if err := json.Unmarshal([]byte(v), &p); err != nil {
					return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached payment is unreadable")
				}
				list = append(list, p)
			}
			sort.Slice(list, func(a, b int) bool {
				if !list[a].CreatedAt.Equal(list[b].CreatedAt) {
					return list[a].CreatedAt.Before(list[b].CreatedAt)
				}
				return list[a].ID < list[b].ID
			})
			got[orderIDs[lo+i]] = list
		}
		mu.Lock()
		for k, v := range got {
			out[k] = v
		}
		mu.Unlock()
		return nil
	})
	return out, err
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
	const op = "store.shipments"
	out := make(map[string]orderbot.Shipment, len(tracking))
	var mu sync.Mutex
	err := parallel(len(tracking), recordChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, 0, hi-lo)
		for _, t := range tracking[lo:hi] {
			cmds = append(cmds, pipe.Get(ctx, s.shipmentKey(t)))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return s.fail(op, err)
		}
		got := make([]orderbot.Shipment, 0, len(cmds))
		for _, c := range cmds {
			b, err := c.Bytes()
			if isNil(err) {
				continue
			}
			var sp orderbot.Shipment
			if err := json.Unmarshal(b, &sp); err != nil {
				return orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached shipment is unreadable")
			}
			got = append(got, sp)
		}
		mu.Lock()
		for _, sp := range got {
			out[sp.TrackingNumber] = sp
		}
		mu.Unlock()
		return nil
	})
	return out, err
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
