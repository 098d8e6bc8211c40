package orderbot

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"199.00", "usd", 19900, false},
		{"199", "USD", 19900, false},
		{"0.01", "USD", 1, false},
		{"-5.5", "EUR", -550, false},
		{"1000", "JPY", 1000, false},
		{"1.5", "JPY", 0, true},
		{"1.234", "KWD", 1234, false},
		{"1.001", "USD", 0, true},
		{"", "USD", 0, true},
		{"abc", "USD", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in+tt.cur, func(t *testing.T) {
			m, err := ParseMoney(tt.in, tt.cur)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && m.Minor != tt.want {
				t.Fatalf("minor = %d, want %d", m.Minor, tt.want)
			}
		})
	}
	if got := FromFloat(10.005, "USD").Minor; got != 1001 && got != 1000 {
		t.Fatalf("FromFloat rounding off: %d", got)
	}
	if got := FromFloat(99.99, "CNY"); got.Minor != 9999 || got.String() != "99.99 CNY" {
		t.Fatalf("FromFloat = %+v %s", got, got)
	}
}

func TestMasking(t *testing.T) {
	if got := MaskPhone("+86 138-1234-5678"); got != "861****5678" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := MaskPhone("13812345678"); got != "138****5678" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := MaskEmail("alice@example.com"); got != "a***@example.com" {
		t.Errorf("MaskEmail = %q", got)
	}
	if got := MaskAddress(Address{Line1: "1 Main St", City: "Berlin", Country: "DE", PostalCode: "10115"}); got != "***, Berlin, DE" {
		t.Errorf("MaskAddress = %q", got)
	}
}

func TestRegistryCoversProductKinds(t *testing.T) {
	if n := len(Kinds()); n != 22 {
		t.Fatalf("registry has %d kinds, product.md §3 lists 22", n)
	}
	for _, k := range Kinds() {
		s, ok := Spec(k)
		if !ok || !s.Severity.Valid() || s.Department == "" || s.AckSLA <= 0 || s.GroupBy == "" || len(s.Resolutions) == 0 {
			t.Errorf("%s: incomplete spec %+v", k, s)
		}
		if s.ResolveSLA <= 0 && !s.ResolveByShipBy {
			t.Errorf("%s: no resolve target", k)
		}
	}
	s, _ := Spec(SystemStuck)
	s.Params.Statuses[OrderPending] = 1
	again, _ := Spec(SystemStuck)
	if again.Params.Statuses[OrderPending] == 1 {
		t.Fatal("Spec returned a shared map; defaults can be changed by callers")
	}
}

func TestErrorKinds(t *testing.T) {
	base := Errorf(KindRateLimited, "shopify.list", "rate limited")
	err := fmt.Errorf("poll: %w", base)
	if !Retryable(err) || KindOf(err) != KindRateLimited {
		t.Fatalf("kind lost through wrapping: %v", err)
	}
	if UserMessage(errors.New("boom: db password=x")) == "boom: db password=x" {
		t.Fatal("UserMessage leaked an internal error")
	}
}

func TestComparisonFactRoundTrip(t *testing.T) {
	c := Comparison{Field: "Fulfilment", Values: [NumSystems]string{"unfulfilled", "shipped", "", "in_transit"},
		Differs: [NumSystems]bool{true, false, false, false}}
	f := c.Fact()
	if f.Value != "shop: !unfulfilled · ERP: shipped · payment:  · courier: in_transit" {
		t.Fatalf("fact value %q", f.Value)
	}
	got, ok := ParseComparison(f)
	if !ok || got != c {
		t.Fatalf("round trip: %+v %v, want %+v", got, ok, c)
	}
	if _, ok := ParseComparison(Fact{Label: "Order", Value: "#1001"}); ok {
		t.Fatal("a plain fact parsed as a comparison")
	}
}

func TestRefsOf(t *testing.T) {
	o := Order{ID: "5300000001", Name: "#1001", Source: "shop-us"}
	links := []OrderLink{{Shop: "shop-us", Field: "po_no", Holds: LinkName}, {Shop: "shop-us", Field: "custom_shopify_order_id", Holds: LinkID},
		{Shop: "shop-eu", Field: "po_no", Holds: LinkName}}
	got := RefsOf(&o, links)
	want := []OrderRef{{Shop: "shop-us", Holds: LinkName, Value: "#1001"}, {Shop: "shop-us", Holds: LinkID, Value: "5300000001"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("RefsOf = %+v, want %+v", got, want)
	}
	if _, ok := links[0].Ref("  "); ok {
		t.Fatal("an empty link value named a shop order")
	}
}
