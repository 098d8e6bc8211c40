package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
)

// Parcel is a parcel in a per-parcel tracker's queue (a tracking service with no
// list API, such as Kuaidi100, is asked about each parcel in turn).
type Parcel struct {
	Ref     orderbot.ShipmentRef `json:"ref"`
	OrderID string               `json:"order_id,omitempty"`
	// NextAt is when to ask about it next; zero removes it from the queue.
	NextAt time.Time `json:"-"`
}

// The queue of one tracker is a sorted set (tracking number by next query time)
// plus a hash of the parcel references; both share the tracker's hash tag so one
// MULTI updates them together.
func (s *Store) parcelQueueKey(source string) string { return s.key("{p:"+source+"}", "parcels") }
func (s *Store) parcelRefKey(source string) string   { return s.key("{p:"+source+"}", "parcelref") }

// ScheduleParcels sets when the tracker named source should next be asked about
// each parcel (by tracking number); a zero NextAt removes the parcel.
func (s *Store) ScheduleParcels(ctx context.Context, source string, parcels map[string]Parcel) error {
	const op = "store.schedule_parcels"
	if len(parcels) == 0 {
		return nil
	}
	qk, rk := s.parcelQueueKey(source), s.parcelRefKey(source)
	pipe := s.rdb.TxPipeline()
	n := 0
	for num, p := range parcels {
		if p.NextAt.IsZero() {
			pipe.ZRem(ctx, qk, num)
			pipe.HDel(ctx, rk, num)
		} else {
			b, err := json.Marshal(p)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, op, err, "cannot encode parcel")
			}
			pipe.ZAdd(ctx, qk, redis.Z{Score: float64(p.NextAt.UnixMilli()), Member: num})
			pipe.HSet(ctx, rk, num, b)
		}
		if n++; n%1000 == 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return s.fail(op, err)
			}
			pipe = s.rdb.TxPipeline()
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DueParcels returns up to limit parcels of the tracker whose query time is at or
// before now, earliest first. They stay queued until ScheduleParcels moves them,
// so a crash in between only means they are asked about again.
func (s *Store) DueParcels(ctx context.Context, source string, now time.Time, limit int) ([]Parcel, error) {
	const op = "store.due_parcels"
	if limit <= 0 {
		limit = 500
	}
	nums, err := s.rdb.ZRangeByScore(ctx, s.parcelQueueKey(source), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, s.fail(op, err)
	}
	if len(nums) == 0 {
		return nil, nil
	}
	raw, err := s.rdb.HMGet(ctx, s.parcelRefKey(source), nums...).Result()
	if err != nil {
		return nil, s.fail(op, err)
	}
	out := make([]Parcel, 0, len(nums))
	for i, v := range raw {
		str, ok := v.(string)
		if !ok {
			// Queued without a reference (should not happen): ask by number alone.
			out = append(out, Parcel{Ref: orderbot.ShipmentRef{TrackingNumber: nums[i]}})
			continue
		}
		var p Parcel
		if err := json.Unmarshal([]byte(str), &p); err != nil {
			return nil, orderbot.Wrap(orderbot.KindPermanent, op, err, "stored parcel is not valid JSON")
		}
		out = append(out, p)
	}
	return out, nil
}
