package orderbot

import "testing"

func TestJoinMoney(t *testing.T) {
	usd := func(m int64) Money { return Money{Minor: m, Currency: "USD"} }
	cases := []struct {
		in   []Money
		want string
	}{
		{nil, ""},
		{[]Money{usd(0)}, ""},
		{[]Money{usd(100), usd(250), {Minor: 5, Currency: "EUR"}}, "3.50 USD + 0.05 EUR"},
		{[]Money{usd(100), usd(-100), {Minor: 5, Currency: "EUR"}}, "0.05 EUR"},
	}
	for _, c := range cases {
		if got := JoinMoney(c.in, " + "); got != c.want {
			t.Errorf("JoinMoney(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
