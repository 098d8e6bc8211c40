package detect_test

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/internal/simulate"
)

func TestDetectableKinds(t *testing.T) {
	got := detect.Detectable()
	if len(got) != len(orderbot.Kinds())-1 {
		t.Fatalf("%d detectable kinds, want every kind but the manual one", len(got))
	}
	for _, k := range got {
		if k == orderbot.ShippingNotReceived {
			t.Fatal("shipping.not_received is manual")
		}
	}
}

// anomalous is one order that fires several kinds at once.
func anomalous() *detect.Snapshot {
	o := order("A")
	o.PaidAt = ago(60 * time.Hour)
	o.Customer.Phone = "123"
	o.ShippingAddress.PostalCode = ""
	s := snapshot([]orderbot.Order{o}, nil, nil)
	s.Sources = []detect.SourceHealth{{Name: "stripe", Kind: orderbot.DataPayments, ConsecutiveFailures: 9}}
	return s
}

func TestSettings(t *testing.T) {
	all := []found{
		{orderbot.PaymentMissing, "A", ""}, {orderbot.ShippingLateDispatch, "A", ""},
		{orderbot.CustomerInvalidPhone, "A", ""}, {orderbot.CustomerInvalidAddr, "A", ""},
		{orderbot.SystemSourceDown, "stripe", ""},
	}
	t.Run("nil settings mean the defaults", func(t *testing.T) {
		checkFound(t, detect.New(nil, detect.Options{}).Run(anomalous()), all)
		checkFound(t, detect.New(orderbot.DefaultKindSettings(), detect.Options{}).Run(anomalous()), all)
	})
	t.Run("disabled kinds never fire nor count as evaluated", func(t *testing.T) {
		set := settings(func(m map[orderbot.Kind]orderbot.KindSettings) {
			for _, k := range []orderbot.Kind{orderbot.PaymentMissing, orderbot.CustomerInvalidPhone, orderbot.SystemSourceDown} {
				s := m[k]
				s.Enabled = false
				m[k] = s
			}
		})
		res := detect.New(set, detect.Options{}).Run(anomalous())
		checkFound(t, res, []found{{orderbot.ShippingLateDispatch, "A", ""}, {orderbot.CustomerInvalidAddr, "A", ""}})
		if res.WasEvaluated(orderbot.PaymentMissing, "A") || res.WasEvaluated(orderbot.SystemSourceDown, "stripe") {
			t.Error("a disabled kind counts as evaluated")
		}
		if !res.WasEvaluated(orderbot.ShippingLateDispatch, "A") {
			t.Error("an enabled kind is not evaluated")
		}
	})
	t.Run("department and severity come from the settings", func(t *testing.T) {
		set := settings(func(m map[orderbot.Kind]orderbot.KindSettings) {
			s := m[orderbot.ShippingLateDispatch]
			s.Department, s.Severity = "fulfilment-eu", orderbot.SeverityCritical
			m[orderbot.ShippingLateDispatch] = s
			s = m[orderbot.CustomerInvalidAddr]
			s.Department, s.Severity = "", "bogus" // half-filled: registry defaults
			m[orderbot.CustomerInvalidAddr] = s
		})
		res := detect.New(set, detect.Options{}).Run(anomalous())
		if a := anomaly(t, res, orderbot.ShippingLateDispatch, "A"); a.Department != "fulfilment-eu" || a.Severity != orderbot.SeverityCritical {
			t.Errorf("late dispatch %s/%s", a.Department, a.Severity)
		}
		if a := anomaly(t, res, orderbot.CustomerInvalidAddr, "A"); a.Department != "support" || a.Severity != orderbot.SeverityMedium {
			t.Errorf("invalid address %s/%s", a.Department, a.Severity)
		}
	})
	t.Run("settings are copied", func(t *testing.T) {
		set := settings(nil)
		d := detect.New(set, detect.Options{})
		s := set[orderbot.ShippingLateDispatch]
		s.Enabled = false
		set[orderbot.ShippingLateDispatch] = s
		checkFound(t, d.Run(anomalous()), all)
	})
	t.Run("missing coverage: nothing fires, nothing counts", func(t *testing.T) {
		snap := anomalous()
		snap.Coverage = nil
		res := run(snap)
		checkFound(t, res, nil)
		for _, k := range detect.Detectable() {
			if res.WasEvaluated(k, "A") || res.WasEvaluated(k, "stripe") {
				t.Errorf("%s evaluated without data", k)
			}
		}
	})
	t.Run("test orders are examined but never reported", func(t *testing.T) {
		snap := anomalous()
		snap.Orders[0].Test = true
		res := run(snap)
		checkFound(t, res, []found{{orderbot.SystemSourceDown, "stripe", ""}})
		if !res.WasEvaluated(orderbot.PaymentMissing, "A") {
			t.Error("test order not evaluated")
		}
	})
}

func TestNextCheckOnlyForPendingOrders(t *testing.T) {
	done := shipped(order("D"), ago(100*time.Hour), "T1")
	done.Status = orderbot.OrderCompleted
	delivered := parcel("T1", orderbot.ShipDelivered, ago(50*time.Hour))
	delivered.DeliveredAt = ago(50 * time.Hour)
	closed := cancelled(unpaid(order("C")), ago(time.Hour))
	res := run(snapshot([]orderbot.Order{done, closed}, []orderbot.Payment{payment("pi_D", "D", usd(100), done.PaidAt)},
		[]orderbot.Shipment{delivered}))
	if len(nextChecks(res)) != 0 {
		t.Errorf("NextCheck = %v, want empty", nextChecks(res))
	}
	if len(res.Anomalies) != 0 {
		t.Errorf("anomalies %v", foundSet(res))
	}
}

// TestNextAlignedWithOrders checks that Result.Next is positional (slot i is
// Orders[i], zero for an order without a re-check) and that NextChecks lists the
// snapshot's orders with a re-check plus the order ids known only from payments.
func TestNextAlignedWithOrders(t *testing.T) {
	done := shipped(order("D"), ago(100*time.Hour), "T1")
	done.Status = orderbot.OrderCompleted
	delivered := parcel("T1", orderbot.ShipDelivered, ago(50*time.Hour))
	delivered.DeliveredAt = ago(50 * time.Hour)
	early := order("E") // paid 2 h ago: its ship-by warning is in the future
	late := order("L")
	late.PaidAt = ago(3 * time.Hour)
	orders := []orderbot.Order{early, done, late}
	pays := []orderbot.Payment{
		payment("pi_E", "E", usd(100), early.PaidAt), payment("pi_D", "D", usd(100), done.PaidAt),
		payment("pi_L", "L", usd(100), late.PaidAt),
		payment("pi_U", "U", usd(42), ago(5*time.Minute)), // its order is unknown
	}
	// Each order's re-check on its own, to compare the positional slots with.
	alone := func(o orderbot.Order) time.Time {
		res := run(snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_"+o.ID, o.ID, usd(100), o.PaidAt)}, nil))
		return nextChecks(res)[o.ID]
	}
	wantE, wantL := alone(early), alone(late)
	if !wantE.After(now) || !wantL.After(now) || wantE.Equal(wantL) {
		t.Fatalf("fixture: re-checks %v and %v should be distinct future times", wantE, wantL)
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			res := run(mode.conv(snapshot(orders, pays, []orderbot.Shipment{delivered})))
			if len(res.Next) != len(orders) {
				t.Fatalf("len(Next) = %d, want %d", len(res.Next), len(orders))
			}
			if !res.Next[0].Equal(wantE) || !res.Next[1].IsZero() || !res.Next[2].Equal(wantL) {
				t.Errorf("Next = %v, want [%v 0 %v]", res.Next, wantE, wantL)
			}
			var ids []string
			for id := range res.NextChecks() {
				ids = append(ids, id)
			}
			if want := []string{"E", "L", "U"}; !reflect.DeepEqual(ids, want) {
				t.Errorf("NextChecks ids = %v, want %v", ids, want)
			}
			if got, want := nextChecks(res)["U"], ago(5*time.Minute).Add(15*time.Minute); !got.Equal(want) {
				t.Errorf("re-check of unknown order U = %v, want %v", got, want)
			}
		})
	}
}

// TestDeterministic runs the same world with its records in different orders and
// requires identical results.
func TestDeterministic(t *testing.T) {
	ds := simulate.New(11, simulate.Options{AnomalyRate: 0.05}).Generate(1500, simNow)
	base := run(snapshotOf(&ds))
	if len(base.Anomalies) == 0 {
		t.Fatal("no anomalies to compare")
	}
	for i := 0; i < 3; i++ {
		shuffled := ds
		shuffled.Orders = append([]orderbot.Order(nil), ds.Orders...)
		rand.New(rand.NewPCG(uint64(i), 1)).Shuffle(len(shuffled.Orders), func(a, b int) {
			shuffled.Orders[a], shuffled.Orders[b] = shuffled.Orders[b], shuffled.Orders[a]
		})
		res := run(snapshotOf(&shuffled))
		if !reflect.DeepEqual(res.Anomalies, base.Anomalies) {
			t.Fatalf("shuffle %d changed the anomalies", i)
		}
		if !reflect.DeepEqual(nextChecks(res), nextChecks(base)) {
			t.Fatalf("shuffle %d changed NextCheck", i)
		}
	}
	for i := 1; i < len(base.Anomalies); i++ {
		a, b := base.Anomalies[i-1], base.Anomalies[i]
		if a.Kind > b.Kind || (a.Kind == b.Kind && a.Subject >= b.Subject) {
			t.Fatalf("anomalies not sorted by kind then subject at %d: %s %s, %s %s", i, a.Kind, a.Subject, b.Kind, b.Subject)
		}
	}
}

// TestConcurrentRuns shares one Detector (and its phone memo) between goroutines;
// run with -race.
func TestConcurrentRuns(t *testing.T) {
	ds := simulate.New(5, simulate.Options{AnomalyRate: 0.05}).Generate(800, simNow)
	snap := snapshotOf(&ds)
	d := detect.New(nil, detect.Options{PhoneCacheSize: 64}) // small: generations rotate under load
	want := foundSet(detect.New(nil, detect.Options{}).Run(snap))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				if got := foundSet(d.Run(snap)); !equalSets(got, want) {
					errs <- "concurrent run differs"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestFactsMasked checks every anomaly of a simulated world for contact data.
func TestFactsMasked(t *testing.T) {
	ds := simulate.New(21, simulate.Options{AnomalyRate: 0.1}).Generate(2000, simNow)
	res := run(snapshotOf(&ds))
	byID := map[string]orderbot.Order{}
	for _, o := range ds.Orders {
		byID[o.ID] = o
	}
	n := 0
	for _, a := range res.Anomalies {
		if o, ok := byID[a.OrderID]; ok {
			assertMasked(t, a, o)
			n++
		}
		if a.Summary == "" || len(a.Facts) == 0 || a.Department == "" || !a.Severity.Valid() || !a.DetectedAt.Equal(ds.Now) {
			t.Errorf("incomplete anomaly %+v", a)
		}
	}
	if n < 50 {
		t.Fatalf("only %d order anomalies checked", n)
	}
}
