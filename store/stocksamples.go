package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// StockSample is one look at a SKU: what the shop offers, what the ERP has
// available, and the open (unshipped) order quantity.
type StockSample struct {
	At     time.Time `json:"t"`
	Shop   int64     `json:"s"`
	ERP    int64     `json:"e"`
	Demand int64     `json:"d"`
}

// stockSamplesKey holds a SKU's recent stock samples (newest first), for the
// oversell forecast. A single key per SKU, untagged: each is written alone.
func (s *Store) stockSamplesKey(sku string) string { return s.key("stocksample", sku) }

// AddStockSamples appends one sample per SKU, keeps the newest keep of each
// (for at most ttl after the last one) and returns every SKU's samples, oldest
// first. One pipeline for all SKUs.
func (s *Store) AddStockSamples(ctx context.Context, samples map[string]StockSample, keep int, ttl time.Duration) (map[string][]StockSample, error) {
	const op = "store.add_stock_samples"
	pipe := s.rdb.Pipeline()
	cmds := make(map[string]*redis.StringSliceCmd, len(samples))
	for sku, sm := range samples {
		b, err := json.Marshal(sm)
		if err != nil {
			return nil, s.fail(op, err)
		}
		k := s.stockSamplesKey(sku)
		pipe.LPush(ctx, k, b)
		pipe.LTrim(ctx, k, 0, int64(keep-1))
		pipe.Expire(ctx, k, ttl)
		cmds[sku] = pipe.LRange(ctx, k, 0, -1)
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.fail(op, err)
	}
	out := make(map[string][]StockSample, len(cmds))
	for sku, c := range cmds {
		var list []StockSample
		for _, raw := range c.Val() {
			var sm StockSample
			if json.Unmarshal([]byte(raw), &sm) == nil {
				list = append(list, sm)
			}
		}
		slices.Reverse(list)
		out[sku] = list
	}
	return out, nil
}
