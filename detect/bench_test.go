package detect_test

import (
	"sync"
	"testing"

	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/internal/simulate"
)

const benchOrders = 100_000

var (
	benchOnce   sync.Once
	benchSnap   *detect.Snapshot
	benchJoined *detect.Snapshot
)

// benchSnapshot is a 100,000-order simulated snapshot with about 1 % of orders
// anomalous, every data set complete. It is built once per test binary.
func benchSnapshot(_ testing.TB) *detect.Snapshot {
	benchOnce.Do(func() {
		ds := simulate.New(2026, simulate.Options{AnomalyRate: 0.01}).Generate(benchOrders, simNow)
		benchSnap = snapshotOf(&ds)
		benchJoined = withRecords(benchSnap)
	})
	return benchSnap
}

// BenchmarkDetect measures a steady-state cycle: one Detector reused across
// cycles, so the phone-verdict memo is warm, as it is in production where every
// in-flight order is re-evaluated on many cycles.
func BenchmarkDetect(b *testing.B) {
	snap := benchSnapshot(b)
	d := detect.New(nil, detect.Options{})
	d.Run(snap) // warm the memo, as the previous cycle would have
	b.ReportAllocs()
	b.ResetTimer()
	var found int
	for i := 0; i < b.N; i++ {
		found = len(d.Run(snap).Anomalies)
	}
	b.ReportMetric(float64(len(snap.Orders)*b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(found), "anomalies")
}

// BenchmarkDetectRecords is BenchmarkDetect on the same snapshot in its aligned
// form (Snapshot.Records), as a poll cycle that loads each order's payments and
// parcels with it can pass it: no hash join per order.
func BenchmarkDetectRecords(b *testing.B) {
	benchSnapshot(b)
	snap := benchJoined
	d := detect.New(nil, detect.Options{})
	d.Run(snap)
	b.ReportAllocs()
	b.ResetTimer()
	var found int
	for i := 0; i < b.N; i++ {
		found = len(d.Run(snap).Anomalies)
	}
	b.ReportMetric(float64(len(snap.Orders)*b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(found), "anomalies")
}

// BenchmarkDetectCold measures a first cycle: a fresh Detector each iteration,
// so every phone number is parsed. This is the honest figure for a restart.
func BenchmarkDetectCold(b *testing.B) {
	snap := benchSnapshot(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		detect.New(nil, detect.Options{}).Run(snap)
	}
	b.ReportMetric(float64(len(snap.Orders)*b.N)/b.Elapsed().Seconds(), "orders/s")
}
