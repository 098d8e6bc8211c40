package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
)

// Analytics rollups (lua/rollup.lua writes them). Every ticket script counts
// the change it makes in the hash of the current hour, in the same atomic step,
// so the figures never disagree with the tickets, survive the purge of resolved
// tickets, and cost a read in proportion to the hours asked for, never to the
// tickets. Closed local days and months are summed once into a hash of their
// own (materialised on first read, or by the retention job), so a year is read
// as about twelve month hashes, a month's days and a day's hours.
//
// Key layout, under the ticket space's hash tag so a script's keys stay in one
// slot (rollup keys take the tag as a parameter: a store that shards tickets
// over several tags keeps rollups per tag, and reads sum them):
//
//	an:h:<unix hour>      hour hash, written by the scripts
//	an:d:<yyyymmdd>       local day hash, the sum of its hours plus W fields
//	an:m:<yyyymm>         local month hash, the sum of its days
//	an:z:<dim>:<yyyymmdd> opened tickets per member of a dimension and day
//	an:z:<dim>:m<yyyymm>  the same per month (union of its days)
//	an:trim               the oldest hour the retention job has not deleted
//	an:ev                 opened tickets not yet folded into the above
//	an:evc                the id of the last folded an:ev entry (FoldRollups)
//
// Day and month hashes carry "W<n>": tickets opened in local hour-of-week n
// (0 = Monday 00:00), and "_" marking the sum complete.

// Metric names a rollup counter (the field's first part).
type Metric string

// Rollup metrics.
const (
	MetricOpened       Metric = "o"
	MetricReopened     Metric = "ro"
	MetricClaimed      Metric = "cl" // first claims
	MetricResolved     Metric = "rs" // resolved by staff
	MetricAutoResolved Metric = "ra"
	MetricBreached     Metric = "b"  // tickets that missed a target, once each
	MetricClaimTime    Metric = "hc" // histogram; Extra is the LatencyBucket
	MetricResolveTime  Metric = "hr" // histogram; Extra is the LatencyBucket
	MetricAtRisk       Metric = "mo" // money at risk of opened tickets; Extra is the currency
	MetricRecovered    Metric = "mv" // money at risk of resolved tickets; Extra is the currency
	MetricNoticeSent   Metric = "ns"
	MetricNoticeFailed Metric = "nf"
)

// Dimensions of TopDims.
const (
	DimSKU     = "sku"
	DimCourier = "courier"
	DimChannel = "channel"
	DimRegion  = "region"
)

// RollupKey is one counter: a metric of one kind, department and source, with
// a latency bucket or currency for the metrics that have one.
type RollupKey struct {
	Metric Metric
	Kind   orderbot.Kind
	Dept   string
	Source string
	Extra  string
}

// Rollup is the sum of the counters over a span.
type Rollup struct {
	Counters map[RollupKey]int64
	// HourOfWeek counts opened tickets per local hour of the week (0 = Monday
	// 00:00 in the business zone).
	HourOfWeek [168]int64
}

// rollupPart is one bucket's parsed counters: field ids (fieldIDs) and
// amounts, and opened tickets per local hour of the week.
type rollupPart struct {
	ids  []int32
	ns   []int64
	week [168]int64
}

// fieldIDs interns rollup field names: a deployment has a few thousand
// distinct ones (kinds × departments × sources × metrics and buckets), so
// sums over many buckets add into a dense slice instead of a map.
type fieldIDs struct {
	mu   sync.Mutex
	ids  map[string]int32
	keys []RollupKey
	ok   []bool // false for a field that does not parse
}

func (f *fieldIDs) id(field string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.ids[field]; ok {
		return id
	}
	if f.ids == nil {
		f.ids = map[string]int32{}
	}
	parts := strings.Split(field, unitSep)
	var k RollupKey
	valid := len(parts) >= 4
	if valid {
		k = RollupKey{Metric: Metric(parts[0]), Kind: orderbot.Kind(parts[1]), Dept: parts[2], Source: parts[3]}
		if len(parts) > 4 {
			k.Extra = parts[4]
		}
	}
	id := int32(len(f.keys))
	f.ids[field] = id
	f.keys = append(f.keys, k)
	f.ok = append(f.ok, valid)
	return id
}

// parseRollup parses one bucket's hash; an hour's opened tickets count in its
// local hour of the week.
func (s *Store) parseRollup(h map[string]string, x span) *rollupPart {
	p := &rollupPart{ids: make([]int32, 0, len(h)), ns: make([]int64, 0, len(h))}
	for f, v := range h {
		if f == "_" || f == "" {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		if f[0] == 'W' {
			if w, err := strconv.Atoi(f[1:]); err == nil && w >= 0 && w < 168 {
				p.week[w] += n
			}
			continue
		}
		p.ids = append(p.ids, s.fields.id(f))
		p.ns = append(p.ns, n)
		if x.level == 'h' && strings.HasPrefix(f, string(MetricOpened)+unitSep) {
			p.week[hourOfWeek(x.start)] += n
		}
	}
	return p
}

// rollupSum adds parts up.
type rollupSum struct {
	acc  []int64
	week [168]int64
}

func (a *rollupSum) add(p *rollupPart) {
	for i, id := range p.ids {
		if int(id) >= len(a.acc) {
			a.acc = append(a.acc, make([]int64, int(id)+1-len(a.acc))...)
		}
		a.acc[id] += p.ns[i]
	}
	for i, n := range p.week {
		a.week[i] += n
	}
}

// names interns top-list members (SKUs, couriers, ...).
type names struct {
	mu    sync.Mutex
	ids   map[string]int32
	names []string
}

func (n *names) intern(name string) int32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids[name]; ok {
		return id
	}
	if n.ids == nil {
		n.ids = map[string]int32{}
	}
	id := int32(len(n.names))
	n.ids[name] = id
	n.names = append(n.names, name)
	return id
}

// sumCache keeps the parsed sums of closed days and months, which never
// change once summed, so repeated questions (the dashboard, /ob stats) read
// from Redis only the hours of the open day. It holds at most sumCacheSize
// sums, dropping the oldest first.
type sumCache struct {
	mu    sync.Mutex
	m     map[string]*rollupPart
	order []string
}

const sumCacheSize = 512

func (c *sumCache) get(key string) (*rollupPart, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[key]
	return r, ok
}

func (c *sumCache) put(key string, r *rollupPart) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*rollupPart{}
	}
	if _, ok := c.m[key]; ok {
		return
	}
	if len(c.order) >= sumCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[key] = r
	c.order = append(c.order, key)
}

// LatencyBucket is the histogram bucket of a duration, as lua/rollup.lua
// computes it: 0 below one second, else b with 2^((b-1)/4) ≤ seconds < 2^(b/4).
func LatencyBucket(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	return min(int(math.Floor(4*math.Log(s)/math.Log(2)))+1, 160)
}

// LatencyBucketBound is the upper bound of a bucket: every duration counted in
// bucket b is below it.
func LatencyBucketBound(b int) time.Duration {
	if b <= 0 {
		return time.Second
	}
	return time.Duration(math.Pow(2, float64(b)/4) * float64(time.Second))
}

// rollupTags are the hash tags that hold rollups: one per ticket shard.
func (s *Store) rollupTags() []string { return []string{tagTickets} }

func (s *Store) rollupPrefix(tag string) string { return s.key(tag, "an") + ":" }

func (s *Store) hourRollupKey(tag string, hour int64) string {
	return s.rollupPrefix(tag) + "h:" + strconv.FormatInt(hour, 10)
}
func (s *Store) dayRollupKey(tag, day string) string   { return s.rollupPrefix(tag) + "d:" + day }
func (s *Store) monthRollupKey(tag, mon string) string { return s.rollupPrefix(tag) + "m:" + mon }
func (s *Store) dimKey(tag, dim, period string) string {
	return s.rollupPrefix(tag) + "z:" + dim + ":" + period
}
func (s *Store) rollupTrimKey(tag string) string   { return s.rollupPrefix(tag) + "trim" }
func (s *Store) rollupEventsKey(tag string) string { return s.rollupPrefix(tag) + "ev" }
func (s *Store) rollupFoldKey(tag string) string   { return s.rollupPrefix(tag) + "evc" }

// appendRollupArgs appends ARGV 12-14 of a ticket script (lua/rollup.lua): the
// rollup key prefix of the tag, the hour and the local date of now.
func (s *Store) appendRollupArgs(args []any, tag string, now time.Time) []any {
	if s.rollupsOff {
		return append(args, "", "", "")
	}
	return append(args, s.rollupPrefix(tag), strconv.FormatInt(unixHour(now), 10), localDay(now.In(s.opts.Location)))
}

func unixHour(t time.Time) int64 { return int64(math.Floor(float64(t.Unix()) / 3600)) }

func localDay(t time.Time) string { return t.Format("20060102") }

func localMonth(t time.Time) string { return t.Format("200601") }

// hourOfWeek is 0 for Monday 00:00 to 167 for Sunday 23:00, local.
func hourOfWeek(t time.Time) int { return (int(t.Weekday())+6)%7*24 + t.Hour() }

// rollArg is what an upsert adds to its class argument for the rollups when it
// opens a ticket (lua/rollup.lua, rollClass): US minor US sku US source US
// currency US courier US channel US region; "" when there is nothing to count
// beyond kind and department. A part holding a separator is left out rather
// than failing the upsert over an analytics label.
func (s *Store) rollArg(a *orderbot.Anomaly) string {
	if s.rollupsOff {
		return ""
	}
	d := &a.Dims
	if a.Source == "" && a.AtRisk.Minor == 0 && d.SKU == "" && d.Courier == "" && d.Channel == "" && d.Region == "" {
		return ""
	}
	clean := func(v string) string {
		if hasSeparator(v) {
			return ""
		}
		return v
	}
	var b strings.Builder
	b.Grow(64)
	b.WriteString(unitSep)
	cur := clean(a.AtRisk.Currency)
	if a.AtRisk.Minor != 0 && cur != "" {
		b.WriteString(strconv.FormatInt(a.AtRisk.Minor, 10))
	} else {
		cur = ""
	}
	for _, v := range []string{d.SKU, a.Source, cur, d.Courier, d.Channel, d.Region} {
		b.WriteString(unitSep)
		b.WriteString(clean(v))
	}
	return b.String()
}

// appendAtRisk appends the ticket field ar (money at risk: minor US currency),
// nothing for a zero amount.
func appendAtRisk(dst []byte, m orderbot.Money) []byte {
	if m.Minor == 0 || m.Currency == "" || hasSeparator(m.Currency) {
		return dst
	}
	dst = append(dst, "\x00ar\x00"...)
	dst = strconv.AppendInt(dst, m.Minor, 10)
	dst = append(dst, unitSep...)
	return append(dst, m.Currency...)
}

func parseAtRisk(v string) orderbot.Money {
	minor, cur, ok := strings.Cut(v, unitSep)
	if !ok {
		return orderbot.Money{}
	}
	return orderbot.Money{Minor: atoi64(minor), Currency: cur}
}

// span is one bucket a read covers.
type span struct {
	level byte // 'h', 'd', 'm'
	hour  int64
	name  string    // yyyymmdd or yyyymm
	start time.Time // local start, for day and month spans
}

// spans cuts [since, until) into the fewest buckets: local months that lie
// wholly inside and closed before closed, then local days likewise, then
// hours. Times are counted in whole hours: since rounds down, until up.
func (s *Store) spans(since, until, closed time.Time) []span {
	loc := s.opts.Location
	t := time.Unix(unixHour(since)*3600, 0).In(loc)
	end := time.Unix(unixHour(until.Add(time.Hour-time.Nanosecond))*3600, 0)
	var out []span
	for t.Before(end) {
		if t.Hour() == 0 && t.Minute() == 0 {
			if t.Day() == 1 {
				next := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
				if !next.After(end) && !next.After(closed) {
					out = append(out, span{level: 'm', name: localMonth(t), start: t})
					t = next
					continue
				}
			}
			next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			if !next.After(end) && !next.After(closed) {
				out = append(out, span{level: 'd', name: localDay(t), start: t})
				t = next
				continue
			}
		}
		out = append(out, span{level: 'h', hour: unixHour(t), start: t})
		t = t.Add(time.Hour)
	}
	return out
}

// closedBefore is the end of the last local day that may be summed: a day
// closed at least an hour ago, so that no script still counting in its last
// hour (a replica whose clock is slightly behind) is missed.
func (s *Store) closedBefore() time.Time { return s.now().Add(-time.Hour) }

// ReadRollup sums the counters of [since, until) over every rollup tag. Its cost
// is the number of buckets (months, days, hours) the span cuts into, whatever
// the number of tickets.
func (s *Store) ReadRollup(ctx context.Context, since, until time.Time) (Rollup, error) {
	const op = "store.read_rollup"
	r := Rollup{Counters: map[RollupKey]int64{}}
	if !since.Before(until) {
		return r, nil
	}
	if err := s.FoldRollups(ctx); err != nil {
		return r, err
	}
	sp := s.spans(since, until, s.closedBefore())
	var sum rollupSum
	for _, tag := range s.rollupTags() {
		// Closed days and months never change again, so their parsed sums
		// are kept in memory (sumCache); only hours and sums not seen yet are
		// read, and each distinct field is parsed once.
		var missing []span
		for _, x := range sp {
			if c, ok := s.sums.get(s.spanKey(tag, x)); ok {
				sum.add(c)
			} else {
				missing = append(missing, x)
			}
		}
		hashes, err := s.spanHashes(ctx, tag, missing)
		if err != nil {
			return r, s.fail(op, err)
		}
		for i, h := range hashes {
			part := s.parseRollup(h, missing[i])
			if missing[i].level != 'h' {
				s.sums.put(s.spanKey(tag, missing[i]), part)
			}
			sum.add(part)
		}
	}
	r.HourOfWeek = sum.week
	s.fields.mu.Lock()
	for id, n := range sum.acc {
		if n != 0 && s.fields.ok[id] {
			r.Counters[s.fields.keys[id]] += n
		}
	}
	s.fields.mu.Unlock()
	return r, nil
}

// spanHashes reads the hash of every span, summing closed days and months that
// have not been summed yet and storing their sums.
func (s *Store) spanHashes(ctx context.Context, tag string, sp []span) ([]map[string]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(sp))
	for i, x := range sp {
		cmds[i] = pipe.HGetAll(ctx, s.spanKey(tag, x))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, err
	}
	out := make([]map[string]string, len(sp))
	for i, c := range cmds {
		out[i] = c.Val()
		if sp[i].level != 'h' && out[i]["_"] == "" {
			h, err := s.materialize(ctx, tag, sp[i])
			if err != nil {
				return nil, err
			}
			out[i] = h
		}
	}
	return out, nil
}

func (s *Store) spanKey(tag string, x span) string {
	switch x.level {
	case 'd':
		return s.dayRollupKey(tag, x.name)
	case 'm':
		return s.monthRollupKey(tag, x.name)
	}
	return s.hourRollupKey(tag, x.hour)
}

// materialize sums a closed local day from its hours (or a month from its
// days), stores the sum with its completion mark and returns it. Two replicas
// doing it at once write the same sums.
func (s *Store) materialize(ctx context.Context, tag string, x span) (map[string]string, error) {
	loc := s.opts.Location
	var parts []span
	if x.level == 'd' {
		next := time.Date(x.start.Year(), x.start.Month(), x.start.Day()+1, 0, 0, 0, 0, loc)
		for t := x.start; t.Before(next); t = t.Add(time.Hour) {
			parts = append(parts, span{level: 'h', hour: unixHour(t), start: t})
		}
	} else {
		next := time.Date(x.start.Year(), x.start.Month()+1, 1, 0, 0, 0, 0, loc)
		for t := x.start; t.Before(next); t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc) {
			parts = append(parts, span{level: 'd', name: localDay(t), start: t})
		}
	}
	hashes, err := s.spanHashes(ctx, tag, parts)
	if err != nil {
		return nil, err
	}
	sum := map[string]int64{}
	for i, h := range hashes {
		for f, v := range h {
			if f == "_" {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			sum[f] += n
			if parts[i].level == 'h' && strings.HasPrefix(f, string(MetricOpened)+unitSep) {
				sum["W"+strconv.Itoa(hourOfWeek(parts[i].start))] += n
			}
		}
	}
	out := make(map[string]string, len(sum)+1)
	vals := make([]any, 0, 2*len(sum)+2)
	for f, n := range sum {
		out[f] = strconv.FormatInt(n, 10)
		vals = append(vals, f, out[f])
	}
	out["_"] = "1"
	vals = append(vals, "_", "1")
	key := s.spanKey(tag, x)
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, key)
	pipe.HSet(ctx, key, vals...)
	if x.level == 'm' {
		// The month's top lists, the union of its days.
		for _, dim := range []string{DimSKU, DimCourier, DimChannel, DimRegion} {
			keys := make([]string, len(parts))
			for i, p := range parts {
				keys[i] = s.dimKey(tag, dim, p.name)
			}
			pipe.ZUnionStore(ctx, s.dimKey(tag, dim, "m"+x.name), &redis.ZStore{Keys: keys})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// DimCount is one member of a top list.
type DimCount struct {
	Name  string
	Count int64
}

// TopDims returns the n members of a dimension (DimSKU, ...) with the most
// opened tickets in the local days [since, until) touches, most first. Lists
// are kept per local day, so a span that starts or ends inside a day counts
// that whole day.
func (s *Store) TopDims(ctx context.Context, dim string, since, until time.Time, n int) ([]DimCount, error) {
	const op = "store.top_dims"
	if !since.Before(until) {
		return nil, nil
	}
	if err := s.FoldRollups(ctx); err != nil {
		return nil, err
	}
	loc := s.opts.Location
	closed := s.closedBefore()
	ls := since.In(loc)
	start := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, loc)
	var acc []int64
	addPart := func(p *rollupPart) {
		for i, id := range p.ids {
			if int(id) >= len(acc) {
				acc = append(acc, make([]int64, int(id)+1-len(acc))...)
			}
			acc[id] += p.ns[i]
		}
	}
	for _, tag := range s.rollupTags() {
		type list struct {
			key    string
			closed bool
		}
		var lists []list
		var months []span
		for t := start; t.Before(until); {
			if t.Day() == 1 {
				next := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
				if !next.After(until) && !next.After(closed) {
					m := span{level: 'm', name: localMonth(t), start: t}
					if _, ok := s.sums.get(s.spanKey(tag, m)); !ok {
						months = append(months, m)
					}
					lists = append(lists, list{s.dimKey(tag, dim, "m"+localMonth(t)), true})
					t = next
					continue
				}
			}
			next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			lists = append(lists, list{s.dimKey(tag, dim, localDay(t)), !next.After(closed)})
			t = next
		}
		// A closed month's list is made with its hash (materialize).
		if len(months) > 0 {
			if _, err := s.spanHashes(ctx, tag, months); err != nil {
				return nil, s.fail(op, err)
			}
		}
		// Lists of closed days and months never change: parsed once, then
		// kept (dimCache); the open day's list is read every time.
		pipe := s.rdb.Pipeline()
		var fetch []list
		var cmds []*redis.ZSliceCmd
		for _, l := range lists {
			if p, ok := s.dimSums.get(l.key); ok {
				addPart(p)
				continue
			}
			fetch = append(fetch, l)
			cmds = append(cmds, pipe.ZRangeWithScores(ctx, l.key, 0, -1))
		}
		if len(cmds) > 0 {
			if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
				return nil, s.fail(op, err)
			}
		}
		for i, c := range cmds {
			zs := c.Val()
			p := &rollupPart{ids: make([]int32, len(zs)), ns: make([]int64, len(zs))}
			for j, z := range zs {
				name, _ := z.Member.(string)
				p.ids[j] = s.members.intern(name)
				p.ns[j] = int64(z.Score)
			}
			if fetch[i].closed {
				s.dimSums.put(fetch[i].key, p)
			}
			addPart(p)
		}
	}
	totals := map[string]int64{}
	s.members.mu.Lock()
	for id, n := range acc {
		if n != 0 {
			totals[s.members.names[id]] += n
		}
	}
	s.members.mu.Unlock()
	out := make([]DimCount, 0, len(totals))
	for name, c := range totals {
		out = append(out, DimCount{Name: name, Count: c})
	}
	slices.SortFunc(out, func(a, b DimCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// HourlyCounts returns the opened tickets of each hour in [since, until) per
// kind, read from the hour hashes (for spike detection); hours are unix hours.
func (s *Store) HourlyCounts(ctx context.Context, since, until time.Time) (map[int64]map[orderbot.Kind]int64, error) {
	if err := s.FoldRollups(ctx); err != nil {
		return nil, err
	}
	out := map[int64]map[orderbot.Kind]int64{}
	h0, h1 := unixHour(since), unixHour(until.Add(time.Hour-time.Nanosecond))
	for _, tag := range s.rollupTags() {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, 0, h1-h0)
		for h := h0; h < h1; h++ {
			cmds = append(cmds, pipe.HGetAll(ctx, s.hourRollupKey(tag, h)))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
			return nil, s.fail("store.hourly_counts", err)
		}
		for i, c := range cmds {
			for f, v := range c.Val() {
				if !strings.HasPrefix(f, string(MetricOpened)+unitSep) {
					continue
				}
				kind := orderbot.Kind(part(f, 1))
				n, _ := strconv.ParseInt(v, 10, 64)
				m := out[h0+int64(i)]
				if m == nil {
					m = map[orderbot.Kind]int64{}
					out[h0+int64(i)] = m
				}
				m[kind] += n
			}
		}
	}
	return out, nil
}

// TrimRollups deletes the hour hashes before hoursBefore, after summing every
// closed day they belong to, so the figures stay readable from the day and
// month sums (day top lists and sums are small and kept). It remembers how far it got, so a run
// after downtime catches up.
func (s *Store) TrimRollups(ctx context.Context, hoursBefore time.Time) (int, error) {
	const op = "store.trim_rollups"
	if err := s.FoldRollups(ctx); err != nil {
		return 0, err
	}
	cut := unixHour(hoursBefore)
	deleted := 0
	for _, tag := range s.rollupTags() {
		from, err := s.rdb.Get(ctx, s.rollupTrimKey(tag)).Int64()
		if err != nil && !isNil(err) {
			return deleted, s.fail(op, err)
		}
		if isNil(err) || from <= 0 {
			// Nothing trimmed yet: start 400 days back, far enough to reach any
			// hour a deployment wrote before its first trim.
			from = cut - 400*24
		}
		if from >= cut {
			continue
		}
		// Sum every day (and month) the deleted hours belong to first.
		loc := s.opts.Location
		closed := s.closedBefore()
		fromT := time.Unix(from*3600, 0).In(loc)
		start := time.Date(fromT.Year(), fromT.Month(), fromT.Day(), 0, 0, 0, 0, loc)
		cutT := time.Unix(cut*3600, 0)
		var days []span
		for t := start; t.Before(cutT); t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc) {
			if time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).After(closed) {
				break
			}
			days = append(days, span{level: 'd', name: localDay(t), start: t})
		}
		if _, err := s.spanHashes(ctx, tag, days); err != nil {
			return deleted, s.fail(op, err)
		}
		for lo := from; lo < cut; lo += 512 {
			hi := min(lo+512, cut)
			keys := make([]string, 0, hi-lo)
			for h := lo; h < hi; h++ {
				keys = append(keys, s.hourRollupKey(tag, h))
			}
			n, err := s.rdb.Del(ctx, keys...).Result()
			if err != nil {
				return deleted, s.fail(op, err)
			}
			deleted += int(n)
			// The hourly counts per SKU and courier (scorecard.go) go with
			// their hours; they are not summed into days.
			keys = keys[:0]
			for h := lo; h < hi; h++ {
				keys = append(keys, s.dimHourKey(tag, DimSKU, h), s.dimHourKey(tag, DimCourier, h))
			}
			if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
				return deleted, s.fail(op, err)
			}
		}
		if err := s.rdb.Set(ctx, s.rollupTrimKey(tag), cut, 0).Err(); err != nil {
			return deleted, s.fail(op, err)
		}
	}
	return deleted, nil
}

// rollupString is a debugging aid for test failures.
func (r Rollup) String() string {
	keys := make([]RollupKey, 0, len(r.Counters))
	for k := range r.Counters {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b RollupKey) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%v=%d\n", k, r.Counters[k])
	}
	return b.String()
}
