package detect

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
)

// FuzzPhone checks phone normalisation: no panic, the same verdict every time and
// from the memo, a valid number's E.164 form is valid again and normalises to
// itself, and a valid number always has digits.
func FuzzPhone(f *testing.F) {
	for _, s := range []struct{ number, region string }{
		{"13812345678", "CN"}, {"+86 138-1234-5678", "CN"}, {"138123", "CN"}, {"(415) 253-0123", "US"},
		{"+999 1234", ""}, {"0044 7911 123456", "DE"}, {"１３８１２３４５６７８", "CN"}, {"", "US"},
		{"++--()", "GB"}, {"+1", "XX"}, {"0", ""}, {"\xff\xfe", "CN"},
	} {
		f.Add(s.number, s.region)
	}
	d := New(nil, Options{PhoneCacheSize: 16})
	f.Fuzz(func(t *testing.T, number, region string) {
		if len(number) > 64 || len(region) > 4 {
			t.Skip() // realistic fields; the parser's cost grows with length
		}
		e164, v := parsePhone(number, region)
		e2, v2 := parsePhone(number, region)
		if v != v2 || e164 != e2 {
			t.Fatalf("not deterministic: %q/%v then %q/%v", e164, v, e2, v2)
		}
		if got := d.phone(number, region); got != v {
			t.Fatalf("memo gives %v, direct %v", got, v)
		}
		if got := d.phone(number, region); got != v {
			t.Fatalf("memo hit gives %v, direct %v", got, v)
		}
		if v != phoneValid {
			if e164 != "" {
				t.Fatalf("invalid verdict %v with E.164 %q", v, e164)
			}
			return
		}
		if !strings.HasPrefix(e164, "+") || strings.Trim(e164[1:], "0123456789") != "" {
			t.Fatalf("E.164 form %q", e164)
		}
		again, v3 := parsePhone(e164, "")
		if v3 != phoneValid || again != e164 {
			t.Fatalf("E.164 %q re-parses as %q/%v", e164, again, v3)
		}
		if m := orderbot.MaskPhone(number); len(digitsIn(m)) > 7 {
			t.Fatalf("mask of %q keeps %q", number, m)
		}
	})
}

func digitsIn(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// FuzzAddress checks postal-code normalisation and address checks: no panic,
// deterministic, the normal form is idempotent and judged like the raw input,
// and a missing or malformed code is never reported for the same address at
// once.
func FuzzAddress(f *testing.F) {
	for _, s := range []struct{ country, postal, line1, city string }{
		{"US", "94105", "1 Main St", "San Francisco"}, {"GB", "sw1a 1aa", "10 Downing St", "London"},
		{"CN", "２００１２０", "世纪大道100号", "上海市"}, {"JP", "〒100－0001", "1-1", "Tokyo"}, {"NL", "1012ab", "Damrak 1", "Amsterdam"},
		{"CA", "K1A0B1", "", ""}, {"HK", "", "1 Queen's Rd", ""}, {"XK", "10000", "x", "Pristina"}, {"", "\xff", "", ""},
		{"IE", "D6W XY12", "1 St", "Dublin"}, {"in", "110001", "1 Rd", "Delhi"},
	} {
		f.Add(s.country, s.postal, s.line1, s.city)
	}
	f.Fuzz(func(t *testing.T, country, postal, line1, city string) {
		a := orderbot.Address{Country: country, PostalCode: postal, Line1: line1, City: city}
		p := checkAddress(&a)
		if p != checkAddress(&a) {
			t.Fatal("checkAddress not deterministic")
		}
		if p&addrNoPostal != 0 && p&addrBadPostal != 0 {
			t.Fatalf("postal code both missing and malformed: %q", postal)
		}
		norm := normalizePostal(postal)
		if normalizePostal(norm) != norm {
			t.Fatalf("normalizePostal not idempotent: %q → %q → %q", postal, norm, normalizePostal(norm))
		}
		cc := countryCode(country)
		if postalOK(cc, postal) != postalOK(cc, norm) {
			t.Fatalf("%s: %q and its normal form %q judged differently", cc, postal, norm)
		}
		if utf8.ValidString(postal) && !utf8.ValidString(norm) {
			t.Fatalf("normal form of valid UTF-8 %q is invalid: %q", postal, norm)
		}
		if strings.ContainsAny(norm, " \t\u3000") {
			t.Fatalf("normal form %q keeps spaces", norm)
		}
		if blank(line1) != (p&addrNoStreet != 0) {
			t.Fatalf("street %q judged %v", line1, p&addrNoStreet != 0)
		}
	})
}
