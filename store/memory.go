package store

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// RecordMemory is Redis memory per cached record, in bytes, estimated from a
// sample (0 when none is cached): what /metrics shows so that an operator sees
// the cost per order and can size Redis (docs/sizing.md).
type RecordMemory struct {
	Orders   float64 // one order's record
	Payments float64 // one order's hash of payments
	Parcels  float64 // one parcel
	Contacts float64 // one contact index entry (a phone or email and its orders)
	Watch    float64 // one watch list entry
	Demand   float64 // one order's demand contribution
}

// memorySample is how many keys of each record type RecordMemory measures.
const memorySample = 32

// RecordMemory estimates Redis memory per cached record cheaply: MEMORY USAGE
// of a few dozen keys of each kind found by one bounded SCAN each, and of the
// shared collections (watch list, a few contact shards, demand) with Redis's
// own sampling, divided by their length. A handful of commands, whatever the
// size of the cache. Errors leave the estimate at zero and are returned.
func (s *Store) RecordMemory(ctx context.Context) (RecordMemory, error) {
	var m RecordMemory
	var firstErr error
	keep := func(err error) {
		if err != nil && !isNil(err) && firstErr == nil {
			firstErr = s.fail("store.record_memory", err)
		}
	}
	for _, r := range []struct {
		pattern string
		out     *float64
	}{{s.orderKey("*"), &m.Orders}, {s.paymentsKey("*"), &m.Payments}, {s.shipmentKey("*"), &m.Parcels}} {
		v, err := s.meanKeyMemory(ctx, r.pattern)
		keep(err)
		*r.out = v
	}
	per := func(key string, n func() *redis.IntCmd) float64 {
		used, err := s.rdb.MemoryUsage(ctx, key, 5).Result()
		keep(err)
		l, err := n().Result()
		keep(err)
		if l == 0 {
			return 0
		}
		return float64(used) / float64(l)
	}
	m.Demand = per(s.demandContribKey(), func() *redis.IntCmd { return s.rdb.HLen(ctx, s.demandContribKey()) })
	// Sharded collections: the mean over a few shards that hold anything.
	sharded := func(n int, key func(int) string, length func(string) *redis.IntCmd) float64 {
		var sum, k float64
		for i := 0; i < 4; i++ {
			key := key(i * n / 4)
			if v := per(key, func() *redis.IntCmd { return length(key) }); v > 0 {
				sum += v
				k++
			}
		}
		if k == 0 {
			return 0
		}
		return sum / k
	}
	m.Watch = sharded(watchShards, s.watchKey, func(k string) *redis.IntCmd { return s.rdb.ZCard(ctx, k) })
	m.Contacts = sharded(contactShards, func(i int) string { return s.contactKeys(i)[0] },
		func(k string) *redis.IntCmd { return s.rdb.HLen(ctx, k) })
	return m, firstErr
}

// meanKeyMemory is the mean MEMORY USAGE of up to memorySample keys matching
// pattern, found by a few bounded SCAN steps.
func (s *Store) meanKeyMemory(ctx context.Context, pattern string) (float64, error) {
	var keys []string
	var cursor uint64
	for step := 0; step < 8 && len(keys) < memorySample; step++ {
		ks, next, err := s.rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return 0, err
		}
		keys = append(keys, ks...)
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(keys) > memorySample {
		keys = keys[:memorySample]
	}
	if len(keys) == 0 {
		return 0, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.MemoryUsage(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return 0, err
	}
	var sum, n float64
	for _, c := range cmds {
		if v, err := c.Result(); err == nil {
			sum += float64(v)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return sum / n, nil
}
