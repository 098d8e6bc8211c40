package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// outboxLen is the length of the Slack outbox stream.
func (h *harness) outboxLen() int64 {
	n, _ := h.st.Client().XLen(context.Background(), "ob:{t}:outbox:"+store.OutboxTicketChanges).Result()
	return n
}

func TestForgedStaleOrOversizedRequestsChangeNothing(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxBodyBytes = 8 << 10 })
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "8001"))[0]
	ctx := context.Background()
	claim := h.fake.BlockActions(slackfake.Click{User: "U0EVE", Channel: chFinance, MessageTS: "1.1",
		ActionID: actClaim, BlockID: "ob|" + tk.ID + "|v1|a", Value: actionValue(tk)})
	payload, _ := json.Marshal(claim)
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	big := []byte(url.Values{"payload": {string(payload)}, "pad": {strings.Repeat("x", 9<<10)}}.Encode())
	target := h.srv.URL + PathInteractions

	tests := []struct {
		name   string
		build  func() *http.Request
		status int
	}{
		{"forged signature", func() *http.Request {
			r, _ := h.fake.SignedRequest(ctx, target, "application/x-www-form-urlencoded", body, time.Now())
			r.Header.Set("X-Slack-Signature", slackfake.Sign("not-the-secret", time.Now().Unix(), body))
			return r
		}, http.StatusUnauthorized},
		{"body changed after signing", func() *http.Request {
			r, _ := h.fake.SignedRequest(ctx, target, "application/x-www-form-urlencoded", body, time.Now())
			tampered := strings.Replace(string(body), "U0EVE", "U0MAL", 1)
			r2, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(tampered))
			r2.Header = r.Header
			return r2
		}, http.StatusUnauthorized},
		{"stale timestamp", func() *http.Request {
			r, _ := h.fake.SignedRequest(ctx, target, "application/x-www-form-urlencoded", body, time.Now().Add(-6*time.Minute))
			return r
		}, http.StatusUnauthorized},
		{"future timestamp", func() *http.Request {
			r, _ := h.fake.SignedRequest(ctx, target, "application/x-www-form-urlencoded", body, time.Now().Add(6*time.Minute))
			return r
		}, http.StatusUnauthorized},
		{"no signature headers", func() *http.Request {
			r, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, http.StatusUnauthorized},
		{"oversized body", func() *http.Request {
			r, _ := h.fake.SignedRequest(ctx, target, "application/x-www-form-urlencoded", big, time.Now())
			return r
		}, http.StatusRequestEntityTooLarge},
		{"query-string payload smuggling", func() *http.Request {
			empty := []byte("")
			r, _ := h.fake.SignedRequest(ctx, target+"?payload="+url.QueryEscape(string(payload)), "application/x-www-form-urlencoded", empty, time.Now())
			return r
		}, http.StatusBadRequest},
	}
	before := h.outboxLen()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := slackfake.Do(nil, tc.build())
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d (%s)", resp.Status, tc.status, resp.Body)
			}
		})
	}
	// Work after an ack is registered (wg.Add) before the response is written,
	// so once the answers are in, waiting for the bot's work group waits for
	// anything a rejected request might wrongly have started.
	h.bot.wg.Wait()
	after, err := h.st.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != tk.Version || after.Owner != "" {
		t.Fatalf("the ticket changed: %+v", after)
	}
	if h.outboxLen() != before {
		t.Fatal("rejected requests wrote to the outbox")
	}
	if n := len(h.fake.Calls("")); n != 0 {
		t.Fatalf("rejected requests made %d Slack calls", n)
	}
	// The same request, correctly signed, is accepted.
	resp, err := h.fake.PostInteraction(ctx, target, claim)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("valid request: %v %v", resp, err)
	}
	waitFor(t, 5*time.Second, "the claim", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.Owner == "U0EVE"
	})
}

func TestFiftyConcurrentClaims(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "9001"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	card := h.cards(chFinance)[0]
	click, ok := h.fake.FindElement(chFinance, card.TS, actClaim)
	if !ok {
		t.Fatal("no Claim button on the card")
	}
	const n = 50
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("U0CLICK%02d", i)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	acks := make([]time.Duration, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := click
			c.User = users[i]
			<-start
			resp, err := h.fake.PostClick(context.Background(), h.srv.URL+PathInteractions, c)
			if err != nil || resp.Status != http.StatusOK {
				t.Errorf("click %d: %v %v", i, resp, err)
				return
			}
			acks[i] = resp.Elapsed
		}(i)
	}
	close(start)
	wg.Wait()
	for i, d := range acks {
		if d > 3*time.Second {
			t.Errorf("click %d acked after %v", i, d)
		}
	}
	var owner string
	waitFor(t, 10*time.Second, "49 ephemeral answers", func() bool {
		got, _ := h.st.Get(context.Background(), tk.ID)
		owner = got.Owner
		return len(h.fake.Ephemerals("")) >= n-1
	})
	// Every click's work has finished (each was registered before its ack), so
	// no further answer can still arrive.
	h.bot.wg.Wait()
	eph := h.fake.Ephemerals("")
	if len(eph) != n-1 {
		t.Fatalf("%d ephemeral answers, want %d", len(eph), n-1)
	}
	winners := 0
	for _, u := range users {
		if u == owner {
			winners++
		}
	}
	if winners != 1 {
		t.Fatalf("owner %q is not exactly one of the clickers", owner)
	}
	for _, e := range eph {
		if e.User == owner {
			t.Fatalf("the winner got an ephemeral: %s", e.Text)
		}
		if !strings.Contains(e.AllText(), "claimed by <@"+owner+">") {
			t.Fatalf("ephemeral %q does not name the owner %s", e.Text, owner)
		}
	}
	waitFor(t, 5*time.Second, "the card to show the owner", func() bool {
		c := h.cards(chFinance)[0]
		return strings.Contains(c.AllText(), "<@"+owner+">") && len(c.Replies) == 1
	})
}

func TestResolveModal(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentDuplicate, "9101"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	card := h.cards(chFinance)[0]
	click, _ := h.fake.FindElement(chFinance, card.TS, actResolve)
	click.User = "U0ALICE"
	ctx := context.Background()
	if resp, err := h.fake.PostClick(ctx, h.srv.URL+PathInteractions, click); err != nil || resp.Status != 200 {
		t.Fatalf("click: %v %v", resp, err)
	}
	waitFor(t, 3*time.Second, "the modal", func() bool { return len(h.fake.Views()) == 1 })
	view := h.fake.Views()[0]
	for _, code := range []string{"refunded", "kept_with_consent", "false_positive", "other"} {
		if !strings.Contains(view.JSON, `"value":"`+code+`"`) {
			t.Errorf("the modal lacks the code %s", code)
		}
	}
	tests := []struct {
		name   string
		code   string
		errors bool
	}{
		{"code of another kind", "order_marked_paid", true},
		{"no code", "", true},
		{"valid", "refunded", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]map[string]any{blockNote: {actionNote: "refund <!channel> sent"}}
			if tc.code != "" {
				vals[blockCode] = map[string]any{actionCode: slackfake.Selected(tc.code)}
			}
			resp, err := h.fake.PostViewSubmission(ctx, h.srv.URL+PathInteractions, "U0ALICE", view.ID, vals)
			if err != nil || resp.Status != 200 {
				t.Fatalf("submit: %v %v", resp, err)
			}
			var r struct {
				Action string            `json:"response_action"`
				Errors map[string]string `json:"errors"`
			}
			json.Unmarshal(resp.Body, &r)
			if tc.errors != (r.Action == "errors" && r.Errors[blockCode] != "") {
				t.Fatalf("ack body %s, want errors=%v", resp.Body, tc.errors)
			}
		})
	}
	got, _ := h.st.Get(ctx, tk.ID)
	if got.State != orderbot.StateResolved || got.Resolution == nil || got.Resolution.Code != "refunded" || got.Resolution.By != "U0ALICE" {
		t.Fatalf("ticket after resolve: %+v", got)
	}
	// Submitting again (a second person, a stale form) is refused in the form.
	resp, _ := h.fake.PostViewSubmission(ctx, h.srv.URL+PathInteractions, "U0BOB", view.ID,
		map[string]map[string]any{blockCode: {actionCode: slackfake.Selected("other")}})
	if !strings.Contains(string(resp.Body), "is resolved") {
		t.Fatalf("second resolve: %s", resp.Body)
	}
	waitFor(t, 5*time.Second, "the resolved card", func() bool {
		c := h.cards(chFinance)[0]
		return strings.Join(c.ActionIDs(), ",") == actReopen && len(c.Replies) == 1 &&
			strings.Contains(c.Replies[0].AllText(), "refund &lt;!channel&gt; sent")
	})
	// Reopen from the card.
	c, _ := h.fake.FindElement(chFinance, card.TS, actReopen)
	c.User = "U0BOB"
	h.fake.PostClick(ctx, h.srv.URL+PathInteractions, c)
	waitFor(t, 5*time.Second, "the reopen", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.State == orderbot.StateOpen
	})
}

func TestClicksNeedPermission(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		d := o.Departments["finance"]
		d.AllowedGroups = []string{"S0FIN"}
		o.Departments["finance"] = d
	})
	h.fake.SetUserGroup("S0FIN", "U0ALICE")
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "9201"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	card := h.cards(chFinance)[0]
	ctx := context.Background()
	click, _ := h.fake.FindElement(chFinance, card.TS, actClaim)
	for _, u := range []string{"U0MALLORY", "U0ALICE"} {
		c := click
		c.User = u
		h.fake.PostClick(ctx, h.srv.URL+PathInteractions, c)
	}
	waitFor(t, 5*time.Second, "the answers", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.Owner == "U0ALICE" && len(h.fake.Ephemerals("U0MALLORY")) == 1
	})
	if txt := h.fake.Ephemerals("U0MALLORY")[0].AllText(); !strings.Contains(txt, "may not act on finance tickets") {
		t.Fatalf("refusal = %q", txt)
	}
	// Group membership was fetched once for both clicks.
	if n := len(h.fake.Calls("usergroups.users.list")); n != 1 {
		t.Fatalf("usergroups.users.list called %d times, want 1 (cached)", n)
	}
}

func TestSnoozeReassignEscalateButtons(t *testing.T) {
	h := newHarness(t, nil)
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "9301"))[0]
	waitFor(t, 5*time.Second, "the card", func() bool { return len(h.cards(chFinance)) == 1 })
	ts := h.cards(chFinance)[0].TS
	ctx := context.Background()
	do := func(action, selected string) {
		t.Helper()
		c, ok := h.fake.FindElement(chFinance, ts, action)
		if !ok {
			t.Fatalf("no %s on the card", action)
		}
		c.User, c.Selected = "U0ALICE", selected
		if resp, err := h.fake.PostClick(ctx, h.srv.URL+PathInteractions, c); err != nil || resp.Status != 200 {
			t.Fatalf("%s: %v %v", action, resp, err)
		}
	}
	do(actSnooze, snoozeTomorrow)
	waitFor(t, 5*time.Second, "the snooze", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.State == orderbot.StateSnoozed
	})
	got, _ := h.st.Get(ctx, tk.ID)
	if want := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC); !got.SnoozedUntil.Equal(want) {
		t.Fatalf("snoozed until %v, want %v", got.SnoozedUntil, want)
	}
	waitFor(t, 5*time.Second, "the snoozed card", func() bool {
		return strings.Contains(h.cards(chFinance)[0].AllText(), "SLA clocks are paused")
	})
	do(actReassign, "U0BOB")
	waitFor(t, 5*time.Second, "the reassign", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.Owner == "U0BOB" && got.State == orderbot.StateClaimed
	})
	waitFor(t, 5*time.Second, "the claimed card", func() bool {
		return strings.Contains(strings.Join(h.cards(chFinance)[0].ActionIDs(), ","), actRelease)
	})
	do(actEscalate, "")
	waitFor(t, 5*time.Second, "the escalation post", func() bool {
		for _, m := range h.cards(chEscalate) {
			if strings.Contains(m.AllText(), tk.ID) && strings.Contains(m.AllText(), "Escalated by <@U0ALICE>") {
				return true
			}
		}
		return false
	})
	do(actRelease, "")
	waitFor(t, 5*time.Second, "the release", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.State == orderbot.StateOpen && got.Owner == ""
	})
	waitFor(t, 5*time.Second, "the history", func() bool { return len(h.cards(chFinance)[0].Replies) == 4 })
}

// stubDirectory and stubOpener stand in for the ticket engine.
type stubDirectory struct{ views map[string]orderbot.OrderView }

func (d stubDirectory) FindOrder(_ context.Context, q string) (orderbot.OrderView, error) {
	if v, ok := d.views[q]; ok {
		return v, nil
	}
	return orderbot.OrderView{}, orderbot.Errorf(orderbot.KindNotFound, "test.find_order", "no order matches %q", q)
}

type stubOpener struct{ h *harness }

func (o stubOpener) OpenManual(_ context.Context, orderRef string, kind orderbot.Kind, noteText, actor string) (orderbot.Ticket, error) {
	if orderRef == "missing" {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindNotFound, "test.open_manual", "order %s was not found", orderRef)
	}
	a := anomaly(kind, orderRef)
	a.Summary = "Opened by hand: " + noteText
	return o.h.open(a)[0], nil
}

func TestSlashCommands(t *testing.T) {
	h := newHarness(t, nil)
	h.bot.dir = stubDirectory{views: map[string]orderbot.OrderView{"1001": {Order: orderbot.Order{
		ID: "1001", Name: "#1001", Source: "shopify", Status: orderbot.OrderProcessing,
		Customer: orderbot.Customer{Name: "Li Lei", Phone: "13812345678"},
	}}}}
	h.bot.opener = stubOpener{h: h}
	h.bot.opts.Knowledge = &tickets.Knowledge{Store: h.st}
	h.bot.opts.Stats = &analytics.Model{Rollups: h.st, Location: h.bot.opts.Location}
	h.runPoster()
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "1001"))[0]
	ctx := context.Background()
	target := h.srv.URL + PathCommands

	usageTests := []struct{ text, note string }{
		{"", ""},
		{"help", ""},
		{"frobnicate the widgets", "I don't know `frobnicate`"},
		{"<!channel>", "I don't know `&lt;!channel&gt;`"},
		{"order", "needs an order id"},
		{"ticket", "needs one ticket id"},
		{"ticket 42 43", "needs one ticket id"},
		{"tickets dept:nowhere", "no department `nowhere`"},
		{"tickets kind:no.such", "no kind `no.such`"},
		{"tickets everything", "`everything` is not a ticket filter"},
		{"open 1001", "needs an order and a kind"},
		{"open 1001 shipping.lost_in_space", "no kind `shipping.lost_in_space`"},
		{"kb", "`kb` needs one kind"},
		{"stats forever", "`stats` takes a period (today, 7d, 30d, week, month)"},
		{"stats 7d 30d", "`stats` takes a period"},
		{"stats by colour", "`stats` takes a period"},
		{"kb payment.teleported", "no kind `payment.teleported`"},
		{"\x00\x01 ☃ " + strings.Repeat("x", 3000), "I don't know"},
	}
	for _, tc := range usageTests {
		t.Run("usage "+tc.text[:min(len(tc.text), 20)], func(t *testing.T) {
			resp, err := h.fake.PostCommand(ctx, target, slackfake.Command{User: "U0ALICE", Channel: chFinance, Text: tc.text})
			if err != nil || resp.Status != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			var r struct {
				ResponseType string          `json:"response_type"`
				Blocks       json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(resp.Body, &r); err != nil {
				t.Fatalf("ack body %s: %v", resp.Body, err)
			}
			b := []byte(r.Blocks)
			text := slackfake.Message{BlocksJSON: string(b)}.AllText()
			if r.ResponseType != "ephemeral" || !strings.Contains(text, "/ob order &lt;id|tracking|phone|email&gt;") || !strings.Contains(text, tc.note) {
				t.Fatalf("reply %s lacks usage or %q", text, tc.note)
			}
			if err := slackfake.ValidateMessageBlocks(b); err != nil {
				t.Fatal(err)
			}
		})
	}

	run := func(text string) slackfake.Ephemeral {
		t.Helper()
		before := len(h.fake.Ephemerals("U0ALICE"))
		resp, err := h.fake.PostCommand(ctx, target, slackfake.Command{User: "U0ALICE", Channel: chFinance, Text: text})
		if err != nil || resp.Status != 200 || len(resp.Body) != 0 {
			t.Fatalf("%s: %v %v %s", text, resp, err, resp.Body)
		}
		waitFor(t, 5*time.Second, "the answer to "+text, func() bool { return len(h.fake.Ephemerals("U0ALICE")) > before })
		return h.fake.Ephemerals("U0ALICE")[before]
	}
	if e := run("ticket " + strings.ToLower(tk.ID)); !strings.Contains(e.AllText(), "Payment not recorded: 1001") || !strings.Contains(strings.Join(e.ActionIDs(), ","), actClaim) {
		t.Fatalf("ticket view: %s", e.AllText())
	}
	if e := run("ticket T999"); !strings.Contains(e.AllText(), "T999 does not exist") {
		t.Fatalf("missing ticket: %s", e.AllText())
	}
	if e := run("tickets open kind:payment.unrecorded"); !strings.Contains(e.AllText(), tk.ID) {
		t.Fatalf("list: %s", e.AllText())
	}
	if e := run("tickets mine"); !strings.Contains(e.AllText(), "No tickets match") {
		t.Fatalf("mine: %s", e.AllText())
	}
	if e := run("order 1001"); !strings.Contains(e.AllText(), "Order #1001") || strings.Contains(e.AllText(), "13812345678") || !strings.Contains(e.AllText(), "138****5678") {
		t.Fatalf("order view: %s", e.AllText())
	}
	if e := run("order zhang@example.com"); strings.Contains(e.AllText(), "zhang@") || !strings.Contains(e.AllText(), "No order matches") {
		t.Fatalf("order miss echoes the query or says the wrong thing: %s", e.AllText())
	}
	e := run("open 5555 shipping.not_received customer says <!here> nothing came")
	if !strings.Contains(e.AllText(), "Parcel not received for 5555 is open") || !strings.Contains(e.AllText(), "<#"+chSupport+">") {
		t.Fatalf("open: %s", e.AllText())
	}
	waitFor(t, 5*time.Second, "the manual ticket's card", func() bool { return len(h.cards(chSupport)) == 1 })
	if txt := h.cards(chSupport)[0].AllText(); !strings.Contains(txt, "&lt;!here&gt;") {
		t.Fatalf("manual ticket card: %s", txt)
	}
	if e := run("open missing shipping.not_received"); !strings.Contains(e.AllText(), "Order missing was not found") {
		t.Fatalf("open of a missing order: %s", e.AllText())
	}
	// Statistics: what opened today, by kind and department.
	if txt := run("stats").AllText(); !strings.Contains(txt, "2 tickets opened today* (new)") ||
		!strings.Contains(txt, "Payment not recorded: 1 opened · 0 resolved by staff, 0 automatically") ||
		!strings.Contains(txt, "*finance*: 1 opened") {
		t.Fatalf("stats: %s", txt)
	}
	if txt := run("stats 30d").AllText(); !strings.Contains(txt, "in the last 30 days") {
		t.Fatalf("stats 30d: %s", txt)
	}
	if txt := run("stats month by source").AllText(); !strings.Contains(txt, "this month") || !strings.Contains(txt, "*By source*") ||
		!strings.Contains(txt, "shopify ×") {
		t.Fatalf("stats month by source: %s", txt)
	}
	if txt := run("stats week by sku").AllText(); !strings.Contains(txt, "*Top SKUs*") {
		t.Fatalf("stats week by sku: %s", txt)
	}
	// Money at risk: /ob tickets top ranks by it, /ob stats sums it.
	small := anomaly(orderbot.PaymentDuplicate, "2001")
	small.AtRisk = orderbot.Money{Minor: 1500, Currency: "USD"}
	big := anomaly(orderbot.SyncAmountMismatch, "2002")
	big.AtRisk = orderbot.Money{Minor: 990000, Currency: "USD"}
	risky := h.open(small, big)
	txt := run("tickets top").AllText()
	iBig, iSmall := strings.Index(txt, risky[1].ID), strings.Index(txt, risky[0].ID)
	if iBig < 0 || iSmall < 0 || iBig > iSmall || !strings.Contains(txt, "9900.00 USD at risk") {
		t.Fatalf("tickets top: %s", txt)
	}
	if txt := run("stats").AllText(); !strings.Contains(txt, "Money at risk") || !strings.Contains(txt, "9915.00 USD") {
		t.Fatalf("stats at risk: %s", txt)
	}
	// The knowledge base: how tickets of a kind were resolved, with notes.
	if e := run("kb payment.unrecorded"); !strings.Contains(e.AllText(), "No ticket of this kind has been resolved by staff yet") {
		t.Fatalf("kb before any resolution: %s", e.AllText())
	}
	if _, _, err := h.st.Transition(ctx, tk.ID, store.Transition{Action: orderbot.ActResolve, Actor: "U0BOB",
		Resolution: &orderbot.Resolution{Code: "order_marked_paid", Note: "webhook lost; marked paid <!channel>"}}); err != nil {
		t.Fatal(err)
	}
	e = run("KB Payment.Unrecorded")
	if txt := e.AllText(); !strings.Contains(txt, "Payment not recorded") || !strings.Contains(txt, "Order marked paid ×1") ||
		!strings.Contains(txt, "webhook lost; marked paid &lt;!channel&gt;") || !strings.Contains(txt, "<@U0BOB>") {
		t.Fatalf("kb: %s", txt)
	}
}

func TestEventsChallengeAndRedeliveries(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	target := h.srv.URL + PathEvents
	resp, err := h.fake.PostEvent(ctx, target, []byte(`{"type":"url_verification","token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`), 0)
	if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
		t.Fatalf("challenge: %v %v %s", resp, err, resp.Body)
	}
	ev := []byte(`{"type":"event_callback","team_id":"T0FAKE","event_id":"Ev0001","event":{"type":"app_mention","text":"hi"}}`)
	for retry := 0; retry < 4; retry++ {
		resp, err := h.fake.PostEvent(ctx, target, ev, retry)
		if err != nil || resp.Status != 200 {
			t.Fatalf("delivery %d: %v %v", retry, resp, err)
		}
	}
	if n := h.bot.eventsHandled.Load(); n != 1 {
		t.Fatalf("event handled %d times over 4 deliveries, want 1", n)
	}
	resp, _ = h.fake.PostEvent(ctx, target, []byte(`{"type":"event_callback"`), 0)
	if resp.Status != http.StatusBadRequest || resp.Header.Get("X-Slack-No-Retry") != "1" {
		t.Fatalf("malformed event: %d", resp.Status)
	}
}

func TestReady(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.bot.Ready(context.Background()); err != nil {
		t.Fatalf("ready: %v", err)
	}
	bad, err := New(Options{BotToken: "xoxb-wrong", SigningSecret: "s", APIURL: h.fake.APIURL(), Logger: testLogger()}, h.st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Ready(context.Background())
	if !orderbot.IsKind(err, orderbot.KindUnauthorized) {
		t.Fatalf("ready with a wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "xoxb-wrong") {
		t.Fatal("the error shows the token")
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"minimal", Options{BotToken: "xoxb-secret", SigningSecret: "y"}, true},
		{"no token", Options{SigningSecret: "y"}, false},
		{"no secret", Options{BotToken: "x"}, false},
		{"socket mode needs no secret", Options{BotToken: "x", AppToken: "xapp"}, true},
		{"department without channel", Options{BotToken: "x", SigningSecret: "y", Departments: map[string]Department{"finance": {}}}, false},
		{"bad step", Options{BotToken: "x", SigningSecret: "y", Escalation: []EscalationStep{{Action: "page_the_ceo"}}}, false},
		{"steps out of order", Options{BotToken: "x", SigningSecret: "y", Escalation: []EscalationStep{{After: time.Hour, Action: EscalateMentionLeads}, {After: time.Minute, Action: EscalatePostChannel}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.o.withDefaults()
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err == nil && (!strings.HasSuffix(o.APIURL, "/") || o.Command != "/ob" || o.StormThreshold != 4) {
				t.Fatalf("defaults: %+v", o)
			}
			if s := fmt.Sprint(tc.o) + fmt.Sprintf("%v %s", o, o); strings.Contains(s, "xoxb-secret") {
				t.Fatal("options print a token")
			}
		})
	}
	if got := (Options{}).SweepSteps(); len(got) != 2 || got[1] != 30*time.Minute {
		t.Fatalf("default sweep steps %v", got)
	}
}
