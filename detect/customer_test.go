package detect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

func TestInvalidPhone(t *testing.T) {
	cn := func(phone string) orderbot.Order {
		o := order("A")
		o.Total = orderbot.FromFloat(100, "CNY")
		o.Customer.Phone, o.ShippingAddress.Phone = phone, ""
		o.ShippingAddress = orderbot.Address{Name: "张伟", Line1: "浦东新区世纪大道100号", City: "上海市", PostalCode: "200120", Country: "CN", Phone: phone}
		return o
	}
	tests := []struct {
		name   string
		order  func() orderbot.Order
		opts   detect.Options
		want   bool
		reason string
	}{
		{"valid US number", func() orderbot.Order { return order("A") }, detect.Options{}, false, ""},
		{"valid Chinese mobile", func() orderbot.Order { return cn("138-1234-5678") }, detect.Options{}, false, ""},
		{"valid Chinese mobile in international form", func() orderbot.Order { return cn("+86 138 1234 5678") }, detect.Options{}, false, ""},
		{"foreign number in international form is fine", func() orderbot.Order { return cn("+1 415 253 0123") }, detect.Options{}, false, ""},
		{"too short", func() orderbot.Order { return cn("138123") }, detect.Options{}, true, "not a valid number for CN"},
		{"no such mobile prefix", func() orderbot.Order { return cn("12345678901") }, detect.Options{}, true, "not a valid number for CN"},
		{"unknown country calling code", func() orderbot.Order { return cn("+999 1234 5678") }, detect.Options{}, true, "unknown country calling code"},
		{"letters", func() orderbot.Order { return cn("call me") }, detect.Options{}, true, "not a phone number"},
		{"fictional US number", func() orderbot.Order {
			o := order("A")
			o.Customer.Phone = "555-0100"
			return o
		}, detect.Options{}, true, "not a valid number for US"},
		{"shipping phone checked when the customer phone is fine", func() orderbot.Order {
			o := order("A")
			o.ShippingAddress.Phone = "12"
			return o
		}, detect.Options{}, true, ""},
		{"no phone and no email", func() orderbot.Order {
			o := order("A")
			o.Customer.Phone, o.Customer.Email = "", ""
			return o
		}, detect.Options{}, true, "cannot be reached"},
		{"no phone but an email", func() orderbot.Order {
			o := order("A")
			o.Customer.Phone = ""
			return o
		}, detect.Options{}, false, ""},
		{"national number without a country is not judged", func() orderbot.Order {
			o := cn("13812345678")
			o.ShippingAddress.Country = ""
			o.ShippingAddress.PostalCode = ""
			return o
		}, detect.Options{}, false, ""},
		{"national number read in the default region", func() orderbot.Order {
			o := cn("1381234")
			o.ShippingAddress.Country = ""
			return o
		}, detect.Options{DefaultRegion: "cn"}, true, "CN"},
		{"shipped orders are not judged", func() orderbot.Order { return shipped(cn("138123"), ago(time.Hour)) }, detect.Options{}, false, ""},
		{"cancelled orders are not judged", func() orderbot.Order { return cancelled(cn("138123"), ago(time.Hour)) }, detect.Options{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.order()
			res := detect.New(nil, tt.opts).Run(snapshot([]orderbot.Order{o}, nil, nil))
			var want []found
			if tt.want {
				want = []found{{orderbot.CustomerInvalidPhone, "A", ""}}
			}
			checkFound(t, res, want, orderbot.CustomerInvalidPhone)
			if !res.WasEvaluated(orderbot.CustomerInvalidPhone, "A") && !o.Shipped() {
				t.Error("not evaluated")
			}
			if !tt.want {
				return
			}
			a := anomaly(t, res, orderbot.CustomerInvalidPhone, "A")
			if tt.reason != "" && !strings.Contains(a.Summary+factValue(a, "Problem")+factValue(a, "Country"), tt.reason) {
				t.Errorf("summary %q facts %+v lack %q", a.Summary, a.Facts, tt.reason)
			}
			if !a.Deadline.Equal(o.PaidAt.Add(48 * time.Hour)) {
				t.Errorf("Deadline = %v, want the ship-by deadline %v", a.Deadline, o.PaidAt.Add(48*time.Hour))
			}
			assertMasked(t, a, o)
		})
	}
}

// assertMasked fails when a fact or the summary holds a full phone number, email
// or street of the order.
func assertMasked(t *testing.T, a orderbot.Anomaly, o orderbot.Order) {
	t.Helper()
	var secrets []string
	for _, p := range []string{o.Customer.Phone, o.ShippingAddress.Phone} {
		if d := digitsOf(p); len(d) >= 7 {
			secrets = append(secrets, d)
		}
	}
	for _, s := range []string{o.Customer.Email, o.ShippingAddress.Line1, o.ShippingAddress.Line2} {
		if len(s) > 3 {
			secrets = append(secrets, s)
		}
	}
	texts := []string{a.Summary}
	for _, f := range a.Facts {
		texts = append(texts, f.Value)
	}
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) || (isDigits(s) && strings.Contains(digitsOf(text), s)) {
				t.Errorf("%s %s leaks %q in %q", a.Kind, a.Subject, s, text)
			}
		}
	}
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isDigits(s string) bool { return s != "" && digitsOf(s) == s }

func TestInvalidAddress(t *testing.T) {
	addr := func(country, postal string) func(*orderbot.Address) {
		return func(a *orderbot.Address) { a.Country, a.PostalCode = country, postal }
	}
	tests := []struct {
		name    string
		edit    func(*orderbot.Address)
		want    bool
		problem string
	}{
		{"valid US", func(*orderbot.Address) {}, false, ""},
		{"ZIP+4", addr("US", "94105-1234"), false, ""},
		{"US postal code missing", addr("US", ""), true, "postal code missing"},
		{"US postal code too short", addr("US", "9410"), true, "postal code malformed for US (expected 5 digits or ZIP+4)"},
		{"street missing", func(a *orderbot.Address) { a.Line1 = "  " }, true, "street missing"},
		{"city missing", func(a *orderbot.Address) { a.City = "" }, true, "city missing"},
		{"street and city missing", func(a *orderbot.Address) { a.Line1, a.City = "", "" }, true, "street missing; city missing"},
		{"CN", addr("CN", "200120"), false, ""},
		{"CN five digits", addr("CN", "20012"), true, "malformed for CN"},
		{"CN full-width digits", addr("CN", "２００１２０"), false, ""},
		{"GB", addr("GB", "SW1A 1AA"), false, ""},
		{"GB lower case without space", addr("GB", "m11ae"), false, ""},
		{"GB outward code only", addr("GB", "SW1A"), true, "malformed for GB"},
		{"DE", addr("DE", "10115"), false, ""},
		{"DE four digits", addr("DE", "1011"), true, "malformed for DE"},
		{"FR", addr("FR", "75001"), false, ""},
		{"JP", addr("JP", "100-0001"), false, ""},
		{"JP without hyphen, postal mark and full-width hyphen", addr("JP", "〒100－0001"), false, ""},
		{"JP six digits", addr("JP", "100-001"), true, "malformed for JP"},
		{"CA", addr("CA", "K1A 0B1"), false, ""},
		{"CA digits only", addr("CA", "123456"), true, "malformed for CA"},
		{"AU", addr("AU", "2000"), false, ""},
		{"NL", addr("NL", "1012 AB"), false, ""},
		{"NL without letters", addr("NL", "1012"), true, "malformed for NL"},
		{"IN", addr("IN", "110001"), false, ""},
		{"IN leading zero", addr("IN", "011000"), true, "malformed for IN"},
		{"HK needs no postal code", addr("HK", ""), false, ""},
		{"IE Eircode is optional", addr("IE", ""), false, ""},
		{"IE Eircode shape", addr("IE", "A65 F4E2"), false, ""},
		{"unknown country: lenient", addr("XK", "10000"), false, ""},
		{"unknown country: junk rejected", addr("XK", "#?!"), true, "malformed for XK"},
		{"unknown country: missing is fine", addr("XK", ""), false, ""},
		{"lower-case country code", addr("us", "94105"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order("A")
			tt.edit(&o.ShippingAddress)
			res := run(snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", o.Total, o.PaidAt)}, nil))
			var want []found
			if tt.want {
				want = []found{{orderbot.CustomerInvalidAddr, "A", ""}}
			}
			checkFound(t, res, want, orderbot.CustomerInvalidAddr)
			if !tt.want {
				return
			}
			a := anomaly(t, res, orderbot.CustomerInvalidAddr, "A")
			if !strings.Contains(factValue(a, "Problem"), tt.problem) {
				t.Errorf("problem %q, want %q", factValue(a, "Problem"), tt.problem)
			}
			if a.Department != "support" || a.Deadline.IsZero() {
				t.Errorf("anomaly %+v", a)
			}
			assertMasked(t, a, o)
		})
	}
	t.Run("orders that need no shipping are not judged", func(t *testing.T) {
		o := order("A")
		o.RequiresShipping, o.ShippingAddress = false, orderbot.Address{}
		res := run(snapshot([]orderbot.Order{o}, []orderbot.Payment{payment("pi_1", "A", o.Total, o.PaidAt)}, nil))
		checkFound(t, res, nil, orderbot.CustomerInvalidAddr)
	})
	t.Run("unpaid orders have no deadline yet", func(t *testing.T) {
		o := unpaid(order("A"))
		o.ShippingAddress.PostalCode = ""
		res := run(snapshot([]orderbot.Order{o}, nil, nil))
		if a := anomaly(t, res, orderbot.CustomerInvalidAddr, "A"); !a.Deadline.IsZero() {
			t.Errorf("Deadline = %v", a.Deadline)
		}
	})
}

// TestCustomerTicketsAfterShipping: customer data is judged until the parcel
// leaves; a shipped order does not clear its ticket, a cancelled one does.
func TestCustomerTicketsAfterShipping(t *testing.T) {
	bad := order("A")
	bad.Customer.Phone = "123"
	bad.ShippingAddress.PostalCode = ""
	for _, tt := range []struct {
		name string
		o    orderbot.Order
		want bool
	}{
		{"unshipped", bad, true},
		{"shipped", shipped(bad, ago(time.Hour), "T1"), false},
		{"cancelled", cancelled(bad, ago(time.Hour)), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := run(snapshot([]orderbot.Order{tt.o}, nil, nil))
			for _, k := range []orderbot.Kind{orderbot.CustomerInvalidPhone, orderbot.CustomerInvalidAddr} {
				if got := res.WasEvaluated(k, "A"); got != tt.want {
					t.Errorf("WasEvaluated(%s) = %v, want %v", k, got, tt.want)
				}
			}
		})
	}
}

// TestPhoneMemo checks that the verdicts are memoised per (number, region), that
// a memoised verdict equals a fresh one, and that the memo stays bounded.
func TestPhoneMemo(t *testing.T) {
	var orders []orderbot.Order
	for i, p := range []string{"138123", "+1 415 253 0123", "13812345678"} {
		o := order(string(rune('A' + i)))
		o.Customer.Phone = p
		o.ShippingAddress.Country = "CN"
		o.ShippingAddress.PostalCode = "200120"
		orders = append(orders, o)
	}
	snap := snapshot(orders, nil, nil)
	warm := detect.New(nil, detect.Options{PhoneCacheSize: 2})
	first := foundSet(warm.Run(snap), orderbot.CustomerInvalidPhone)
	second := foundSet(warm.Run(snap), orderbot.CustomerInvalidPhone)
	cold := foundSet(detect.New(nil, detect.Options{PhoneCacheSize: -1}).Run(snap), orderbot.CustomerInvalidPhone)
	want := wantSet(found{orderbot.CustomerInvalidPhone, "A", ""})
	for name, got := range map[string][]string{"first": first, "second": second, "uncached": cold} {
		if !equalSets(got, want) {
			t.Errorf("%s run: %v, want %v", name, got, want)
		}
	}
	// The same number judged for another region is not served from the memo.
	orders[2].ShippingAddress.Country = "US"
	orders[2].ShippingAddress.PostalCode = "94105"
	got := foundSet(warm.Run(snapshot(orders, nil, nil)), orderbot.CustomerInvalidPhone)
	if want := wantSet(found{orderbot.CustomerInvalidPhone, "A", ""}, found{orderbot.CustomerInvalidPhone, "C", ""}); !equalSets(got, want) {
		t.Errorf("after region change: %v, want %v", got, want)
	}
}
