package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

// stockTmpTTL bounds how long a half-written replacement can linger when the
// writer dies before the final RENAME.
const stockTmpTTL = 10 * time.Minute

// ReplaceStock replaces everything cached for one (side, source) with levels:
// SKUs and locations the source no longer reports disappear. The new levels are
// written to a temporary hash and renamed over the old one in one MULTI, so
// readers see either the old or the new stock, never a mix. Empty levels remove
// the source's stock.
func (s *Store) ReplaceStock(ctx context.Context, side orderbot.StockSide, source string, levels []orderbot.StockLevel) error {
	const op = "store.replace_stock"
	if side != orderbot.SideShop && side != orderbot.SideERP {
		return orderbot.Errorf(orderbot.KindInvalid, op, "stock side must be shop or erp")
	}
	if err := validSource(op, source); err != nil {
		return err
	}
	key := s.stockKey(string(side), source)
	srcs := s.stockSourcesKey(string(side))
	if len(levels) == 0 {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, key)
			p.SRem(ctx, srcs, source)
			return nil
		})
		return s.fail(op, err)
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	tmp := s.stockTmpKey(string(side), source, hex.EncodeToString(nonce[:]))
	for lo := 0; lo < len(levels); lo += recordChunk {
		hi := min(lo+recordChunk, len(levels))
		fv := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			l := levels[i]
			if l.SKU == "" {
				return orderbot.Errorf(orderbot.KindInvalid, op, "stock level %d has no SKU", i)
			}
			l.Side, l.Source = side, source
			b, err := json.Marshal(l)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "a stock level cannot be encoded")
			}
			fv = append(fv, l.SKU+"\x00"+l.Location, b)
		}
		pipe := s.rdb.Pipeline()
		pipe.HSet(ctx, tmp, fv...)
		pipe.PExpire(ctx, tmp, stockTmpTTL)
		if _, err := pipe.Exec(ctx); err != nil {
			s.rdb.Del(context.WithoutCancel(ctx), tmp)
			return s.fail(op, err)
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Rename(ctx, tmp, key)
		p.Persist(ctx, key) // RENAME carries the temporary key's TTL over
		p.SAdd(ctx, srcs, source)
		return nil
	})
	return s.fail(op, err)
}

// Stock returns one side's stock by SKU, summed over locations and sources.
// UpdatedAt is the oldest of the summed records (the age that matters for
// sync-lag), Location is set only when one location reports the SKU, and Source
// only when one source does.
func (s *Store) Stock(ctx context.Context, side orderbot.StockSide) (map[string]orderbot.StockLevel, error) {
	const op = "store.stock"
	srcs, err := s.rdb.SMembers(ctx, s.stockSourcesKey(string(side))).Result()
	if err != nil {
		return nil, s.fail(op, err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(srcs))
	for i, src := range srcs {
		cmds[i] = pipe.HVals(ctx, s.stockKey(string(side), src))
	}
	if len(srcs) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, s.fail(op, err)
		}
	}
	out := make(map[string]orderbot.StockLevel)
	for _, c := range cmds {
		for _, v := range c.Val() {
			var l orderbot.StockLevel
			if err := json.Unmarshal([]byte(v), &l); err != nil {
				return nil, orderbot.Wrap(orderbot.KindPermanent, op, err, "a cached stock level is unreadable")
			}
			cur, seen := out[l.SKU]
			if !seen {
				out[l.SKU] = l
				continue
			}
			cur.Available += l.Available
			cur.OnHand += l.OnHand
			cur.Reserved += l.Reserved
			if l.UpdatedAt.Before(cur.UpdatedAt) {
				cur.UpdatedAt = l.UpdatedAt
			}
			if cur.Location != l.Location {
				cur.Location = ""
			}
			if cur.Source != l.Source {
				cur.Source = ""
			}
			out[l.SKU] = cur
		}
	}
	return out, nil
}
