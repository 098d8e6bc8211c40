package orderbot

import "strings"

// JoinMoney sums ms per currency, in the order the currencies first appear,
// leaves out zero sums, and joins the amounts with sep ("" when nothing is
// left). Cards, stats and the dashboard show money at risk over several
// tickets, possibly in several currencies, this one way; a list already
// summed per currency comes out unchanged.
func JoinMoney(ms []Money, sep string) string {
	sums := make(map[string]int64, len(ms))
	var curs []string
	for _, m := range ms {
		if _, ok := sums[m.Currency]; !ok {
			curs = append(curs, m.Currency)
		}
		sums[m.Currency] += m.Minor
	}
	parts := make([]string, 0, len(curs))
	for _, c := range curs {
		if sums[c] != 0 {
			parts = append(parts, Money{Minor: sums[c], Currency: c}.String())
		}
	}
	return strings.Join(parts, sep)
}
