package store

import (
	"context"
	"strconv"
	"time"
)

// StockDiffSince returns, per SKU, since when its shop and ERP stock have
// differed beyond inventory.sync_lag's tolerance, as TrackStockDiffs recorded
// it (detect.Snapshot.StockDiffSince).
func (s *Store) StockDiffSince(ctx context.Context) (map[string]time.Time, error) {
	raw, err := s.rdb.HGetAll(ctx, s.stockDiffKey()).Result()
	if err != nil && !isNil(err) {
		return nil, s.fail("store.stock_diff_since", err)
	}
	out := make(map[string]time.Time, len(raw))
	for sku, v := range raw {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[sku] = fromMs(n)
		}
	}
	return out, nil
}

// TrackStockDiffs records a cycle's stock differences (detect.Result.
// StockDiffs): a SKU that differs keeps the earliest time it was recorded
// (HSETNX, so concurrent cycles cannot move it later), and a SKU of before
// (as StockDiffSince returned it to this cycle) that no longer differs is
// forgotten, so its next difference starts a new wait.
func (s *Store) TrackStockDiffs(ctx context.Context, before, now map[string]time.Time) error {
	if len(before) == 0 && len(now) == 0 {
		return nil
	}
	key := s.stockDiffKey()
	pipe := s.rdb.Pipeline()
	var gone []string
	for sku := range before {
		if _, still := now[sku]; !still {
			gone = append(gone, sku)
		}
	}
	if len(gone) > 0 {
		pipe.HDel(ctx, key, gone...)
	}
	for sku, t := range now {
		if _, known := before[sku]; !known {
			pipe.HSetNX(ctx, key, sku, strconv.FormatInt(ms(t), 10))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return s.fail("store.track_stock_diffs", err)
	}
	return nil
}
