package detect

import (
	"strings"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
)

// Address checks: the parts a courier cannot do without (street, city, postal
// code where the country uses one) and the shape of the postal code. Practice
// (oms-practice.md: Odoo's "No ZIP code on destination", Linnworks parking
// postcodes over 11 characters, ShipStation's unverifiable Ship-To) checks the
// same at import, before the warehouse prints a label.

// addrProblem is a set of address problems.
type addrProblem uint8

const (
	addrNoStreet addrProblem = 1 << iota
	addrNoCity
	addrNoPostal
	addrBadPostal
)

// postalRule is how one country writes postal codes. Patterns are matched against
// the normalised code with spaces removed: '9' a digit, 'N' a digit 1-9, 'A' a
// letter, 'X' a letter or digit, anything else itself.
type postalRule struct {
	required bool // a parcel cannot be routed without one
	patterns []string
	hint     string // the expected shape, for cards
}

var postalRules = map[string]postalRule{
	"CN": {true, []string{"999999"}, "6 digits"},
	"US": {true, []string{"99999", "99999-9999", "999999999"}, "5 digits or ZIP+4"},
	"GB": {true, []string{"A99AA", "A999AA", "AA99AA", "AA999AA", "A9A9AA", "AA9A9AA", "GIR0AA"}, "a UK postcode such as SW1A 1AA"},
	"DE": {true, []string{"99999"}, "5 digits"},
	"FR": {true, []string{"99999"}, "5 digits"},
	"JP": {true, []string{"999-9999", "9999999"}, "7 digits (123-4567)"},
	"CA": {true, []string{"A9A9A9"}, "A1A 1A1"},
	"AU": {true, []string{"9999"}, "4 digits"},
	"NL": {true, []string{"N999AA"}, "4 digits and 2 letters (1234 AB)"},
	"IN": {true, []string{"N99999"}, "6 digits"},
	"IT": {true, []string{"99999"}, "5 digits"},
	"ES": {true, []string{"99999"}, "5 digits"},
	"AT": {true, []string{"N999"}, "4 digits"},
	"BE": {true, []string{"N999"}, "4 digits"},
	"CH": {true, []string{"N999"}, "4 digits"},
	"DK": {true, []string{"N999"}, "4 digits"},
	"NO": {true, []string{"9999"}, "4 digits"},
	"SE": {true, []string{"N9999"}, "5 digits (123 45)"},
	"FI": {true, []string{"99999"}, "5 digits"},
	"PL": {true, []string{"99-999"}, "12-345"},
	"PT": {true, []string{"N999-999"}, "1234-567"},
	"BR": {true, []string{"99999-999", "99999999"}, "12345-678"},
	"MX": {true, []string{"99999"}, "5 digits"},
	"KR": {true, []string{"99999"}, "5 digits"},
	"TW": {true, []string{"999", "99999", "999999"}, "3, 5 or 6 digits"},
	"SG": {true, []string{"999999"}, "6 digits"},
	"NZ": {true, []string{"9999"}, "4 digits"},
	"RU": {true, []string{"N99999"}, "6 digits"},
	// Eircodes are not required for delivery in Ireland, but one given must
	// have the right shape.
	"IE": {false, []string{"A99XXXX", "D6WXXXX"}, "an Eircode such as A65 F4E2"},
}

// noPostal lists countries without a postal code system in general use, where a
// missing code is normal. Countries in neither table are judged leniently.
var noPostal = map[string]bool{
	"AE": true, "AG": true, "AO": true, "AW": true, "BF": true, "BI": true, "BJ": true, "BO": true, "BS": true,
	"BW": true, "BZ": true, "CD": true, "CF": true, "CG": true, "CI": true, "CK": true, "CM": true, "DJ": true,
	"DM": true, "ER": true, "FJ": true, "GA": true, "GD": true, "GH": true, "GM": true, "GQ": true, "GY": true,
	"HK": true, "JM": true, "KI": true, "KM": true, "KN": true, "KP": true, "LC": true, "ML": true, "MO": true,
	"MR": true, "MS": true, "MW": true, "NR": true, "NU": true, "QA": true, "RW": true, "SB": true, "SC": true,
	"SL": true, "SR": true, "ST": true, "SY": true, "TD": true, "TG": true, "TK": true, "TL": true, "TO": true,
	"TV": true, "UG": true, "VU": true, "YE": true, "ZW": true,
}

// noCity lists city states where the city line is often left empty.
var noCity = map[string]bool{"HK": true, "MO": true, "SG": true, "MC": true, "VA": true, "GI": true}

// countryFacts is what the address checks know about one country, indexed by
// its two-letter code so the per-order lookup is an array access rather than a
// string-keyed map lookup.
type countryFacts struct {
	rule     *postalRule
	noPostal bool
	noCity   bool
}

var countries = func() *[26 * 26]countryFacts {
	var t [26 * 26]countryFacts
	for code, rule := range postalRules {
		r := rule
		t[countryIndex(code)].rule = &r
	}
	for code := range noPostal {
		t[countryIndex(code)].noPostal = true
	}
	for code := range noCity {
		t[countryIndex(code)].noCity = true
	}
	return &t
}()

// countryIndex maps an upper-case two-letter code to its table slot, or -1.
func countryIndex(code string) int {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return -1
	}
	return int(code[0]-'A')*26 + int(code[1]-'A')
}

// factsOf returns what is known about a country; the zero value for codes the
// tables do not list (judged leniently).
func factsOf(code string) countryFacts {
	if i := countryIndex(code); i >= 0 {
		return countries[i]
	}
	return countryFacts{}
}

// checkAddress returns the problems of a shipping address. It does not allocate.
func checkAddress(a *orderbot.Address) addrProblem {
	var p addrProblem
	country := countryCode(a.Country)
	if blank(a.Line1) {
		p |= addrNoStreet
	}
	cf := factsOf(country)
	if blank(a.City) && !cf.noCity {
		p |= addrNoCity
	}
	if blank(a.PostalCode) {
		if cf.rule != nil && cf.rule.required {
			p |= addrNoPostal
		}
		return p
	}
	if !postalOK(country, a.PostalCode) {
		p |= addrBadPostal
	}
	return p
}

// blank reports whether s is empty or only white space. The common case, a field
// that starts with a visible ASCII character, returns at once.
func blank(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c > ' ' && c < 0x80 {
		return false
	}
	return strings.TrimSpace(s) == ""
}

// countryCode is the upper-case ISO code of a country field; it allocates only
// when the field is not already upper case.
func countryCode(c string) string {
	if len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
		return c
	}
	return strings.ToUpper(strings.TrimSpace(c))
}

// postalOK reports whether code is a well-formed postal code of country. Countries
// with a rule must match one of its patterns; countries without a postal system
// accept anything (a stray value does not stop a courier); other countries
// accept 2 to 12 letters, digits, spaces and hyphens.
func postalOK(country, code string) bool {
	cf := factsOf(country)
	if cf.rule != nil {
		for _, pat := range cf.rule.patterns {
			if matchPostal(code, pat) {
				return true
			}
		}
		return false
	}
	if cf.noPostal {
		return true
	}
	n := 0
	for i := 0; ; {
		r, next := nextPostalRune(code, i)
		if next < 0 {
			break
		}
		i = next
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
		n++
	}
	return n >= 2 && n <= 12
}

// matchPostal matches the normalised runes of code against pattern.
func matchPostal(code, pattern string) bool {
	i := 0
	for j := 0; j < len(pattern); j++ {
		r, next := nextPostalRune(code, i)
		if next < 0 {
			return false
		}
		i = next
		switch c := pattern[j]; c {
		case '9':
			if r < '0' || r > '9' {
				return false
			}
		case 'N':
			if r < '1' || r > '9' {
				return false
			}
		case 'A':
			if r < 'A' || r > 'Z' {
				return false
			}
		case 'X':
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		default:
			if r != rune(c) {
				return false
			}
		}
	}
	_, next := nextPostalRune(code, i)
	return next < 0
}

// nextPostalRune returns the next significant rune of a postal code at byte
// offset i, normalised, and the offset after it; next is -1 at the end. Spaces
// (ASCII, ideographic, no-break) and the Japanese postal mark are formatting and
// skipped; full-width forms become ASCII (Chinese and Japanese keyboards produce
// them); letters are upper-cased; hyphen and dash variants become '-'.
func nextPostalRune(s string, i int) (rune, int) {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' || r == '\u00a0' || r == '〒':
			continue
		case r >= '\uff01' && r <= '\uff5e':
			r -= 0xfee0
		}
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\u2013' || r == '\u2212' || r == '\u30fc':
			r = '-'
		}
		return r, i
	}
	return 0, -1
}

// normalizePostal is the printable normal form of a postal code: the significant
// runes, normalised as nextPostalRune does, without spaces. matchPostal reads a
// code and its normal form alike.
func normalizePostal(code string) string {
	var b strings.Builder
	for i := 0; ; {
		r, next := nextPostalRune(code, i)
		if next < 0 {
			break
		}
		i = next
		b.WriteRune(r)
	}
	return b.String()
}

// postalHint is the expected shape of a country's postal codes, for cards.
func postalHint(country string) string {
	if cf := factsOf(country); cf.rule != nil {
		return cf.rule.hint
	}
	return "2 to 12 letters, digits, spaces or hyphens"
}
