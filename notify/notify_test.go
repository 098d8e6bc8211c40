package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/smtp"
	"github.com/orderbot/orderbot/internal/fakes/memory"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/smtpfake"
	"github.com/orderbot/orderbot/store"
)

func TestAutomaticNoticeOnOpenGoesBySMS(t *testing.T) {
	e := newEnv(t, nil)
	tk, change := e.open(order("1001"), orderbot.ShippingStalled)
	if err := e.n.HandleChange(context.Background(), change); err != nil {
		t.Fatal(err)
	}
	if got := e.deliver(); got != 1 {
		t.Fatalf("delivered %d, want 1", got)
	}
	msgs := e.twilio.Messages()
	if len(msgs) != 1 {
		t.Fatalf("twilio got %d messages", len(msgs))
	}
	if msgs[0].To != "+8613800138000" || !strings.Contains(msgs[0].Body, "#1001") || !strings.Contains(msgs[0].Body, "Demo Shop") {
		t.Fatalf("sms %+v", msgs[0])
	}
	lines := e.lines()
	if len(lines) != 2 || lines[0].Payload["state"] != "queued" || lines[1].Payload["state"] != "sent" {
		t.Fatalf("thread lines %+v", lines)
	}
	for _, l := range lines {
		if l.TicketID != tk.ID || strings.Contains(l.Payload["to"], "13800138000") || l.Payload["to"] == "" {
			t.Fatalf("line %+v: want the ticket and a masked recipient", l)
		}
	}
	if lines[1].Payload["pid"] != msgs[0].SID {
		t.Fatalf("provider id %q, want %q", lines[1].Payload["pid"], msgs[0].SID)
	}
	// The same event again (a replayed change, a reopen) sends nothing more.
	e.n.HandleChange(context.Background(), change)
	e.n.HandleChange(context.Background(), store.OutboxEntry{TicketID: tk.ID, Change: store.ChangeReopened})
	e.deliver()
	if n := len(e.twilio.Messages()); n != 1 {
		t.Fatalf("twilio got %d messages after replays, want 1", n)
	}
}

func TestKindSwitchesAndEvents(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// payment.unrecorded has no automatic notice; inventory kinds have no order.
	tk, change := e.open(order("2001"), orderbot.PaymentUnrecorded)
	if err := e.n.HandleChange(ctx, change); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.n.OnTicketEvent(ctx, tk, orderbot.NoticeOpen); ok {
		t.Fatal("payment.unrecorded has notices off on open")
	}
	if e.deliver() != 0 || len(e.lines()) != 0 {
		t.Fatal("a notice went out for a kind that has none")
	}
	cases := []struct {
		e    store.OutboxEntry
		want orderbot.NoticeEvent
		ok   bool
	}{
		{store.OutboxEntry{Change: store.ChangeOpened}, orderbot.NoticeOpen, true},
		{store.OutboxEntry{Change: store.ChangeAutoResolved}, orderbot.NoticeResolve, true},
		{store.OutboxEntry{Change: store.ChangeAckBreach, Payload: map[string]string{"step": "0"}}, orderbot.NoticeBreach, true},
		{store.OutboxEntry{Change: store.ChangeAckBreach, Payload: map[string]string{"step": "1"}}, orderbot.NoticeBreach, false},
		{store.OutboxEntry{Change: store.ChangeClaimed}, "", false},
		{store.OutboxEntry{Change: store.ChangeNotice}, "", false},
	}
	for _, c := range cases {
		got, ok := EventFor(c.e)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("EventFor(%s %v) = %s %v, want %s %v", c.e.Change, c.e.Payload, got, ok, c.want, c.ok)
		}
	}
}

// Quiet hours defer a notice to their end in the customer's zone; it is never
// dropped, and it goes out once they end.
func TestQuietHoursDeferNeverDrop(t *testing.T) {
	e := newEnv(t, nil)
	e.clock.Set(time.Date(2026, 3, 3, 23, 30, 0, 0, shanghai))
	_, change := e.open(order("1002"), orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	if e.deliver() != 0 || len(e.twilio.Messages()) != 0 {
		t.Fatal("sent during quiet hours")
	}
	lines := e.lines()
	if len(lines) != 1 || !strings.Contains(lines[0].Payload["detail"], "08:00") {
		t.Fatalf("thread lines %+v, want one saying 08:00", lines)
	}
	e.clock.Set(time.Date(2026, 3, 4, 7, 59, 0, 0, shanghai))
	if e.deliver() != 0 {
		t.Fatal("sent before quiet hours ended")
	}
	e.clock.Set(time.Date(2026, 3, 4, 8, 0, 0, 0, shanghai))
	if e.deliver() != 1 || len(e.twilio.Messages()) != 1 {
		t.Fatal("not sent when quiet hours ended")
	}
	// A customer in New York is judged in their own zone: 23:30 in Shanghai is
	// 10:30 there.
	o := order("1003")
	o.Customer.Timezone = "America/New_York"
	o.Customer.Phone, o.ShippingAddress.Country = "+1 212 555 0188", "US"
	e.clock.Set(time.Date(2026, 3, 4, 23, 30, 0, 0, shanghai))
	_, ch := e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), ch)
	if e.deliver() != 1 {
		t.Fatal("a customer outside their quiet hours waited")
	}
	// An order without a zone is judged in its phone number's zone (the
	// default zone, UTC, would say 15:30 and send at once).
	o = order("1010")
	o.Customer.Timezone = ""
	_, ch = e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), ch)
	if e.deliver() != 0 {
		t.Fatal("a +86 customer without a time zone got a notice at 23:30 Shanghai time")
	}
	if got := e.notice(store.NoticeID("1010|" + string(orderbot.ShippingStalled) + "|open")); got.Zone != "Asia/Shanghai" ||
		!got.Due.Equal(time.Date(2026, 3, 5, 8, 0, 0, 0, shanghai)) {
		t.Fatalf("zone %s due %v", got.Zone, got.Due)
	}
}

// Racing triggers from several replicas — automatic events and staff clicks —
// make one notice per order, kind and template, sent once.
func TestAtMostOnceUnderConcurrentTriggers(t *testing.T) {
	e := newEnv(t, nil)
	tk, change := e.open(order("1004"), orderbot.ShippingStalled)
	replicas := []*Notifier{e.n, e.notifier(e.opts), e.notifier(e.opts)}
	var wg sync.WaitGroup
	for i := range 30 {
		r := replicas[i%len(replicas)]
		wg.Go(func() {
			if err := r.HandleChange(context.Background(), change); err != nil {
				t.Error(err)
			}
			if _, err := r.DeliverDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, _, err := r.Notify(context.Background(), tk.ID, "", "U1"); err != nil {
				t.Error(err)
			}
			if _, err := r.DeliverDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.deliver()
	if n := len(e.twilio.Messages()); n != 2 {
		t.Fatalf("twilio got %d messages, want 2 (one open notice, one manual)", n)
	}
	notices, _ := e.st.TicketNotices(context.Background(), tk.ID)
	if len(notices) != 2 {
		t.Fatalf("%d notices, want 2", len(notices))
	}
}

// Without a mobile number the notice goes by email; hostile order data cannot
// inject headers, markup or mrkdwn.
func TestEmailFallbackAndHostileInput(t *testing.T) {
	e := newEnv(t, nil)
	o := order("1005")
	o.Customer.Phone, o.ShippingAddress.Phone = "+86 21 6123 4567", "" // a Shanghai landline
	o.Customer.Locale = "en"
	o.Name = "#1005\r\nBcc: victim@evil.example <script>alert(1)</script> *bold* <!channel>"
	o.Customer.Name = "Eve\r\nX-Injected: yes"
	_, change := e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	if e.deliver() != 1 {
		t.Fatal("not delivered")
	}
	if len(e.twilio.Messages()) != 0 {
		t.Fatal("a landline got an SMS")
	}
	mails := e.sg.Messages()
	if len(mails) != 1 {
		t.Fatalf("sendgrid got %d mails", len(mails))
	}
	m := mails[0]
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("subject carries a line break: %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Fatalf("html not escaped: %s", m.HTML)
	}
	if !strings.Contains(m.Text, "*bold* <!channel>") {
		t.Fatalf("text should carry the name literally: %s", m.Text)
	}
	if len(m.To) != 1 || m.To[0] != "xm@example.com" {
		t.Fatalf("to %v", m.To)
	}
}

func TestNoReachableContactIsSaidOnTheTicket(t *testing.T) {
	e := newEnv(t, nil)
	o := order("1006")
	o.Customer.Phone, o.Customer.Email = "12", "not an address"
	_, change := e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	e.deliver()
	lines := e.lines()
	if len(lines) != 1 || lines[0].Payload["state"] != "skipped" ||
		!strings.Contains(lines[0].Payload["detail"], "not a valid mobile number") ||
		!strings.Contains(lines[0].Payload["detail"], "email address is not valid") {
		t.Fatalf("lines %+v", lines)
	}
}

func TestOptOutsAreHonoured(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.OptOut = []string{"+8613800138000"} })
	_, change := e.open(order("1007"), orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	e.deliver()
	if len(e.twilio.Messages()) != 0 {
		t.Fatal("an opted-out number got an SMS")
	}
	if l := e.lines(); len(l) != 1 || !strings.Contains(l[0].Payload["detail"], "opt-out") {
		t.Fatalf("lines %+v", l)
	}
	// A customer who declined at the shop.
	o := order("1008")
	o.Customer.OptOut = true
	o.Customer.Phone = "+8613900139000"
	_, change = e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	e.deliver()
	if len(e.twilio.Messages()) != 0 {
		t.Fatal("a customer who declined at the shop got an SMS")
	}
	// Twilio 21610 (replied STOP): failed, and the number joins the opt-out list.
	e2 := newEnv(t, nil)
	e2.twilio.OptOut("+8613800138000")
	tk, change := e2.open(order("1009"), orderbot.ShippingStalled)
	e2.n.HandleChange(context.Background(), change)
	e2.deliver()
	notices, _ := e2.st.TicketNotices(context.Background(), tk.ID)
	if len(notices) != 1 || notices[0].State != store.NoticeFailed || !strings.Contains(notices[0].Detail, "21610") {
		t.Fatalf("notice %+v", notices)
	}
	if out, _ := e2.st.OptedOut(context.Background(), "+8613800138000"); !out {
		t.Fatal("a STOP reply did not add the number to the opt-out list")
	}
}

func TestDailyCapDefersToTomorrow(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.DailyCap = 2 })
	var ids []string
	for _, id := range []string{"1101", "1102", "1103"} {
		_, change := e.open(order(id), orderbot.ShippingStalled)
		e.n.HandleChange(context.Background(), change)
		e.deliver()
		ids = append(ids, store.NoticeID(id+"|"+string(orderbot.ShippingStalled)+"|open"))
	}
	if n := len(e.twilio.Messages()); n != 2 {
		t.Fatalf("sent %d on one day, want the cap of 2", n)
	}
	third := e.notice(ids[2])
	want := time.Date(2026, 3, 4, 8, 0, 0, 0, shanghai) // midnight is quiet: 08:00
	if third.State != store.NoticeQueued || !third.Due.Equal(want) {
		t.Fatalf("third notice %s due %v, want queued for %v", third.State, third.Due.In(shanghai), want)
	}
	e.clock.Set(want)
	if e.deliver() != 1 || len(e.twilio.Messages()) != 3 {
		t.Fatal("the capped notice did not go out the next day")
	}
}

// Provider refusals become clear ticket notes; a definite "not sent" that can
// pass later is queued again, a refusal for good fails.
func TestProviderErrorsBecomeTicketNotes(t *testing.T) {
	t.Run("twilio 21211 invalid number", func(t *testing.T) {
		e := newEnv(t, nil)
		tk, _ := e.open(order("1201"), orderbot.ShippingStalled)
		// A number Twilio rejects (the fake answers 21211 for non-E.164).
		nt := e.queueRaw(tk, "sms", "+8612", "x")
		e.deliver()
		if got := e.notice(nt); got.State != store.NoticeFailed || !strings.Contains(got.Detail, "21211") {
			t.Fatalf("notice %+v", got)
		}
	})
	t.Run("twilio 429 retried later", func(t *testing.T) {
		e := newEnv(t, nil)
		e.twilio.Inject(providerfake.Fault{Kind: providerfake.RateLimited})
		tk, change := e.open(order("1202"), orderbot.ShippingStalled)
		e.n.HandleChange(context.Background(), change)
		e.deliver()
		id := store.NoticeID("1202|" + string(orderbot.ShippingStalled) + "|open")
		got := e.notice(id)
		if got.State != store.NoticeQueued || !strings.Contains(got.Detail, "rate limiting") || !strings.Contains(got.Detail, "again") {
			t.Fatalf("after 429: %+v", got)
		}
		e.clock.Set(e.clock.Now().Add(2 * time.Minute))
		e.deliver()
		if got := e.notice(id); got.State != store.NoticeSent || len(e.twilio.Messages()) != 1 {
			t.Fatalf("after retry: %+v", got)
		}
		_ = tk
	})
	t.Run("sendgrid 400 and 429", func(t *testing.T) {
		e := newEnv(t, nil)
		o := order("1203")
		tk, _ := e.open(o, orderbot.ShippingStalled)
		bad := e.queueRaw(tk, "email", "customer@localhost", "Order update") // SendGrid answers 400
		e.deliver()
		if got := e.notice(bad); got.State != store.NoticeFailed || !strings.Contains(strings.ToLower(got.Detail), "sendgrid") {
			t.Fatalf("400: %+v", got)
		}
		e.sg.Inject(providerfake.Fault{Kind: providerfake.RateLimited})
		tk2, _ := e.open(order("1204"), orderbot.ShippingOverdue)
		ok := e.queueRaw(tk2, "email", "xm@example.com", "Order update")
		e.deliver()
		if got := e.notice(ok); got.State != store.NoticeQueued {
			t.Fatalf("429: %+v", got)
		}
	})
	t.Run("alibaba codes", func(t *testing.T) {
		e := newEnv(t, nil)
		fake := e.aliyun(map[string]string{"shipping.stalled/open": "SMS_100001", "shipping.overdue/open": "SMS_100002"})
		tk, change := e.open(order("1205"), orderbot.ShippingStalled)
		e.n.HandleChange(context.Background(), change)
		e.deliver()
		msgs := fake.Messages()
		if len(msgs) != 1 || msgs[0].TemplateCode != "SMS_100001" || msgs[0].TemplateParams["order"] != "#1205" {
			t.Fatalf("alibaba got %+v", msgs)
		}
		// The fake allows one SMS per number per minute: the next is
		// isv.BUSINESS_LIMIT_CONTROL, a definite "not sent" tried later.
		_, change2 := e.open(order("1206"), orderbot.ShippingOverdue)
		e.n.HandleChange(context.Background(), change2)
		e.deliver()
		limited := e.notice(store.NoticeID("1206|" + string(orderbot.ShippingOverdue) + "|open"))
		if limited.State != store.NoticeQueued || !strings.Contains(limited.Detail, "frequency limit") {
			t.Fatalf("limited: %+v", limited)
		}
		bad := e.queueRaw(tk, "sms", "+86123", "x")
		e.deliver()
		if got := e.notice(bad); got.State != store.NoticeFailed || !strings.Contains(got.Detail, "invalid") {
			t.Fatalf("illegal number: %+v", got)
		}
		// A kind without an approved template code goes by email.
		_, change3 := e.open(order("1207"), orderbot.ShippingException)
		e.n.HandleChange(context.Background(), change3)
		e.deliver()
		if len(e.sg.Messages()) != 1 {
			t.Fatal("no email for a kind without an Alibaba template code")
		}
	})
}

// A send whose outcome is unknown (the provider took the request and never
// answered) is marked unknown and never sent again by itself; staff settle it.
func TestUnknownOutcomeIsNeverResentBlindly(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SendTimeout = 300 * time.Millisecond })
	e.twilio.Inject(providerfake.Fault{Kind: providerfake.Slow})
	tk, change := e.open(order("1301"), orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	e.deliver()
	id := store.NoticeID("1301|" + string(orderbot.ShippingStalled) + "|open")
	got := e.notice(id)
	if got.State != store.NoticeUnknown || !strings.Contains(got.Detail, "may have been sent") {
		t.Fatalf("notice %+v", got)
	}
	e.clock.Set(e.clock.Now().Add(48 * time.Hour))
	e.deliver()
	if n := len(e.twilio.Messages()); n != 0 {
		t.Fatalf("an unknown notice was resent by itself (%d messages)", n)
	}
	if _, err := e.n.Resend(context.Background(), id, "U1"); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	if n := len(e.twilio.Messages()); n != 1 {
		t.Fatalf("resend: %d messages", n)
	}
	if _, err := e.n.MarkSent(context.Background(), id, "U1"); !orderbot.IsKind(err, orderbot.KindConflict) {
		t.Fatalf("mark sent on a sent notice: %v", err)
	}
	_ = tk
}

// queueRaw stores a notice to a given recipient directly, as the notifier
// would after choosing it, to drive provider refusals.
func (e *env) queueRaw(tk orderbot.Ticket, channel, to, subject string) string {
	e.t.Helper()
	msg := `{"To":"` + to + `","Subject":"` + subject + `","Text":"Your order has an update.","HTML":"<p>Your order has an update.</p>","TemplateCode":"SMS_100001","TemplateParams":{"order":"#1"}}`
	n := store.Notice{ID: store.NoticeID(to + tk.ID), TicketID: tk.ID, OrderID: tk.OrderID, Kind: tk.Kind, Event: "manual",
		Channel: channel, To: to, ToMasked: mask(channel, to), State: store.NoticeQueued, Message: msg, Zone: "Asia/Shanghai"}
	if _, _, err := e.st.CreateNotice(context.Background(), n, "U1"); err != nil {
		e.t.Fatal(err)
	}
	return n.ID
}

// A ticket about an order the cache does not hold (raised before the shop's
// first poll, or about an old order) asks the shops; a shop that is down
// leaves the change to be tried again rather than skipping the notice.
func TestOrderNotCachedIsFetchedFromTheShop(t *testing.T) {
	shop := memory.New("shopify", orderbot.SideShop)
	e := newEnv(t, func(o *Options) { o.Sources = []orderbot.OrderSource{shop} })
	o := order("1501")
	tk, change := e.open(o, orderbot.ShippingStalled)
	if err := e.st.Client().Del(context.Background(), "ob:ord:1501").Err(); err != nil {
		t.Fatal(err)
	}
	shop.FailNext(orderbot.Errorf(orderbot.KindTransient, "memory.get_order", "the shop is down"))
	if err := e.n.HandleChange(context.Background(), change); err == nil {
		t.Fatal("a shop outage was taken as 'no such order'")
	}
	if ns, _ := e.st.TicketNotices(context.Background(), tk.ID); len(ns) != 0 {
		t.Fatalf("a notice was decided without the order: %+v", ns)
	}
	shop.PutOrders(o)
	if err := e.n.HandleChange(context.Background(), change); err != nil {
		t.Fatal(err)
	}
	if e.deliver() != 1 || len(e.twilio.Messages()) != 1 {
		t.Fatal("the notice did not go out with the order from the shop")
	}
	// An order no shop knows is said on the ticket.
	tk2, change2 := e.open(order("1502"), orderbot.ShippingOverdue)
	e.st.Client().Del(context.Background(), "ob:ord:1502")
	e.n.HandleChange(context.Background(), change2)
	ns, _ := e.st.TicketNotices(context.Background(), tk2.ID)
	if len(ns) != 1 || ns[0].State != store.NoticeSkipped || !strings.Contains(ns[0].Detail, "no shop knows order 1502") {
		t.Fatalf("notices %+v", ns)
	}
}

// Ticket changes older than MaxEventAge (a notifier switched on for an
// existing deployment reads the whole retained stream) send nothing; their age
// is wall-clock time since Redis wrote them, whatever Options.Clock says (the
// test's clock is months away). The metrics count what happened.
func TestOldChangesSendNothingAndMetricsCount(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(o *Options) { o.Registerer = reg })
	_, change := e.open(order("1601"), orderbot.ShippingStalled)
	old := change
	old.ID = strconv.FormatInt(time.Now().Add(-25*time.Hour).UnixMilli(), 10) + "-0"
	if err := e.n.HandleChange(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if e.deliver() != 0 || len(e.lines()) != 0 {
		t.Fatal("a day-old change triggered a notice")
	}
	fresh := change
	fresh.ID = strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10) + "-0"
	e.n.HandleChange(context.Background(), fresh)
	e.deliver()
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "orderbot_customer_notices_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			key := ""
			for _, l := range m.GetLabel() {
				key += l.GetName() + "=" + l.GetValue() + " "
			}
			got[strings.TrimSpace(key)] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"channel=sms outcome=queued": 1, "channel=sms outcome=sent": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("metrics %v, want %v", got, want)
	}
}

// An oversold SKU's ticket tells the customers whose orders the stock does not
// cover, oldest orders served first; the thread gets one summary line.
func TestOversoldSKUNotifiesDelayedOrders(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id string, age time.Duration, sku string, qty int64) orderbot.Order {
		o := order(id)
		o.Customer.Phone = fmt.Sprintf("+86138001%05s", id)
		o.Shipments = nil
		o.CreatedAt, o.UpdatedAt = base.Add(-age), base
		o.Lines = []orderbot.LineItem{{SKU: sku, Quantity: qty}}
		return o
	}
	orders := []orderbot.Order{
		mk("2001", 4*time.Hour, "MUG-01", 2), mk("2002", 3*time.Hour, "MUG-01", 1), // covered by 3 in stock
		mk("2003", 2*time.Hour, "MUG-01", 2), mk("2004", time.Hour, "MUG-01", 1), // delayed
		mk("2005", 5*time.Hour, "CAP-02", 9), // another SKU
	}
	if err := e.st.SaveOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if err := e.st.ReplaceStock(ctx, orderbot.SideERP, "erpnext", []orderbot.StockLevel{
		{SKU: "MUG-01", Side: orderbot.SideERP, Source: "erpnext", Available: 3, OnHand: 3, UpdatedAt: base}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.st.UpsertTickets(ctx, []store.Upsert{{Anomaly: orderbot.Anomaly{Kind: orderbot.InventoryOversold,
		Subject: "MUG-01", Source: "erpnext", Severity: orderbot.SeverityCritical, Department: "warehouse",
		Summary: "SKU MUG-01 is oversold"}}})
	if err != nil {
		t.Fatal(err)
	}
	change := store.OutboxEntry{TicketID: res[0].Ticket.ID, Change: store.ChangeOpened}
	if err := e.n.HandleChange(ctx, change); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	var to []string
	for _, m := range e.twilio.Messages() {
		to = append(to, m.To)
	}
	slices.Sort(to)
	if want := []string{"+86138001" + "02003", "+86138001" + "02004"}; fmt.Sprint(to) != fmt.Sprint(want) {
		t.Fatalf("delay notices went to %v, want %v", to, want)
	}
	lines := e.lines()
	if len(lines) != 1 || lines[0].Payload["state"] != "batch" || !strings.Contains(lines[0].Payload["detail"], "2 of 4 open orders") {
		t.Fatalf("thread lines %+v, want one summary", lines)
	}
	// The change again (a retry, a reopen) sends and says nothing new.
	e.n.HandleChange(ctx, change)
	e.deliver()
	if len(e.twilio.Messages()) != 2 || len(e.lines()) != 1 {
		t.Fatal("a repeated oversold change notified again")
	}
}

// Email through an SMTP relay (STARTTLS and AUTH against the local fake):
// the notifier's subject, text and HTML reach the relay intact and safe.
func TestEmailThroughSMTP(t *testing.T) {
	relay, err := smtpfake.New(smtpfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	c, err := smtp.New(smtp.Options{Addr: relay.Addr(), Username: relay.Username(), Password: relay.Password(),
		From: "shop@example.com", FromName: "Demo Shop", TLSConfig: &tls.Config{RootCAs: relay.CertPool()},
		Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.SMS, o.Email, o.EmailName = nil, c, "the SMTP relay" })
	o := order("1701")
	o.Customer.Locale = "en"
	o.Name = "#1701\r\nBcc: victim@evil.example <b>bold</b>"
	_, change := e.open(o, orderbot.ShippingStalled)
	e.n.HandleChange(context.Background(), change)
	if e.deliver() != 1 {
		t.Fatal("not delivered")
	}
	msgs := relay.Messages()
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages", len(msgs))
	}
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != "xm@example.com" || len(m.Header["Bcc"]) != 0 {
		t.Fatalf("envelope %v, headers %v", m.To, m.Header)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "#1701") {
		t.Fatalf("subject %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<b>bold</b>") || !strings.Contains(m.HTML, "&lt;b&gt;bold&lt;/b&gt;") || !strings.Contains(m.Text, "<b>bold</b>") {
		t.Fatalf("html %q / text %q", m.HTML, m.Text)
	}
	got := e.notice(store.NoticeID("1701|" + string(orderbot.ShippingStalled) + "|open"))
	if got.State != store.NoticeSent || got.Channel != ChannelEmail {
		t.Fatalf("notice %+v", got)
	}
}
