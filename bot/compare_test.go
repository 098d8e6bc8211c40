package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
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
	if got := orderbot.JoinMoney([]orderbot.Money{{Minor: 100, Currency: "USD"}, {Minor: 250, Currency: "USD"}, {Minor: 5, Currency: "EUR"}}, " + "); got != "3.50 USD + 0.05 EUR" {
		t.Errorf("moneyTotals = %q", got)
	}
}

// /ob order shows every system side by side, says which disagrees, and lists
// every parcel's whole timeline, not only the newest parcel's last scan.
func TestOrderViewEverySystem(t *testing.T) {
	c := testCards()
	usd := func(m int64) orderbot.Money { return orderbot.Money{Minor: m, Currency: "USD"} }
	at := cardNow.Add(-48 * time.Hour)
	o := orderbot.Order{ID: "1001", Name: "#1001", Source: "shopify", Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPaid,
		Fulfillment: orderbot.FulfillmentUnfulfilled, Total: usd(19900), Lines: []orderbot.LineItem{{SKU: "MUG", Quantity: 2, Price: usd(9950)}}}
	v := orderbot.OrderView{Order: o,
		Payments: []orderbot.Payment{{ID: "pi_1", Provider: "stripe", Status: orderbot.PaymentSucceeded, Amount: usd(19900), CreatedAt: at}},
		ERP: []orderbot.ErpOrder{{ID: "SAL-ORD-1", Status: orderbot.OrderProcessing, Fulfillment: orderbot.FulfillmentFulfilled, Total: usd(19900),
			Lines: []orderbot.LineItem{{SKU: "MUG", Quantity: 3}}, Modified: at}},
		Shipments: []orderbot.Shipment{
			{TrackingNumber: "1Z1", Carrier: "ups", Status: orderbot.ShipDelivered, Checkpoints: []orderbot.Checkpoint{
				{Time: at.Add(time.Hour), Message: "Picked up", Location: "Louisville"}, {Time: at.Add(20 * time.Hour), Message: "Delivered"}}},
			{TrackingNumber: "1Z2", Carrier: "ups", Status: orderbot.ShipInTransit, Checkpoints: []orderbot.Checkpoint{
				{Time: at.Add(2 * time.Hour), Message: "Label created"}, {Time: at.Add(3 * time.Hour), Message: "Departed facility <!here>"}}},
		}}
	m := c.orderView(v, cardNow)
	text := slackfake.Message{Text: m.Text, BlocksJSON: validBlocks(t, m)}.AllText()
	for _, want := range []string{
		"*Every system*",
		"*Fulfilment*  _shop_ unfulfilled  |  _ERP_ :warning: *fulfilled*",
		"*× MUG*  _shop_ 2  |  _ERP_ :warning: *3*",
		"*Disagrees with the shop:* ERP (fulfilment, × mug); courier (fulfilment)",
		"*Parcel 1 of 2* ups `1Z1`: delivered", "Picked up (Louisville)", "Delivered",
		"*Parcel 2 of 2* ups `1Z2`: in_transit", "Label created", "Departed facility &lt;!here&gt;",
		"SAL-ORD-1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("order view lacks %q:\n%s", want, text)
		}
	}
}
