package notify

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/integrations/aliyunsms"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/sendgrid"
	"github.com/orderbot/orderbot/integrations/twilio"
	"github.com/orderbot/orderbot/internal/fakes/aliyunsmsfake"
	"github.com/orderbot/orderbot/internal/fakes/sendgridfake"
	"github.com/orderbot/orderbot/internal/fakes/twiliofake"
	"github.com/orderbot/orderbot/notify/templates"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// clock is a settable clock shared by the store and the notifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// env is a real redis-server, a store, fake Twilio and SendGrid servers with
// the real adapters, and a notifier over them.
type env struct {
	t      *testing.T
	srv    *redistest.Server
	st     *store.Store
	clock  *clock
	twilio *twiliofake.Server
	sg     *sendgridfake.Server
	opts   Options
	n      *Notifier
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv starts everything at 10:00 Shanghai time (outside quiet hours).
func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	e := &env{t: t, srv: redistest.Start(t), clock: &clock{t: time.Date(2026, 3, 3, 10, 0, 0, 0, shanghai)}}
	st, err := store.New(context.Background(), e.srv.Client(t), store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	e.twilio = twiliofake.New(twiliofake.Options{})
	t.Cleanup(e.twilio.Close)
	e.sg = sendgridfake.New(sendgridfake.Options{})
	t.Cleanup(e.sg.Close)
	tw, err := twilio.New(twilio.Options{
		Settings:   httpclient.Settings{APIURL: e.twilio.URL(), RateLimit: -1, Logger: quietLogger()},
		AccountSID: e.twilio.AccountSID(),
		AuthToken:  e.twilio.AuthToken(), From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tw.Close)
	sg, err := sendgrid.New(sendgrid.Options{
		Settings: httpclient.Settings{APIURL: e.sg.URL(), RateLimit: -1, Logger: quietLogger()},
		APIKey:   e.sg.APIKey(), From: "shop@example.com",
		FromName: "Demo Shop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sg.Close)
	e.opts = Options{
		Templates: templates.Builtin(), SMS: tw, Email: sg, SMSName: "Twilio", EmailName: "SendGrid",
		Shop: "Demo Shop", Kinds: config.Default().KindSettings(),
		QuietHours:  orderbot.QuietHours{Start: orderbot.Clock(21, 0), End: orderbot.Clock(8, 0)},
		DefaultZone: time.UTC, DailyCap: 3, SendTimeout: 5 * time.Second, Clock: e.clock.Now, Logger: quietLogger(),
	}
	if mod != nil {
		mod(&e.opts)
	}
	e.n = e.notifier(e.opts)
	return e
}

func (e *env) notifier(opts Options) *Notifier {
	e.t.Helper()
	n, err := New(e.st, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// aliyun swaps the SMS channel for Alibaba Cloud SMS against its fake.
func (e *env) aliyun(codes map[string]string) *aliyunsmsfake.Server {
	e.t.Helper()
	fake := aliyunsmsfake.New(aliyunsmsfake.Options{PerNumberPerMinute: 1})
	e.t.Cleanup(fake.Close)
	c, err := aliyunsms.New(aliyunsms.Options{
		Settings:        httpclient.Settings{APIURL: fake.URL(), RateLimit: -1, Logger: quietLogger()},
		AccessKeyID:     fake.AccessKeyID(),
		AccessKeySecret: fake.AccessKeySecret(), SignName: aliyunsmsfake.DefaultSignName})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	e.opts.SMS, e.opts.SMSName = c, "Alibaba Cloud SMS"
	e.opts.SMSTemplateCode = func(k orderbot.Kind, ev orderbot.NoticeEvent) (string, bool) {
		return config.Aliyun{Templates: codes}.TemplateCode(k, ev)
	}
	e.n = e.notifier(e.opts)
	return fake
}

// order is a Chinese customer with a mobile number, in zh-CN.
func order(id string) orderbot.Order {
	return orderbot.Order{
		ID: id, Source: "shopify", Name: "#" + id, Status: orderbot.OrderProcessing,
		Customer: orderbot.Customer{Name: "王小明", Phone: "+86 138 0013 8000", Email: "xm@example.com",
			Locale: "zh-CN", Timezone: "Asia/Shanghai"},
		ShippingAddress: orderbot.Address{Country: "CN", City: "上海", Line1: "1 Road", PostalCode: "200000"},
		Shipments:       []orderbot.ShipmentRef{{TrackingNumber: "SF1234567890", Carrier: "sf-express"}},
		CreatedAt:       time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	}
}

// open saves o and opens a ticket of kind for it; it returns the ticket and
// the outbox entry of its opening.
func (e *env) open(o orderbot.Order, kind orderbot.Kind) (orderbot.Ticket, store.OutboxEntry) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.SaveOrders(ctx, []orderbot.Order{o}); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.st.UpsertTickets(ctx, []store.Upsert{{Anomaly: orderbot.Anomaly{
		Kind: kind, Subject: o.ID, OrderID: o.ID, Source: o.Source, Severity: orderbot.SeverityMedium,
		Department: "logistics", Summary: "Order " + o.Name + ": parcel stalled",
	}}})
	if err != nil {
		e.t.Fatal(err)
	}
	t := res[0].Ticket
	return t, store.OutboxEntry{TicketID: t.ID, Change: store.ChangeOpened, Version: t.Version}
}

// lines returns the notice lines written to the ticket stream so far, as a
// fresh consumer group reads them.
func (e *env) lines() []store.OutboxEntry {
	e.t.Helper()
	got, err := e.st.ReadOutbox(context.Background(), store.OutboxTicketChanges, "lines-"+e.clock.Now().String()+time.Now().String(), "c", 10000, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.OutboxEntry
	for _, g := range got {
		if g.Change == store.ChangeNotice {
			out = append(out, g)
		}
	}
	return out
}

func (e *env) deliver() int {
	e.t.Helper()
	n, err := e.n.DeliverDue(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) notice(id string) store.Notice {
	e.t.Helper()
	n, err := e.st.GetNotice(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
