package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/twilio"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/internal/fakes/twiliofake"
	"github.com/orderbot/orderbot/notify"
	"github.com/orderbot/orderbot/notify/templates"
	"github.com/orderbot/orderbot/store"
)

const customerPhone = "+8613800138000"

// noticeHarness is a harness whose bot drives a real notifier sending
// through the real Twilio adapter to its fake.
func noticeHarness(t *testing.T) (*harness, *notify.Notifier, *twiliofake.Server) {
	t.Helper()
	tw := twiliofake.New(twiliofake.Options{})
	t.Cleanup(tw.Close)
	client, err := twilio.New(twilio.Options{
		Settings:   httpclient.Settings{APIURL: tw.URL(), RateLimit: -1, Logger: testLogger()},
		AccountSID: tw.AccountSID(), AuthToken: tw.AuthToken(),
		From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	var n *notify.Notifier
	h := newHarnessWith(t, func(h *harness, o *Options) {
		n, err = notify.New(h.st, notify.Options{
			Templates: templates.Builtin(), SMS: client, SMSName: "Twilio", Shop: "Demo Shop",
			Kinds: config.Default().KindSettings(), Clock: h.clock.Now, Logger: testLogger(),
			SendTimeout: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		o.Notices = n
	})
	return h, n, tw
}

// customerTicket saves an order with a Chinese mobile number and opens a
// stalled-parcel ticket for it.
func (h *harness) customerTicket(id string) orderbot.Ticket {
	h.t.Helper()
	o := orderbot.Order{ID: id, Source: "shopify", Name: "#" + id, Status: orderbot.OrderProcessing,
		Customer:        orderbot.Customer{Phone: customerPhone, Locale: "en", Timezone: "UTC"},
		ShippingAddress: orderbot.Address{Country: "CN"},
		Shipments:       []orderbot.ShipmentRef{{TrackingNumber: "SF" + id, Carrier: "sf-express"}},
		CreatedAt:       h.clock.Now(), UpdatedAt: h.clock.Now()}
	if err := h.st.SaveOrders(context.Background(), []orderbot.Order{o}); err != nil {
		h.t.Fatal(err)
	}
	return h.open(anomaly(orderbot.ShippingStalled, id))[0]
}

func TestNotifyCustomerFromTheCard(t *testing.T) {
	h, n, tw := noticeHarness(t)
	h.runPoster()
	ctx := context.Background()
	tk := h.customerTicket("5101")
	// A ticket that is not about one order gets no button.
	h.open(orderbot.Anomaly{Kind: orderbot.InventoryOversold, Subject: "SKU-1", Source: "erp", Summary: "oversold"})
	waitFor(t, 5*time.Second, "the cards", func() bool { return len(h.cards(chLogistics)) == 1 && len(h.cards(chWarehouse)) == 1 })
	if ids := strings.Join(h.cards(chWarehouse)[0].ActionIDs(), ","); strings.Contains(ids, actNotify) {
		t.Fatalf("an inventory card offers Notify customer: %s", ids)
	}
	card := h.cards(chLogistics)[0]
	click, ok := h.fake.FindElement(chLogistics, card.TS, actNotify)
	if !ok {
		t.Fatalf("no Notify customer button: %v", card.ActionIDs())
	}
	click.User = "U0ALICE"
	if resp, err := h.fake.PostClick(ctx, h.srv.URL+PathInteractions, click); err != nil || resp.Status != 200 {
		t.Fatalf("click: %v %v", resp, err)
	}
	waitFor(t, 3*time.Second, "the modal", func() bool { return len(h.fake.Views()) == 1 })
	view := h.fake.Views()[0]
	if strings.Contains(view.JSON, "13800138000") || !strings.Contains(view.JSON, orderbot.MaskPhone(customerPhone)) {
		t.Fatalf("the modal must show the number masked: %s", view.JSON)
	}
	if !strings.Contains(view.JSON, "#5101") || !strings.Contains(view.JSON, `"radio_buttons"`) {
		t.Fatalf("the modal lacks the preview or the channel choice: %s", view.JSON)
	}
	submit := func(user, channel string) string {
		resp, err := h.fake.PostViewSubmission(ctx, h.srv.URL+PathInteractions, user, view.ID,
			map[string]map[string]any{blockChannel: {actionChannel: slackfake.Selected(channel)}})
		if err != nil || resp.Status != 200 {
			t.Fatalf("submit: %v %v", resp, err)
		}
		var r struct {
			Errors map[string]string `json:"errors"`
		}
		json.Unmarshal(resp.Body, &r)
		return r.Errors[blockChannel]
	}
	if e := submit("U0ALICE", "fax"); !strings.Contains(e, "Choose") {
		t.Fatalf("garbage channel accepted: %q", e)
	}
	if e := submit("U0ALICE", "sms"); e != "" {
		t.Fatalf("submit refused: %s", e)
	}
	if e := submit("U0BOB", "sms"); !strings.Contains(e, "already") {
		t.Fatalf("a second manual notice was accepted: %q", e)
	}
	if _, err := n.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := tw.Messages(); len(msgs) != 1 || msgs[0].To != customerPhone {
		t.Fatalf("twilio got %+v", msgs)
	}
	waitFor(t, 5*time.Second, "the notice lines in the thread", func() bool {
		c := h.cards(chLogistics)[0]
		var all []string
		for _, r := range c.Replies {
			all = append(all, r.AllText())
		}
		text := strings.Join(all, "\n")
		return strings.Contains(text, "<@U0ALICE> is sending") && strings.Contains(text, "sent by SMS to "+orderbot.MaskPhone(customerPhone)) &&
			strings.Contains(text, "Provider id")
	})
	for _, r := range h.cards(chLogistics)[0].Replies {
		if strings.Contains(r.AllText(), "13800138000") {
			t.Fatalf("a thread line shows the raw number: %s", r.AllText())
		}
	}
	_ = tk
}

func TestUnknownNoticeButtonsInTheThread(t *testing.T) {
	h, n, tw := noticeHarness(t)
	h.runPoster()
	ctx := context.Background()
	tw.Inject(providerfake.Fault{Kind: providerfake.Slow})
	tk := h.customerTicket("5201") // stalled parcels notify on open
	if err := n.HandleChange(ctx, store.OutboxEntry{TicketID: tk.ID, Change: store.ChangeOpened}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	var reply slackfake.Message
	waitFor(t, 5*time.Second, "the unknown-outcome line", func() bool {
		cards := h.cards(chLogistics)
		if len(cards) != 1 {
			return false
		}
		for _, r := range cards[0].Replies {
			if strings.Contains(r.AllText(), "outcome unknown") {
				reply = r
				return true
			}
		}
		return false
	})
	click, ok := h.fake.FindElement(chLogistics, reply.TS, actNoticeResend)
	if !ok {
		t.Fatalf("no Resend button on %s", reply.AllText())
	}
	click.User = "U0ALICE"
	h.fake.PostClick(ctx, h.srv.URL+PathInteractions, click)
	id := store.NoticeID("5201|" + string(orderbot.ShippingStalled) + "|open")
	waitFor(t, 3*time.Second, "the resend", func() bool {
		got, _ := h.st.GetNotice(ctx, id)
		return got.State == store.NoticeQueued
	})
	// Mark sent on a notice that is no longer unknown: refused, said to the user.
	mark, _ := h.fake.FindElement(chLogistics, reply.TS, actNoticeMarkSent)
	mark.User = "U0BOB"
	h.fake.PostClick(ctx, h.srv.URL+PathInteractions, mark)
	waitFor(t, 3*time.Second, "the refusal", func() bool {
		for _, e := range h.fake.Ephemerals("U0BOB") {
			if strings.Contains(e.Text, "already queued") {
				return true
			}
		}
		return false
	})
	if _, err := n.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(tw.Messages()) != 1 {
		t.Fatalf("resend: twilio got %d messages", len(tw.Messages()))
	}
}
