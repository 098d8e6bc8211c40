package store

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// SeedRollupHour writes one hour hash of the rollups directly, for benchmarks
// that need a year of history without a year of ticket changes.
func (s *Store) SeedRollupHour(ctx context.Context, hour time.Time, counters map[RollupKey]int64) error {
	vals := make([]any, 0, 2*len(counters))
	for k, n := range counters {
		f := []string{string(k.Metric), string(k.Kind), k.Dept, k.Source}
		if k.Extra != "" {
			f = append(f, k.Extra)
		}
		vals = append(vals, strings.Join(f, unitSep), n)
	}
	return s.rdb.HSet(ctx, s.hourRollupKey(tagTickets, unixHour(hour)), vals...).Err()
}

// SeedRollupDim writes one day's top list of a dimension directly.
func (s *Store) SeedRollupDim(ctx context.Context, day time.Time, dim string, counts map[string]float64) error {
	zs := make([]redis.Z, 0, len(counts))
	for m, n := range counts {
		zs = append(zs, redis.Z{Score: n, Member: m})
	}
	return s.rdb.ZAdd(ctx, s.dimKey(tagTickets, dim, localDay(day.In(s.opts.Location))), zs...).Err()
}

// RedisCPU is redisCPU for the external benchmarks of this directory.
var RedisCPU = redisCPU
