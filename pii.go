package orderbot

import "strings"

// MaskPhone keeps the first three and last four digits: "13812345678" →
// "138****5678". Short numbers keep only their last two digits.
func MaskPhone(p string) string {
	var digits []rune
	for _, r := range p {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	n := len(digits)
	switch {
	case n == 0:
		return ""
	case n >= 9:
		return string(digits[:3]) + "****" + string(digits[n-4:])
	case n > 2:
		return strings.Repeat("*", n-2) + string(digits[n-2:])
	default:
		return strings.Repeat("*", n)
	}
}

// MaskEmail keeps the first character of the local part and the domain:
// "alice@example.com" → "a***@example.com".
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(e), "@")
	if !ok || local == "" {
		if e == "" {
			return ""
		}
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// MaskAddress keeps only city, province and country, which staff need to route a
// parcel question, and hides street, name, postal code and phone.
func MaskAddress(a Address) string {
	parts := make([]string, 0, 4)
	if a.Line1 != "" || a.Line2 != "" {
		parts = append(parts, "***")
	}
	for _, s := range []string{a.City, a.Province, a.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}
