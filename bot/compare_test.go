package bot

import (
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/bot/slackfake"
)

// A reconciliation card shows the disputed field side by side, shop | ERP |
// payment | courier, marks the value that disagrees, escapes outside text,
// shows the money at risk, and does not repeat the comparison as a plain fact.
func TestComparisonCard(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	tk.Kind, tk.Department = orderbot.SyncStatusMismatch, "warehouse"
	tk.AtRisk = orderbot.Money{Minor: 19900, Currency: "USD"}
	row := orderbot.Comparison{Field: "Fulfilment", Values: [orderbot.NumSystems]string{"unfulfilled", "fulfilled <!channel>", "", "in_transit"}}
	row.Differs[orderbot.SystemShop] = true
	tk.Facts = []orderbot.Fact{{Label: "Order", Value: "#1001 (1001)"}, row.Fact()}
	m := c.ticketCard(cardView{T: tk, Now: cardNow})
	text := slackfake.Message{Text: m.Text, BlocksJSON: validBlocks(t, m)}.AllText()
	for _, want := range []string{
		"*Side by side*",
		"*Fulfilment*  _shop_ :warning: *unfulfilled*  |  _ERP_ fulfilled &lt;!channel&gt;  |  _payment_ —  |  _courier_ in_transit",
		"*At risk*\n199.00 USD",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "⇄") {
		t.Errorf("the comparison also shows as a plain fact:\n%s", text)
	}
	if got := moneyTotals([]orderbot.Money{{Minor: 100, Currency: "USD"}, {Minor: 250, Currency: "USD"}, {Minor: 5, Currency: "EUR"}}); got != "3.50 USD + 0.05 EUR" {
		t.Errorf("moneyTotals = %q", got)
	}
}
