package orderbot

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor unit (cents, fen) with its ISO 4217
// code in upper case. Integer minor units keep comparisons exact.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// minorDigits lists currencies whose minor unit is not two decimal places.
var minorDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0, "PYG": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3,
}

// MinorDigits is the number of decimal places of the currency's minor unit.
func MinorDigits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// ParseMoney reads a decimal string such as "199.00" (Shopify, Alipay) into Money.
// More decimal places than the currency has is an error rather than silent rounding.
func ParseMoney(decimal, currency string) (Money, error) {
	cur := strings.ToUpper(strings.TrimSpace(currency))
	s := strings.TrimSpace(decimal)
	if s == "" {
		return Money{}, fmt.Errorf("money: empty amount")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := MinorDigits(cur)
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return Money{}, fmt.Errorf("money: %q has more than %d decimal places for %s", decimal, digits, cur)
	}
	frac += strings.Repeat("0", digits-len(frac))
	if intPart == "" {
		intPart = "0"
	}
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("money: %q is not a decimal amount", decimal)
	}
	if neg {
		n = -n
	}
	return Money{Minor: n, Currency: cur}, nil
}

// FromFloat converts a float amount in major units (ERPNext sends JSON numbers)
// to Money, rounding half away from zero to the currency's minor unit.
func FromFloat(v float64, currency string) Money {
	cur := strings.ToUpper(currency)
	scale := 1.0
	for i := 0; i < MinorDigits(cur); i++ {
		scale *= 10
	}
	x := v * scale
	if x < 0 {
		return Money{Minor: -int64(-x + 0.5), Currency: cur}
	}
	return Money{Minor: int64(x + 0.5), Currency: cur}
}

// String renders the amount as "199.00 USD".
func (m Money) String() string {
	d := MinorDigits(m.Currency)
	sign := ""
	n := m.Minor
	if n < 0 {
		sign, n = "-", -n
	}
	if d == 0 {
		return fmt.Sprintf("%s%d %s", sign, n, m.Currency)
	}
	p := int64(1)
	for i := 0; i < d; i++ {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, n/p, d, n%p, m.Currency)
}
