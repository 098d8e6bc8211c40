package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
)

// Courier and payment-channel scorecard, and spikes per SKU and courier.
//
// Numerators and hourly counts come from the rollup fold (rollupfold.go), never
// from the upsert script:
//
//	an:k:<dim>:<yyyymmdd>     hash: member US kind = tickets opened that local day
//	                          (dim courier or channel)
//	an:zh:<dim>:<unix hour>   sorted set: member = tickets opened in the hour
//	                          (dim sku or courier); deleted with the hour hashes
//	an:zh:first               the first hour counted in those sets
//
// Denominators come from the poll cycle, which has the records anyway
// (CountSeen): one HyperLogLog per member and local day holds the parcels (or
// payments) seen, so a parcel polled in many cycles of a day counts once, and
// a week's figure is the union of its seven days (PFCOUNT over several keys).
//
//	an:u:<dim>:<yyyymmdd>:<member>  HyperLogLog of record ids seen
//	an:um:<dim>:<yyyymmdd>          set of the members seen that day
//
// Both expire after seenKeep: the scorecard looks back at most eleven weeks.

// seenKeep is how long the seen counts of a day are kept.
const seenKeep = 12 * 7 * 24 * time.Hour

func (s *Store) dimKindKey(tag, dim, day string) string {
	return s.rollupPrefix(tag) + "k:" + dim + ":" + day
}

func (s *Store) dimHourKey(tag, dim string, hour int64) string {
	return s.rollupPrefix(tag) + "zh:" + dim + ":" + strconv.FormatInt(hour, 10)
}

func (s *Store) dimHourFirstKey(tag string) string { return s.rollupPrefix(tag) + "zh:first" }

// DimHoursSince returns the first unix hour counted per SKU and courier
// (DimHourCounts), and false when none was counted yet.
func (s *Store) DimHoursSince(ctx context.Context) (int64, bool, error) {
	if err := s.FoldRollups(ctx); err != nil {
		return 0, false, err
	}
	first, found := int64(0), false
	for _, tag := range s.rollupTags() {
		h, err := s.rdb.Get(ctx, s.dimHourFirstKey(tag)).Int64()
		if isNil(err) {
			continue
		}
		if err != nil {
			return 0, false, s.fail("store.dim_hours_since", err)
		}
		if !found || h < first {
			first, found = h, true
		}
	}
	return first, found, nil
}

func (s *Store) seenKey(dim, day, member string) string {
	return s.rollupPrefix(tagTickets) + "u:" + dim + ":" + day + ":" + member
}

func (s *Store) seenMembersKey(dim, day string) string {
	return s.rollupPrefix(tagTickets) + "um:" + dim + ":" + day
}

// CountSeen records that the records ids (parcels' tracking numbers, payment
// ids) of each member of dim (DimCourier, DimChannel) were seen at at: one
// pipelined round trip per call, however many records. A poll cycle calls it
// once with what it fetched; seeing a record again the same day does not
// count it twice. Members holding a separator, and empty ones, are skipped.
func (s *Store) CountSeen(ctx context.Context, dim string, at time.Time, ids map[string][]string) error {
	if len(ids) == 0 {
		return nil
	}
	day := localDay(at.In(s.opts.Location))
	pipe := s.rdb.Pipeline()
	var members []any
	for m, list := range ids {
		if m == "" || hasSeparator(m) || len(list) == 0 {
			continue
		}
		els := make([]any, len(list))
		for i, id := range list {
			els[i] = id
		}
		key := s.seenKey(dim, day, m)
		pipe.PFAdd(ctx, key, els...)
		// Relative to the write: the day's keys are written that day only.
		pipe.Expire(ctx, key, seenKeep)
		members = append(members, m)
	}
	if len(members) == 0 {
		return nil
	}
	mk := s.seenMembersKey(dim, day)
	pipe.SAdd(ctx, mk, members...)
	pipe.Expire(ctx, mk, seenKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail("store.count_seen", err)
	}
	return nil
}

// localDays lists the local days that [since, until) touches.
func (s *Store) localDays(since, until time.Time) []string {
	loc := s.opts.Location
	l := since.In(loc)
	var out []string
	for t := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc); t.Before(until); t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc) {
		out = append(out, localDay(t))
	}
	return out
}

// SeenCounts returns, per member of dim, how many distinct records were seen
// on the local days [since, until) touches (a HyperLogLog estimate: exact for
// small counts, within about 1 % for large ones).
func (s *Store) SeenCounts(ctx context.Context, dim string, since, until time.Time) (map[string]int64, error) {
	const op = "store.seen_counts"
	days := s.localDays(since, until)
	if len(days) == 0 {
		return map[string]int64{}, nil
	}
	mkeys := make([]string, len(days))
	for i, d := range days {
		mkeys[i] = s.seenMembersKey(dim, d)
	}
	members, err := s.rdb.SUnion(ctx, mkeys...).Result()
	if err != nil && !isNil(err) {
		return nil, s.fail(op, err)
	}
	out := make(map[string]int64, len(members))
	if len(members) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(members))
	for i, m := range members {
		keys := make([]string, len(days))
		for j, d := range days {
			keys[j] = s.seenKey(dim, d, m)
		}
		cmds[i] = pipe.PFCount(ctx, keys...)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, s.fail(op, err)
	}
	for i, c := range cmds {
		out[members[i]] = c.Val()
	}
	return out, nil
}

// DimKindCounts returns the tickets opened per member of dim (DimCourier,
// DimChannel) and kind on the local days [since, until) touches.
func (s *Store) DimKindCounts(ctx context.Context, dim string, since, until time.Time) (map[string]map[orderbot.Kind]int64, error) {
	const op = "store.dim_kind_counts"
	if err := s.FoldRollups(ctx); err != nil {
		return nil, err
	}
	days := s.localDays(since, until)
	out := map[string]map[orderbot.Kind]int64{}
	for _, tag := range s.rollupTags() {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(days))
		for i, d := range days {
			cmds[i] = pipe.HGetAll(ctx, s.dimKindKey(tag, dim, d))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return nil, s.fail(op, err)
		}
		for _, c := range cmds {
			for f, v := range c.Val() {
				member, kind, ok := strings.Cut(f, unitSep)
				if !ok {
					continue
				}
				n, _ := strconv.ParseInt(v, 10, 64)
				m := out[member]
				if m == nil {
					m = map[orderbot.Kind]int64{}
					out[member] = m
				}
				m[orderbot.Kind(kind)] += n
			}
		}
	}
	return out, nil
}

// DimHourCounts returns the tickets opened per member of dim (DimSKU,
// DimCourier) in each unix hour of hours, for the members given, or for every
// member when members is nil.
func (s *Store) DimHourCounts(ctx context.Context, dim string, hours []int64, members []string) (map[string]map[int64]int64, error) {
	const op = "store.dim_hour_counts"
	if err := s.FoldRollups(ctx); err != nil {
		return nil, err
	}
	out := map[string]map[int64]int64{}
	add := func(m string, h, n int64) {
		if n == 0 {
			return
		}
		c := out[m]
		if c == nil {
			c = map[int64]int64{}
			out[m] = c
		}
		c[h] += n
	}
	for _, tag := range s.rollupTags() {
		pipe := s.rdb.Pipeline()
		var all []*redis.ZSliceCmd
		var some []*redis.FloatSliceCmd
		for _, h := range hours {
			key := s.dimHourKey(tag, dim, h)
			if members == nil {
				all = append(all, pipe.ZRangeWithScores(ctx, key, 0, -1))
			} else if len(members) > 0 {
				some = append(some, pipe.ZMScore(ctx, key, members...))
			}
		}
		if len(all)+len(some) == 0 {
			continue
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return nil, s.fail(op, err)
		}
		for i, c := range all {
			for _, z := range c.Val() {
				m, _ := z.Member.(string)
				add(m, hours[i], int64(z.Score))
			}
		}
		for i, c := range some {
			for j, v := range c.Val() {
				add(members[j], hours[i], int64(v))
			}
		}
	}
	return out, nil
}

// UnmarkPosted forgets that the once-only post named what was made, so the
// next one of that name is posted again (a scorecard alert whose rate
// recovered).
func (s *Store) UnmarkPosted(ctx context.Context, what string) error {
	if err := s.rdb.Del(ctx, s.postedKey(what)).Err(); err != nil {
		return s.fail("store.unmark_posted", err)
	}
	return nil
}

// DimHourAtLeast returns the members of dim (DimSKU, DimCourier) with at least
// min tickets opened in the unix hour: the spike alert's candidates, read
// without the many quiet members.
func (s *Store) DimHourAtLeast(ctx context.Context, dim string, hour, min int64) ([]string, error) {
	if err := s.FoldRollups(ctx); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, tag := range s.rollupTags() {
		ms, err := s.rdb.ZRangeByScore(ctx, s.dimHourKey(tag, dim, hour),
			&redis.ZRangeBy{Min: strconv.FormatInt(min, 10), Max: "+inf"}).Result()
		if err != nil && !isNil(err) {
			return nil, s.fail("store.dim_hour_at_least", err)
		}
		for _, m := range ms {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out, nil
}
