package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// foldPage is how many stream entries one fold step reads: each is one upsert
// batch's opens.
const foldPage = 1000

// FoldRollups adds the opened tickets that the upsert script wrote to the
// rollup stream (lua/rollup.lua) into the hour hashes and day lists, summed
// over every pending batch, so a SKU that opened 300 tickets across 20 polls
// costs one write. Every read of the rollups folds first, and the retention
// job folds on its schedule so the stream stays short. Replicas may fold at
// once: each step applies only if no other replica applied the same entries
// (lua/fold.lua).
func (s *Store) FoldRollups(ctx context.Context) error {
	const op = "store.fold_rollups"
	for _, tag := range s.rollupTags() {
		for {
			done, err := s.foldStep(ctx, tag)
			if err != nil {
				return s.fail(op, err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// foldStep folds one page; done is true when nothing was left.
func (s *Store) foldStep(ctx context.Context, tag string) (done bool, err error) {
	cursor, err := s.rdb.Get(ctx, s.rollupFoldKey(tag)).Result()
	if isNil(err) {
		cursor, err = "0", nil
	}
	if err != nil {
		return false, err
	}
	from := "-"
	if cursor != "0" {
		from = "(" + cursor
	}
	// XRANGE through Do: go-redis's XMessage keeps the fields in a map, which
	// would lose the repeated field names an entry holds.
	reply, err := s.rdb.Do(ctx, "XRANGE", s.rollupEventsKey(tag), from, "+", "COUNT", foldPage).Slice()
	if err != nil && !isNil(err) {
		return false, err
	}
	if len(reply) == 0 {
		return true, nil
	}
	type target struct{ op, key, field string }
	sums := map[target]int64{}
	last := ""
	for _, r := range reply {
		e, ok := r.([]any)
		if !ok || len(e) != 2 {
			return false, fmt.Errorf("unexpected XRANGE entry %T", r)
		}
		last, _ = e[0].(string)
		raw, _ := e[1].([]any)
		vals := make([]string, len(raw))
		for i, v := range raw {
			vals[i], _ = v.(string)
		}
		foldValues(vals, func(op, key, field string, n int64) { sums[target{op, key, field}] += n })
	}
	args := make([]any, 0, 3+4*len(sums))
	args = append(args, s.rollupPrefix(tag), cursor, last)
	for t, n := range sums {
		args = append(args, t.op, t.key, t.field, n)
	}
	// Whether this call or another replica's applied the page, the next step
	// starts after it.
	if err := s.evalSha(ctx, scriptFold, []string{s.rollupFoldKey(tag), s.rollupEventsKey(tag)}, args...).Err(); err != nil {
		return false, err
	}
	// The first hour counted per SKU and courier, so the spike alert knows
	// how much history those counts have (they began after the kinds').
	first := int64(-1)
	for t := range sums {
		if h, ok := strings.CutPrefix(t.key, "zh:"); ok {
			if _, hs, ok := strings.Cut(h, ":"); ok {
				if n, err := strconv.ParseInt(hs, 10, 64); err == nil && (first < 0 || n < first) {
					first = n
				}
			}
		}
	}
	if first >= 0 {
		if err := s.rdb.SetNX(ctx, s.dimHourFirstKey(tag), first, 0).Err(); err != nil {
			return false, err
		}
	}
	return len(reply) < foldPage, nil
}

// foldValues reads one entry's field-value list in order: h <hour> d <day>,
// then per class c <kind US department> and <count> <class argument> pairs.
func foldValues(vals []string, add func(op, key, field string, n int64)) {
	var hour, day, head string
	for i := 0; i+1 < len(vals); i += 2 {
		name, v := vals[i], vals[i+1]
		switch name {
		case "h":
			hour = v
		case "d":
			day = v
		case "c":
			head = v
		default:
			count, err := strconv.ParseInt(name, 10, 64)
			if err != nil || hour == "" || head == "" {
				continue
			}
			// v: position [US minor US sku US source US currency US courier
			// US channel US region] (rollArg).
			p := strings.Split(v, unitSep)
			var minor, sku, src, cur, courier, channel, region string
			if len(p) == 8 {
				minor, sku, src, cur, courier, channel, region = p[1], p[2], p[3], p[4], p[5], p[6], p[7]
			}
			dim := head + unitSep + src
			hkey := "h:" + hour
			add("h", hkey, string(MetricOpened)+unitSep+dim, count)
			if m, err := strconv.ParseInt(minor, 10, 64); err == nil && m != 0 && cur != "" {
				add("h", hkey, string(MetricAtRisk)+unitSep+dim+unitSep+cur, m*count)
			}
			for _, d := range [...][2]string{{DimSKU, sku}, {DimCourier, courier}, {DimChannel, channel}, {DimRegion, region}} {
				if d[1] != "" && day != "" {
					add("z", "z:"+d[0]+":"+day, d[1], count)
				}
			}
			// The scorecard's numerators (tickets per courier or channel,
			// kind and day) and the hourly counts per SKU and courier that
			// the spike alert reads (scorecard.go). Folded here, summed over
			// many batches, so the upsert script pays nothing for them.
			kind, _, _ := strings.Cut(head, unitSep)
			for _, d := range [...][2]string{{DimCourier, courier}, {DimChannel, channel}} {
				if d[1] != "" && day != "" {
					add("h", "k:"+d[0]+":"+day, d[1]+unitSep+kind, count)
				}
			}
			for _, d := range [...][2]string{{DimSKU, sku}, {DimCourier, courier}} {
				if d[1] != "" {
					add("z", "zh:"+d[0]+":"+hour, d[1], count)
				}
			}
		}
	}
}
