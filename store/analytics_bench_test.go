package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// seedYear writes a year of rollups for about 1,000,000 tickets straight into
// the hour hashes and day lists: every kind with its department and a source,
// opens following a daily cycle, claims, staff and automatic resolutions with
// latency buckets, breaches, money at risk, and SKU (3,000, skewed), courier,
// channel and region lists. It returns the number of tickets seeded.
func seedYear(b *testing.B, st *store.Store, end time.Time) int64 {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := orderbot.Kinds()
	sourceOf := func(k orderbot.Kind) string {
		switch k.Category() {
		case "payment":
			return []string{"stripe", "alipay"}[rng.IntN(2)]
		case "shipping":
			return []string{"aftership", "kuaidi100"}[rng.IntN(2)]
		case "inventory":
			return "erpnext"
		}
		return "shopify"
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 1, 2999)
	couriers := []string{"sf", "yuantong", "zto", "sto", "yunda", "jd", "ups", "dhl"}
	channels := []string{"stripe", "alipay", "wechatpay", "cod"}
	var total int64
	start := end.Add(-365 * 24 * time.Hour).Truncate(time.Hour)
	dims := map[string]map[string]float64{}
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		// About 114 tickets an hour on average, more by day than by night.
		n := 40 + int(150*float64(1+(h.Hour()+16)%24)/24.0)
		counters := map[store.RollupKey]int64{}
		for range n {
			k := kinds[rng.IntN(len(kinds))]
			spec, _ := orderbot.Spec(k)
			key := store.RollupKey{Kind: k, Dept: spec.Department, Source: sourceOf(k)}
			add := func(m store.Metric, extra string, v int64) {
				kk := key
				kk.Metric, kk.Extra = m, extra
				counters[kk] += v
			}
			add(store.MetricOpened, "", 1)
			add(store.MetricAtRisk, "CNY", int64(1000+rng.IntN(50000)))
			add(store.MetricClaimed, "", 1)
			add(store.MetricClaimTime, fmt.Sprint(store.LatencyBucket(time.Duration(60+rng.IntN(7200))*time.Second)), 1)
			if rng.IntN(3) == 0 {
				add(store.MetricAutoResolved, "", 1)
			} else {
				add(store.MetricResolved, "", 1)
			}
			add(store.MetricResolveTime, fmt.Sprint(store.LatencyBucket(time.Duration(600+rng.IntN(86400))*time.Second)), 1)
			add(store.MetricRecovered, "CNY", int64(1000+rng.IntN(50000)))
			if rng.IntN(10) == 0 {
				add(store.MetricBreached, "", 1)
			}
			day := h.Format("20060102")
			for dim, m := range map[string]string{store.DimSKU: fmt.Sprintf("SKU-%04d", zipf.Uint64()),
				store.DimCourier: couriers[rng.IntN(len(couriers))], store.DimChannel: channels[rng.IntN(len(channels))],
				store.DimRegion: fmt.Sprintf("CN-%02d", rng.IntN(34))} {
				if dims[dim+day] == nil {
					dims[dim+day] = map[string]float64{}
				}
				dims[dim+day][m]++
			}
		}
		total += int64(n)
		if err := st.SeedRollupHour(ctx, h, counters); err != nil {
			b.Fatal(err)
		}
		if h.Hour() == 23 || !h.Add(time.Hour).Before(end) {
			day := h.Format("20060102")
			for _, dim := range analytics.Dimensions {
				if err := st.SeedRollupDim(ctx, h, dim, dims[dim+day]); err != nil {
					b.Fatal(err)
				}
				delete(dims, dim+day)
			}
		}
	}
	return total
}

// BenchmarkAnalyticsYear answers `/ob stats` and the dashboard's questions
// over a year of rollups for about 1,000,000 tickets: every read costs its
// time buckets (months, days, hours), never its tickets. It reports p50 and
// p99 of each question; product.md asks for answers within 100 ms.
//
//	go test ./store -run '^$' -bench BenchmarkAnalyticsYear -benchtime 50x
func BenchmarkAnalyticsYear(b *testing.B) {
	srv := redistest.Start(b)
	now := time.Date(2026, 3, 18, 15, 30, 0, 0, time.UTC)
	st, err := store.New(context.Background(), srv.Client(b), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	total := seedYear(b, st, now)
	m := &analytics.Model{Rollups: st}
	ctx := context.Background()
	questions := []struct {
		name   string
		period func() analytics.Period
	}{
		{"stats-today", func() analytics.Period { p, _ := analytics.ParsePeriod("today", now, time.UTC); return p }},
		{"stats-30d", func() analytics.Period { p, _ := analytics.ParsePeriod("30d", now, time.UTC); return p }},
		{"stats-month", func() analytics.Period { p, _ := analytics.ParsePeriod("month", now, time.UTC); return p }},
		{"dashboard-year", func() analytics.Period { return analytics.Span("year", now.AddDate(-1, 0, 0), now) }},
	}
	// The first read of a closed day or month sums it once; later reads use
	// the sums, as a running deployment does.
	for _, q := range questions {
		if _, err := m.Report(ctx, q.period(), analytics.Filter{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range questions {
		b.Run(q.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			var opened int64
			redis0, cpu0 := store.RedisCPU(b, srv), processCPU()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				r, err := m.Report(ctx, q.period(), analytics.Filter{})
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				opened = r.Current.Opened
			}
			b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "go-cpu-ms/op")
			b.ReportMetric((store.RedisCPU(b, srv)-redis0).Seconds()*1000/float64(b.N), "redis-cpu-ms/op")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*99+99)/100-1].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(opened), "tickets")
		})
	}
	b.ReportMetric(float64(total), "seeded-tickets")
}

// processCPU is the CPU time this process has used (user + system), which
// unlike wall time does not grow when other processes share the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
