package bot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

var cardNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func testCards() *cards {
	o, _ := Options{BotToken: "x", SigningSecret: "y", Links: []LinkTemplate{
		{Label: "Shopify", URL: "https://shop.example/admin/orders/{order}", Sources: []string{"shopify"}},
		{Label: "Tracking", URL: "https://track.example/{subject}"},
	}}.withDefaults()
	return newCards(&o)
}

func baseTicket() orderbot.Ticket {
	return orderbot.Ticket{
		ID: "T12", Kind: orderbot.PaymentUnrecorded, Subject: "1001", OrderID: "1001", Source: "shopify",
		Department: "finance", Severity: orderbot.SeverityHigh, State: orderbot.StateOpen,
		Summary: "Stripe shows pi_1 succeeded, order 1001 is still unpaid",
		Facts:   []orderbot.Fact{{Label: "Amount", Value: "199.00 USD"}, {Label: "Phone", Value: "138****5678"}},
		Count:   1, OpenedAt: cardNow.Add(-10 * time.Minute), LastSeenAt: cardNow, UpdatedAt: cardNow,
		AckDue: cardNow.Add(5 * time.Minute), ResolveDue: cardNow.Add(110 * time.Minute), Version: 3,
	}
}

// blocksJSON marshals a message's blocks and checks them against Slack's limits.
func validBlocks(t *testing.T, m message) string {
	t.Helper()
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := slackfake.ValidateMessageBlocks(b); err != nil {
		t.Fatalf("blocks break Block Kit limits: %v\n%s", err, b)
	}
	if n := len([]rune(m.Text)); n == 0 || n > 4000 {
		t.Fatalf("fallback text has %d characters", n)
	}
	return string(b)
}

func actionIDsOf(t *testing.T, m message) []string {
	b, _ := json.Marshal(m.Blocks)
	return slackfake.Message{BlocksJSON: string(b)}.ActionIDs()
}

func TestTicketCardButtonsMatchState(t *testing.T) {
	c := testCards()
	tests := []struct {
		state orderbot.TicketState
		want  []string
	}{
		{orderbot.StateOpen, []string{actClaim, actSnooze, actEscalate, actReassign, actResolve}},
		{orderbot.StateClaimed, []string{actRelease, actSnooze, actEscalate, actReassign, actResolve}},
		{orderbot.StateSnoozed, []string{actClaim, actReassign, actEscalate, actResolve}},
		{orderbot.StateResolved, []string{actReopen}},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			tk := baseTicket()
			tk.State = tc.state
			if tc.state == orderbot.StateClaimed {
				tk.Owner = "U0OWNER"
			}
			if tc.state == orderbot.StateSnoozed {
				tk.SnoozedUntil = cardNow.Add(2 * time.Hour)
			}
			if tc.state == orderbot.StateResolved {
				tk.Resolution = &orderbot.Resolution{Code: "order_marked_paid", Note: "marked <!here> paid", By: "U0OWNER", At: cardNow}
			}
			m := c.ticketCard(cardView{T: tk, Now: cardNow})
			js := slackfake.Message{Text: m.Text, BlocksJSON: validBlocks(t, m)}.AllText()
			if got := actionIDsOf(t, m); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("actions = %v, want %v", got, tc.want)
			}
			if strings.Contains(js, "<!here>") {
				t.Fatal("a note pinged @here")
			}
		})
	}
}

func TestTicketCardShowsWhatMatters(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	m := c.ticketCard(cardView{T: tk, Now: cardNow, Past: []orderbot.Resolution{
		{Code: "order_marked_paid", At: cardNow.Add(-time.Hour), Note: "webhook lost"},
		{Code: "order_marked_paid", At: cardNow.Add(-2 * time.Hour)},
		{Code: "refunded", At: cardNow.Add(-3 * time.Hour)},
	}})
	js := validBlocks(t, m)
	text := slackfake.Message{Text: m.Text, BlocksJSON: js}.AllText()
	for _, want := range []string{
		"Payment not recorded: 1001", // kind title and subject
		"high",                       // severity
		"199.00 USD", "138****5678",  // facts
		":warning: *Claim due in 5m*", // SLA warning inside WarnBefore
		"Resolve within 1h 50m",
		"Order marked paid ×2", "latest note: “webhook lost”", // knowledge base
		"<https://shop.example/admin/orders/1001|Shopify>", // link
		"nobody", // owner
	} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	tk.AckDue = cardNow.Add(-7 * time.Minute)
	text = slackfake.Message{BlocksJSON: validBlocks(t, c.ticketCard(cardView{T: tk, Now: cardNow}))}.AllText()
	if !strings.Contains(text, "*Claim target missed* 7m ago") {
		t.Errorf("breached card lacks the breach notice:\n%s", text)
	}
}

// "The condition cleared" is not a lesson: automatic resolutions never show
// as past resolutions on a card, and /ob kb counts them apart.
func TestAutoResolutionsAreNotLessons(t *testing.T) {
	c := testCards()
	var past []orderbot.Resolution
	for i := range 20 {
		past = append(past, orderbot.Resolution{Code: "condition_cleared", Note: "a later poll saw the condition cleared",
			By: "orderbot", At: cardNow.Add(-time.Duration(i) * time.Minute), Auto: true})
	}
	text := slackfake.Message{BlocksJSON: validBlocks(t, c.ticketCard(cardView{T: baseTicket(), Now: cardNow, Past: past}))}.AllText()
	if strings.Contains(text, "Condition cleared") || strings.Contains(text, "Resolved before") {
		t.Errorf("card shows automatic resolutions as past resolutions:\n%s", text)
	}
	past = append([]orderbot.Resolution{{Code: "order_marked_paid", By: "U1", At: cardNow.Add(-time.Hour), Note: "webhook lost"}}, past...)
	text = slackfake.Message{BlocksJSON: validBlocks(t, c.ticketCard(cardView{T: baseTicket(), Now: cardNow, Past: past}))}.AllText()
	if !strings.Contains(text, "Resolved before: Order marked paid ×1 — latest note: “webhook lost”") || strings.Contains(text, "Condition cleared") {
		t.Errorf("card hint should name only the staff resolution:\n%s", text)
	}
	kb := slackfake.Message{BlocksJSON: validBlocks(t, c.kbView(orderbot.PaymentUnrecorded, past))}.AllText()
	for _, want := range []string{"*Resolved by staff* (last 1 tickets)", "Order marked paid ×1", "20 more cleared by themselves"} {
		if !strings.Contains(kb, want) {
			t.Errorf("/ob kb lacks %q:\n%s", want, kb)
		}
	}
	if strings.Contains(kb, "Condition cleared") {
		t.Errorf("/ob kb lists automatic resolutions as a resolution code:\n%s", kb)
	}
}

// A ticket the flap guard keeps open says so on its card.
func TestFlappingTicketCard(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	tk.Flapping = true
	text := slackfake.Message{BlocksJSON: validBlocks(t, c.ticketCard(cardView{T: tk, Now: cardNow}))}.AllText()
	for _, want := range []string{"flapping", "*Flapping*: the condition keeps clearing and coming back"} {
		if !strings.Contains(text, want) {
			t.Errorf("flapping card lacks %q:\n%s", want, text)
		}
	}
	tk.State = orderbot.StateResolved
	text = slackfake.Message{BlocksJSON: validBlocks(t, c.ticketCard(cardView{T: tk, Now: cardNow}))}.AllText()
	if strings.Contains(text, "Flapping") {
		t.Errorf("resolved ticket still marked flapping:\n%s", text)
	}
}

func TestOutsideTextIsEscaped(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	tk.Subject = "<!channel>"
	tk.Summary = "Customer <!channel> & <@U999> wrote <https://evil.example|click here>"
	tk.Facts = []orderbot.Fact{{Label: "<!everyone>", Value: "<!here>"}}
	tk.Owner = "<!channel>"
	cards := []message{
		c.ticketCard(cardView{T: tk, Now: cardNow}),
		c.escalationPost(tk, "missed", "C1", nil),
		c.stormCard(stormView{Kind: tk.Kind, Total: 9, Top: []subjectCount{{Subject: "<!channel>", Count: 2}}}),
		c.ticketList("Tickets", []orderbot.Ticket{tk}, false, cardNow),
		c.orderView(orderbot.OrderView{Order: orderbot.Order{ID: "1", Name: "<!channel>", Customer: orderbot.Customer{Name: "<!channel>"}}}, cardNow),
	}
	for i, m := range cards {
		all := slackfake.Message{Text: m.Text, BlocksJSON: validBlocks(t, m)}.AllText()
		for _, ping := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U999>", "<https://evil"} {
			if strings.Contains(all, ping) {
				t.Errorf("message %d contains %s unescaped", i, ping)
			}
		}
		if !strings.Contains(all, "&lt;!channel&gt;") {
			t.Errorf("message %d does not show the escaped name", i)
		}
	}
}

func TestBlockKitLimitsByTruncation(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	tk.Subject = strings.Repeat("S", 500)
	tk.Summary = strings.Repeat("<&> long summary ", 1000)
	tk.Facts = nil
	for i := 0; i < 200; i++ {
		tk.Facts = append(tk.Facts, orderbot.Fact{Label: fmt.Sprintf("fact %d %s", i, strings.Repeat("L", 300)), Value: strings.Repeat("v&", 3000)})
	}
	m := c.ticketCard(cardView{T: tk, Now: cardNow, Past: []orderbot.Resolution{{Code: strings.Repeat("c", 500), Note: strings.Repeat("n", 5000), At: cardNow}}})
	js := slackfake.Message{BlocksJSON: validBlocks(t, m)}.AllText()
	if !strings.Contains(js, "more facts") {
		t.Error("the card does not say facts were left out")
	}
	if got := actionIDsOf(t, m); len(got) == 0 {
		t.Error("truncation dropped the buttons")
	}

	// fitBlocks caps any block list at 50 and keeps the buttons.
	card := c.ticketCard(cardView{T: baseTicket(), Now: cardNow}).Blocks
	var blocks []slack.Block
	blocks = append(blocks, card[:len(card)-2]...)
	for i := 0; i < 80; i++ {
		blocks = append(blocks, slack.NewSectionBlock(md("x", maxSectionText), nil, nil))
	}
	blocks = append(blocks, card[len(card)-2:]...)
	fitted := fitBlocks(blocks, maxBlocks)
	fm := message{Text: "x", Blocks: fitted}
	validBlocks(t, fm)
	if got := actionIDsOf(t, fm); len(got) == 0 {
		t.Error("fitBlocks dropped the actions block")
	}

	// A modal with a kind's codes is valid too.
	view := c.resolveModal(tk, resolveMeta{Ticket: tk.ID, Version: 3, Kind: string(tk.Kind), Channel: "C1", User: "U1"})
	vb, _ := json.Marshal(view)
	if err := slackfake.ValidateView(vb); err != nil {
		t.Fatalf("resolve modal: %v", err)
	}
}

func TestOrderViewMasksPII(t *testing.T) {
	c := testCards()
	v := orderbot.OrderView{
		Order: orderbot.Order{
			ID: "1001", Name: "#1001", Source: "shopify", Status: orderbot.OrderProcessing,
			Financial: orderbot.FinancialPaid, Total: orderbot.Money{Minor: 19900, Currency: "USD"},
			Customer:        orderbot.Customer{Name: "Zhang San", Phone: "+86 138 1234 5678", Email: "zhang.san@example.com"},
			ShippingAddress: orderbot.Address{Line1: "1 Secret Road", City: "Shanghai", PostalCode: "200000", Country: "CN", Phone: "13812345678"},
		},
		Payments:  []orderbot.Payment{{ID: "pi_1", Provider: "stripe", Amount: orderbot.Money{Minor: 19900, Currency: "USD"}, Status: orderbot.PaymentSucceeded}},
		Shipments: []orderbot.Shipment{{TrackingNumber: "YT123", Carrier: "yuantong", Status: orderbot.ShipInTransit, Checkpoints: []orderbot.Checkpoint{{Message: "Departed hub", Location: "Hangzhou"}}}},
		Tickets:   []orderbot.Ticket{baseTicket()},
	}
	om := c.orderView(v, cardNow)
	js := slackfake.Message{Text: om.Text, BlocksJSON: validBlocks(t, om)}.AllText()
	for _, leak := range []string{"13812345678", "1234 5678", "zhang.san@", "Secret Road", "200000"} {
		if strings.Contains(js, leak) {
			t.Errorf("order view leaks %q", leak)
		}
	}
	for _, want := range []string{"861****5678", "z***@example.com", "Shanghai", "pi_1", "YT123", "Departed hub", "T12"} {
		if !strings.Contains(js, want) {
			t.Errorf("order view lacks %q", want)
		}
	}
}

func TestHistoryLines(t *testing.T) {
	c := testCards()
	tk := baseTicket()
	tk.Owner = "U0NEW"
	tk.State = orderbot.StateClaimed
	tests := []struct {
		change, actor, detail, want string
	}{
		{"claimed", "U0A", "", ":raising_hand: <@U0A> claimed the ticket."},
		{"released", "U0A", "", ":wave: <@U0A> released the ticket."},
		{"reassigned", "U0A", "to U0NEW", ":arrow_right: <@U0A> assigned the ticket to <@U0NEW>."},
		{"escalated", "U0A", "", ":rotating_light: <@U0A> escalated the ticket."},
		{"noted", "U0A", "call <!channel>", ":memo: <@U0A>: call &lt;!channel&gt;"},
		{"updated", "orderbot", "details changed", ""},
		{"updated", "orderbot", "severity high -> critical; details changed", ":pencil2: Updated: severity high -&gt; critical."},
		{"warning", "orderbot", "ack target is near", ""},
	}
	for _, tc := range tests {
		if got := c.historyLine(tc.change, tc.actor, tc.detail, tk); got != tc.want {
			t.Errorf("historyLine(%s) = %q, want %q", tc.change, got, tc.want)
		}
	}
}

func TestParseClick(t *testing.T) {
	fakeSrv := slackfake.New(slackfake.Config{})
	defer fakeSrv.Close()
	tests := []struct {
		name string
		c    slackfake.Click
		want click
		ok   bool
	}{
		{"claim", slackfake.Click{ActionID: actClaim, BlockID: "ob|T12|v3|a", Value: "T12|3"}, click{action: actClaim, ticket: "T12", version: 3}, true},
		{"snooze", slackfake.Click{ActionID: actSnooze, BlockID: "ob|T12|v3|a", Type: "static_select", Selected: "2h"}, click{action: actSnooze, ticket: "T12", version: 3, option: "2h"}, true},
		{"bad snooze", slackfake.Click{ActionID: actSnooze, BlockID: "ob|T12|v3|a", Type: "static_select", Selected: "forever"}, click{}, false},
		{"reassign", slackfake.Click{ActionID: actReassign, BlockID: "ob|T7|v1|a", Type: "users_select", Selected: "U0B"}, click{action: actReassign, ticket: "T7", version: 1, user: "U0B"}, true},
		{"forged ticket", slackfake.Click{ActionID: actClaim, BlockID: "x", Value: "<!channel>|1"}, click{}, false},
		{"unknown action", slackfake.Click{ActionID: "other", BlockID: "x", Value: "T1|1"}, click{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(fakeSrv.BlockActions(tc.c))
			ic, err := parseInteraction([]byte("payload=" + url.QueryEscape(string(body))))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := parseClick(ic.ActionCallback.BlockActions[0])
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseClick = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
