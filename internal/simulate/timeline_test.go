package simulate_test

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot/internal/simulate"
)

// TestTimelineNeverBackDates loads a timeline in steps, as the demo does, and
// requires that every record handed over in a step changed within that step:
// an order updated, a payment created or refunded, a parcel scanned, a stock
// record modified. A record dated before the step would land behind a poll
// cursor that already moved past its time. Generate's batches, which the demo
// loaded before, fail this at once: their records are up to two weeks old.
func TestTimelineNeverBackDates(t *testing.T) {
	w := simulate.New(2, simulate.Options{AnomalyRate: 0.05})
	tl := w.NewTimeline(600, now, now.Add(2*24*time.Hour), time.Time{})
	step := 50 * time.Second
	prev := now
	first := tl.Between(time.Time{}, now)
	if len(first.Orders) == 0 || len(first.Payments) == 0 || len(first.Shipments) == 0 || len(first.ERPStock) == 0 {
		t.Fatalf("no history at the start: %d orders, %d payments, %d parcels, %d stock records",
			len(first.Orders), len(first.Payments), len(first.Shipments), len(first.ERPStock))
	}
	counts := map[string]int{}
	for at := now.Add(step); !at.After(now.Add(36 * time.Hour)); at = at.Add(step) {
		r := tl.Between(prev, at)
		in := func(what, id string, ts time.Time) {
			t.Helper()
			counts[what]++
			if !ts.After(prev) || ts.After(at) {
				t.Fatalf("%s %s handed over in (%s, %s] is dated %s", what, id, prev.Format(time.TimeOnly), at.Format(time.TimeOnly), ts)
			}
		}
		for _, o := range r.Orders {
			in("order", o.ID, o.UpdatedAt)
		}
		for _, p := range r.Payments {
			ts := p.CreatedAt
			for _, rf := range p.Refunds {
				if rf.CreatedAt.After(ts) {
					ts = rf.CreatedAt
				}
			}
			in("payment", p.ID, ts)
		}
		for _, s := range r.Shipments {
			ts := s.LastEventAt
			if len(s.Checkpoints) == 0 {
				continue // a number the courier has no trace of: nothing dated
			}
			in("parcel", s.TrackingNumber, ts)
		}
		for _, l := range r.ERPStock {
			in("erp stock", l.SKU, l.UpdatedAt)
		}
		for _, l := range r.ShopStock {
			in("shop stock", l.SKU, l.UpdatedAt)
		}
		prev = at
	}
	for _, what := range []string{"order", "payment", "parcel", "erp stock", "shop stock"} {
		if counts[what] == 0 {
			t.Errorf("no %s changed in 36 hours", what)
		}
	}
}

// TestTimelineDeterministic: the same seed gives the same shop.
func TestTimelineDeterministic(t *testing.T) {
	a := simulate.New(4, simulate.Options{AnomalyRate: 0.05}).NewTimeline(300, now, now.Add(24*time.Hour), time.Time{})
	b := simulate.New(4, simulate.Options{AnomalyRate: 0.05}).NewTimeline(300, now, now.Add(24*time.Hour), time.Time{})
	ra, rb := a.At(now.Add(5*time.Hour)), b.At(now.Add(5*time.Hour))
	if len(ra.Orders) != len(rb.Orders) || len(ra.Expected) != len(rb.Expected) || ra.Orders[7].ID != rb.Orders[7].ID {
		t.Fatal("same seed, different timelines")
	}
}
