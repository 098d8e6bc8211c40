package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/simulate"
)

// canonical is what a record reads back as: times in UTC, empty slices nil,
// and a parcel's checkpoints cut to the newest (see codec.go).
func canonical(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if !t.IsZero() {
				v.Set(reflect.ValueOf(t.UTC()))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			canonical(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.Len(); i++ {
			canonical(v.Index(i))
		}
	}
}

func newestOnly(sh *orderbot.Shipment) {
	if len(sh.Checkpoints) > 1 {
		best := sh.Checkpoints[0]
		for _, cp := range sh.Checkpoints[1:] {
			if cp.Time.After(best.Time) {
				best = cp
			}
		}
		sh.Checkpoints = []orderbot.Checkpoint{best}
	}
}

// TestRecordCodecRoundTrip holds the compact record encoding to the domain
// types: every field of Order, Payment and Shipment (filled by reflection, so
// a field added to them without a change in codec.go fails here), odd text,
// zones, nanoseconds, negative and zero values, and simulated records.
func TestRecordCodecRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	var full orderbot.Order
	fillAll(reflect.ValueOf(&full).Elem(), new(int))
	orders := map[string]orderbot.Order{
		"every field":    full,
		"zero":           {},
		"minimal":        {ID: "1", Source: "shop", Status: orderbot.OrderPending, CreatedAt: t0, UpdatedAt: t0},
		"opt-out only":   {ID: "2", Customer: orderbot.Customer{OptOut: true}},
		"address only":   {ID: "3", ShippingAddress: orderbot.Address{Phone: "+1", Name: ""}},
		"same as ref":    {ID: "3b", Customer: orderbot.Customer{Name: "A", Phone: "1"}, ShippingAddress: orderbot.Address{Name: "A", Phone: "1"}},
		"empty slices":   {ID: "4", Lines: []orderbot.LineItem{}, Shipments: []orderbot.ShipmentRef{}},
		"zero line":      {ID: "5", Lines: []orderbot.LineItem{{}}, Shipments: []orderbot.ShipmentRef{{}}},
		"negative money": {ID: "6", Total: orderbot.Money{Minor: -5, Currency: "USD"}, Refunded: orderbot.Money{Minor: 1}},
		"odd text":       {ID: "7\x00\x1f", Name: "bad \xff utf8 \u2029 \t\n\\ </script>", URL: "https://x/?a=1&b=2", Status: "strange"},
		"url is id":      {ID: "8", URL: "8"},
		"url ends in id": {ID: "9", URL: "https://shop/admin/orders/9", Financial: "novel"},
		"zone and nanos": {ID: "10", CreatedAt: t0.In(time.FixedZone("", -5*3600-30*60)).Add(time.Nanosecond), UpdatedAt: t0.Local(),
			PaidAt: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), ShipBy: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		"before epoch":    {ID: "11", CreatedAt: time.Date(1900, 1, 1, 0, 0, 0, 5, time.UTC), ShippedAt: t0},
		"currency zeroed": {ID: "12", Total: orderbot.Money{Currency: "JPY"}, Lines: []orderbot.LineItem{{SKU: "A", Price: orderbot.Money{Currency: "JPY"}}, {SKU: "B"}}},
	}
	ds := simulate.New(7, simulate.Options{AnomalyRate: 0.2}).Generate(300, t0)
	for i, o := range ds.Orders {
		orders[fmt.Sprint("simulated ", i)] = o
	}
	for name, o := range orders {
		for _, src := range []string{"", "https://shop/admin/orders/", "https://x/"} {
			b := appendOrder([]byte("prefix"), &o, src)
			var got orderbot.Order
			if err := decodeOrder(string(b[len("prefix"):]), &got, func(string) (string, error) { return src, nil }); err != nil {
				t.Fatalf("order %s: %v", name, err)
			}
			want := o
			canonical(reflect.ValueOf(&want).Elem())
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("order %s with source prefix %q:\n got %+v\nwant %+v", name, src, got, want)
			}
		}
	}

	var fullPay orderbot.Payment
	fillAll(reflect.ValueOf(&fullPay).Elem(), new(int))
	pays := []orderbot.Payment{fullPay, {},
		{ID: "pi_2", Provider: "stripe", OrderID: "1001", Amount: orderbot.Money{Minor: 1999, Currency: "USD"}, Status: orderbot.PaymentSucceeded, CreatedAt: t0},
		{ID: "pi_3", Amount: orderbot.Money{Minor: -1}, CreatedAt: t0.In(time.FixedZone("", 3600)).Add(5 * time.Millisecond),
			Refunds: []orderbot.Refund{{ID: "re_1", Status: "succeeded", CreatedAt: t0}, {ID: "re_2", Status: "odd", Amount: orderbot.Money{Minor: 3, Currency: "EUR"}}}},
	}
	pays = append(pays, ds.Payments...)
	for i, p := range pays {
		for _, key := range []string{p.OrderID, "other"} {
			var got orderbot.Payment
			if err := decodePaymentRec(string(appendPayment(nil, &p, key)), p.ID, key, &got); err != nil {
				t.Fatalf("payment %d: %v", i, err)
			}
			want := p
			canonical(reflect.ValueOf(&want).Elem())
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("payment %d under %q:\n got %+v\nwant %+v", i, key, got, want)
			}
		}
	}

	var fullSh orderbot.Shipment
	fillAll(reflect.ValueOf(&fullSh).Elem(), new(int))
	shs := []orderbot.Shipment{fullSh, {}, {TrackingNumber: "1Z", URL: "https://t/1Z", Checkpoints: []orderbot.Checkpoint{
		{Time: t0, Message: "old"}, {Time: t0.Add(time.Hour), Message: "newest"}, {Time: t0.Add(time.Minute), Message: "mid"}}}}
	shs = append(shs, ds.Shipments...)
	for i, sh := range shs {
		var got orderbot.Shipment
		if err := decodeShipment(string(appendShipment(nil, &sh)), &got); err != nil {
			t.Fatalf("shipment %d: %v", i, err)
		}
		want := sh
		want.Checkpoints = append([]orderbot.Checkpoint(nil), sh.Checkpoints...)
		newestOnly(&want)
		canonical(reflect.ValueOf(&want).Elem())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("shipment %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if got := func() string {
		var sh orderbot.Shipment
		_ = decodeShipment(string(appendShipment(nil, &shs[2])), &sh)
		return sh.Checkpoints[0].Message
	}(); got != "newest" {
		t.Fatalf("kept checkpoint %q, want the newest", got)
	}
}

// FuzzDecodeRecords checks that the record decoders refuse (never panic on,
// never loop over) whatever bytes a cache may hold, and that what they accept
// encodes back to the same bytes.
func FuzzDecodeRecords(f *testing.F) {
	o := orderbot.Order{ID: "1", Lines: []orderbot.LineItem{{SKU: "A", Quantity: 2}}, Shipments: []orderbot.ShipmentRef{{TrackingNumber: "T"}}}
	f.Add(string(appendOrder(nil, &o, "")))
	p := orderbot.Payment{ID: "p", Refunds: []orderbot.Refund{{ID: "r"}}}
	f.Add(string(appendPayment(nil, &p, "1")))
	sh := orderbot.Shipment{TrackingNumber: "T", Checkpoints: []orderbot.Checkpoint{{Message: "m"}}}
	f.Add(string(appendShipment(nil, &sh)))
	f.Add("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > 0 && v[0] == '{' {
			return // JSON: encoding/json's business
		}
		var o orderbot.Order
		if decodeOrder(v, &o, func(string) (string, error) { return "p", nil }) == nil {
			_ = appendOrder(nil, &o, "p")
		}
		var p orderbot.Payment
		_ = decodePaymentRec(v, "p", "1", &p)
		var sh orderbot.Shipment
		_ = decodeShipment(v, &sh)
	})
}
