package simulate_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/simulate"
)

var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func TestDeterministicPerSeed(t *testing.T) {
	a := simulate.New(7, simulate.Options{}).Generate(1500, now)
	b := simulate.New(7, simulate.Options{}).Generate(1500, now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different data")
	}
	c := simulate.New(8, simulate.Options{}).Generate(1500, now)
	if reflect.DeepEqual(a.Orders, c.Orders) {
		t.Fatal("different seeds, same orders")
	}
}

func TestSuccessiveBatchesContinue(t *testing.T) {
	w := simulate.New(3, simulate.Options{})
	first := w.Generate(200, now)
	second := w.Generate(200, now.Add(time.Hour))
	seen := map[string]bool{}
	for _, o := range first.Orders {
		seen[o.ID] = true
	}
	for _, o := range second.Orders {
		if seen[o.ID] {
			t.Fatalf("order id %s repeated across batches", o.ID)
		}
	}
	last, next := first.Orders[len(first.Orders)-1].Name, second.Orders[0].Name
	if l, n := number(t, last), number(t, next); n != l+1 {
		t.Errorf("order names do not continue: %s then %s", last, next)
	}
}

func number(t *testing.T, name string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(name, "#"))
	if err != nil {
		t.Fatalf("order name %q", name)
	}
	return n
}

func TestRealisticRecords(t *testing.T) {
	ds := simulate.New(11, simulate.Options{AnomalyRate: -1}).Generate(3000, now)
	if len(ds.Expected) != 0 {
		t.Fatalf("AnomalyRate < 0 seeded %d anomalies", len(ds.Expected))
	}
	countries := map[string]int{}
	methods := map[orderbot.PaymentMethod]int{}
	ids := map[string]bool{}
	for _, o := range ds.Orders {
		if ids[o.ID] {
			t.Fatalf("duplicate order id %s", o.ID)
		}
		ids[o.ID] = true
		countries[o.ShippingAddress.Country]++
		methods[o.PaymentMethod]++
		if !strings.HasPrefix(o.Name, "#") || o.Source != "shopify" || o.Total.Minor <= 0 || len(o.Lines) == 0 {
			t.Fatalf("order %+v", o)
		}
		switch o.ShippingAddress.Country {
		case "CN":
			if o.Customer.Locale != "zh-CN" || o.Customer.Timezone != "Asia/Shanghai" || o.Total.Currency != "CNY" {
				t.Fatalf("Chinese customer %+v %s", o.Customer, o.Total.Currency)
			}
		default:
			if o.Customer.Locale != "en" || o.Customer.Email == "" || !strings.Contains(o.Customer.Timezone, "/") {
				t.Fatalf("customer %+v", o.Customer)
			}
		}
		if o.IsCOD() && o.ShippingAddress.Country != "CN" {
			t.Fatalf("cash on delivery outside China: %s", o.ID)
		}
		for _, ts := range []time.Time{o.CreatedAt, o.UpdatedAt, o.PaidAt, o.ShippedAt, o.CancelledAt, o.StatusSince} {
			if ts.After(now) {
				t.Fatalf("order %s has a time after now: %v", o.ID, ts)
			}
		}
		// Every phone is a valid number for the address country.
		for _, p := range []string{o.Customer.Phone, o.ShippingAddress.Phone} {
			if p == "" {
				continue
			}
			num, err := phonenumbers.Parse(p, o.ShippingAddress.Country)
			if err != nil || !phonenumbers.IsValidNumber(num) {
				t.Fatalf("invalid phone %q for %s", p, o.ShippingAddress.Country)
			}
		}
	}
	if n := countries["CN"]; n < 1200 || n > 1800 {
		t.Errorf("%d Chinese orders of 3000, want about half", n)
	}
	for _, c := range []string{"US", "DE", "GB", "FR", "NL"} {
		if countries[c] == 0 {
			t.Errorf("no orders to %s", c)
		}
	}
	if methods[orderbot.PayCashOnDelivery] == 0 || methods[orderbot.PayBankTransfer] == 0 || methods[orderbot.PayWallet] == 0 {
		t.Errorf("payment methods %v", methods)
	}
	for _, p := range ds.Payments {
		if !strings.HasPrefix(p.ID, "pi_") || p.Provider != "stripe" || !ids[p.OrderID] || p.CreatedAt.After(now) {
			t.Fatalf("payment %+v", p)
		}
		for _, r := range p.Refunds {
			if !strings.HasPrefix(r.ID, "re_") || r.CreatedAt.After(now) {
				t.Fatalf("refund %+v", r)
			}
		}
	}
	multi := 0
	for _, o := range ds.Orders {
		if len(o.Shipments) > 1 {
			multi++
		}
	}
	if multi == 0 {
		t.Error("no order with several parcels")
	}
	for _, s := range ds.Shipments {
		if s.TrackingNumber == "" || s.Carrier == "" || !ids[s.OrderID] || len(s.Checkpoints) == 0 {
			t.Fatalf("shipment %+v", s)
		}
		for i := 1; i < len(s.Checkpoints); i++ {
			if s.Checkpoints[i].Time.After(s.Checkpoints[i-1].Time) {
				t.Fatalf("checkpoints of %s not newest first", s.TrackingNumber)
			}
		}
		if !s.LastEventAt.Equal(s.Checkpoints[0].Time) || s.LastEventAt.After(now) {
			t.Fatalf("shipment %s last event %v", s.TrackingNumber, s.LastEventAt)
		}
		if (s.Source == "kuaidi100") != strings.Contains("shunfeng yuantong zhongtong jd", s.Carrier) {
			t.Fatalf("shipment %s carrier %s tracked by %s", s.TrackingNumber, s.Carrier, s.Source)
		}
	}
	if len(ds.ERPStock) != 500 || len(ds.ShopStock) != 500 {
		t.Errorf("stock levels: %d ERP, %d shop", len(ds.ERPStock), len(ds.ShopStock))
	}
	var demand int64
	for _, v := range ds.Demand {
		demand += v
	}
	if demand == 0 {
		t.Error("no open demand")
	}
	for _, s := range ds.Sources {
		if s.ConsecutiveFailures != 0 {
			t.Errorf("clean world has a failing source %+v", s)
		}
	}
}

func TestSeeding(t *testing.T) {
	t.Run("every detectable kind at a high rate", func(t *testing.T) {
		ds := simulate.New(5, simulate.Options{AnomalyRate: 0.05}).Generate(2000, now)
		kinds := map[orderbot.Kind]int{}
		for i, e := range ds.Expected {
			kinds[e.Kind]++
			if i > 0 {
				p := ds.Expected[i-1]
				if p.Kind > e.Kind || (p.Kind == e.Kind && p.Subject >= e.Subject) {
					t.Fatalf("Expected not sorted or not unique at %d", i)
				}
			}
		}
		for _, k := range orderbot.Kinds() {
			spec, _ := orderbot.Spec(k)
			if spec.Manual || k.Category() == "sync" { // sync: no ERP mirror in the world
				if kinds[k] != 0 {
					t.Errorf("kind %s seeded", k)
				}
				continue
			}
			if kinds[k] == 0 {
				t.Errorf("kind %s not seeded", k)
			}
		}
		// 5 % of 2000 orders over the 14 order kinds, stuck folded into groups.
		if kinds[orderbot.PaymentMissing] < 5 {
			t.Errorf("only %d payment.missing seeds", kinds[orderbot.PaymentMissing])
		}
	})
	t.Run("only the chosen kinds", func(t *testing.T) {
		ds := simulate.New(5, simulate.Options{AnomalyRate: 0.05,
			Kinds: []orderbot.Kind{orderbot.ShippingStalled, orderbot.InventoryLowStock}}).Generate(1000, now)
		for _, e := range ds.Expected {
			if e.Kind != orderbot.ShippingStalled && e.Kind != orderbot.InventoryLowStock {
				t.Fatalf("seeded %s", e.Kind)
			}
		}
		if len(ds.Expected) < 10 {
			t.Fatalf("%d seeds", len(ds.Expected))
		}
	})
	t.Run("rate", func(t *testing.T) {
		ds := simulate.New(5, simulate.Options{}).Generate(10000, now)
		orderSeeds := 0
		for _, e := range ds.Expected {
			spec, _ := orderbot.Spec(e.Kind)
			if spec.GroupBy == orderbot.ByOrder {
				orderSeeds++
			}
		}
		if orderSeeds < 80 || orderSeeds > 100 {
			t.Errorf("%d order-level seeds in 10,000 orders at 1 %%", orderSeeds)
		}
	})
}
