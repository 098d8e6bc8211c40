package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/notify/templates"
	"github.com/orderbot/orderbot/store"
)

// Channels a notice goes by.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Group is the consumer group the notifier reads ticket changes with.
const Group = "notifier"

// actorSystem is the actor of automatic notices.
const actorSystem = "orderbot"

// Options configure a Notifier. Templates, Shop and at least one sender are
// required.
type Options struct {
	Templates *templates.Set
	// SMS and Email send through one provider each; nil turns the channel off.
	SMS   notice.Sender
	Email notice.Sender
	// SMSName and EmailName name the providers in thread lines ("Twilio").
	SMSName, EmailName string
	// SMSTemplateCode, when set, means the SMS provider sends only approved
	// templates (Alibaba Cloud): it gives the code for a kind and event, and a
	// notice without one goes by email instead.
	SMSTemplateCode func(orderbot.Kind, orderbot.NoticeEvent) (string, bool)
	// Shop is the shop name customers know.
	Shop string
	// Sources are asked for an order that is not in the record cache (a
	// ticket raised before the shop's first poll, or about an old order).
	Sources []orderbot.OrderSource
	// Kinds holds each kind's notice switches (config.KindSettings).
	Kinds map[orderbot.Kind]orderbot.KindSettings
	// QuietHours is the local window in which nothing is sent.
	QuietHours orderbot.QuietHours
	// DefaultZone is the zone of customers whose order names none.
	DefaultZone *time.Location
	// DefaultRegion reads national phone numbers of orders without a
	// shipping country (ISO 3166-1 alpha-2); empty means such numbers are not
	// texted.
	DefaultRegion string
	// DailyCap is the most notices one recipient gets per local day; 0 means
	// no cap.
	DailyCap int
	// OptOut lists phones and emails that never get a notice.
	OptOut []string
	// SendTimeout bounds one provider call. Default 30s.
	SendTimeout time.Duration
	// Lease is how long a notice stays "sending" without renewal before it is
	// declared unknown (measured on Clock). The sender renews it every third of
	// it while the provider call lasts, so only a sender that died leaves it to
	// run out. Default 9s.
	Lease time.Duration
	// ReclaimAfter is the liveness lease of this process's consumer of ticket
	// changes: a replica that has not renewed it for that long is dead, and the
	// changes it held are taken over. Default 6s.
	ReclaimAfter time.Duration
	// PollEvery is how often Run looks for due notices. Default 1s.
	PollEvery time.Duration
	// MaxAttempts bounds sends of a notice that keep failing with a definite
	// "not sent" (rate limits, outages). Default 5.
	MaxAttempts int
	// MaxEventAge is how old a ticket change may be and still trigger an
	// automatic notice. A notifier switched on for an existing deployment, or
	// back after a long outage, would otherwise tell customers about events
	// long past. Default 24h.
	MaxEventAge time.Duration
	// Registerer, when set, receives the notice metrics.
	Registerer prometheus.Registerer
	// Instance names this process's consumer. Default notifier-hostname-pid.
	Instance string
	Clock    func() time.Time
	Logger   *slog.Logger
}

// Notifier turns ticket events into customer notices and delivers them.
type Notifier struct {
	st     *store.Store
	opts   Options
	optOut map[string]bool // ContactHash of each opted-out contact
	log    *slog.Logger
	// outcomes counts notices by channel and what became of them: queued,
	// skipped, sent, failed, unknown, retry, deferred.
	outcomes *prometheus.CounterVec
}

// New checks opts and returns a Notifier over st.
func New(st *store.Store, opts Options) (*Notifier, error) {
	const op = "notify.new"
	switch {
	case st == nil:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "notify: a store is required")
	case opts.Templates == nil:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "notify: templates are required")
	case opts.SMS == nil && opts.Email == nil:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "notify: at least one of SMS and email is required")
	case strings.TrimSpace(opts.Shop) == "":
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "notify: the shop name is required (notices.shop_name)")
	case opts.DailyCap < 0:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "notify: the daily cap must not be negative")
	}
	if opts.DefaultZone == nil {
		opts.DefaultZone = time.UTC
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 30 * time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 9 * time.Second
	}
	if opts.ReclaimAfter <= 0 {
		opts.ReclaimAfter = 6 * time.Second
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Instance == "" {
		// Unique per process: a replica's consumer that stops renewing its
		// liveness is dead, and survivors take over what it held.
		host, _ := os.Hostname()
		opts.Instance = "notifier-" + host + "-" + strconv.Itoa(os.Getpid())
	}
	if opts.MaxEventAge <= 0 {
		opts.MaxEventAge = 24 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SMSName == "" {
		opts.SMSName = "the SMS provider"
	}
	if opts.EmailName == "" {
		opts.EmailName = "the email provider"
	}
	n := &Notifier{st: st, opts: opts, optOut: map[string]bool{}, log: opts.Logger.With(slog.String("component", "notify")),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_customer_notices_total",
			Help: "Customer notices by channel and outcome (queued, skipped, deferred, sent, failed, retry, unknown).",
		}, []string{"channel", "outcome"})}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(n.outcomes); err != nil {
			return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, "notify: registering metrics")
		}
	}
	for _, c := range opts.OptOut {
		if c = strings.TrimSpace(c); c != "" {
			n.optOut[store.ContactHash(c)] = true
		}
	}
	return n, nil
}

// EventFor maps a ticket change to the template event it triggers, if any.
// Breaches trigger on their first escalation step only.
func EventFor(e store.OutboxEntry) (orderbot.NoticeEvent, bool) {
	switch e.Change {
	case store.ChangeOpened, store.ChangeReopened:
		return orderbot.NoticeOpen, true
	case store.ChangeResolved, store.ChangeAutoResolved:
		return orderbot.NoticeResolve, true
	case store.ChangeAckBreach, store.ChangeResolveBreach:
		return orderbot.NoticeBreach, e.Payload["step"] == "" || e.Payload["step"] == "0"
	}
	return "", false
}

// wants reports whether the kind's switch for event is on.
func (n *Notifier) wants(k orderbot.Kind, event orderbot.NoticeEvent) bool {
	s, ok := n.opts.Kinds[k]
	if !ok {
		return false
	}
	switch event {
	case orderbot.NoticeOpen:
		return s.Notices.OnOpen
	case orderbot.NoticeResolve:
		return s.Notices.OnResolve
	case orderbot.NoticeBreach:
		return s.Notices.OnBreach
	}
	return false
}

// CanNotify reports whether a ticket can have a manual notice at all: it is
// about one order and its kind has a customer template.
func (n *Notifier) CanNotify(t orderbot.Ticket) bool {
	return t.OrderID != "" && n.opts.Templates.Has(t.Kind, orderbot.NoticeManual)
}

// OnTicketEvent creates the automatic notice of a ticket event when the kind's
// switch is on, the ticket concerns an order and a template exists. It
// returns the notice (created or existing) and whether one applies at all.
func (n *Notifier) OnTicketEvent(ctx context.Context, t orderbot.Ticket, event orderbot.NoticeEvent) (store.Notice, bool, error) {
	if !n.wants(t.Kind, event) || !n.opts.Templates.Has(t.Kind, event) {
		return store.Notice{}, false, nil
	}
	if t.Kind == orderbot.InventoryOversold && event == orderbot.NoticeOpen {
		return store.Notice{}, true, n.delayNotices(ctx, t)
	}
	if t.OrderID == "" {
		return store.Notice{}, false, nil
	}
	if event == orderbot.NoticeResolve && t.Resolution != nil && t.Resolution.Code == "false_positive" {
		// Nothing happened to the customer's order: telling them it is fixed
		// would only confuse them.
		return store.Notice{}, false, nil
	}
	nt, _, err := n.create(ctx, t, event, "", actorSystem)
	return nt, true, err
}

// Notify creates the manual notice of a ticket by the channel staff chose
// ("" = the usual choice). A manual notice was already created for this
// order and kind is returned as it is, with created false.
func (n *Notifier) Notify(ctx context.Context, ticketID, channel, actor string) (store.Notice, bool, error) {
	const op = "notify.notify"
	t, err := n.st.Get(ctx, ticketID)
	if err != nil {
		return store.Notice{}, false, err
	}
	if !n.CanNotify(t) {
		return store.Notice{}, false, orderbot.Errorf(orderbot.KindInvalid, op,
			"%s is not about one customer's order, so there is nobody to notify", t.ID)
	}
	if channel != "" && channel != ChannelSMS && channel != ChannelEmail {
		return store.Notice{}, false, orderbot.Errorf(orderbot.KindInvalid, op, "unknown channel %q: use sms or email", clip(channel, 20))
	}
	return n.create(ctx, t, orderbot.NoticeManual, channel, actor)
}

// draft is a notice worked out but not stored.
type draft struct {
	order   orderbot.Order
	channel string
	to      string
	zone    *time.Location
	msg     notice.Message
	r       templates.Rendered
	problem string // why no notice can go out; empty when one can
}

// prepare works out a notice for ticket t and event: the order, the
// channel and recipient, the rendered message. A notice that cannot go out
// has problem set.
func (n *Notifier) prepare(ctx context.Context, t orderbot.Ticket, event orderbot.NoticeEvent, prefer string) (draft, error) {
	o, ok, err := n.order(ctx, t.OrderID)
	if err != nil {
		return draft{}, err
	}
	return n.prepareFor(ctx, t, event, prefer, o, ok)
}

// prepareFor is prepare with the order already in hand (found false when no
// shop knows it).
func (n *Notifier) prepareFor(ctx context.Context, t orderbot.Ticket, event orderbot.NoticeEvent, prefer string, o orderbot.Order, found bool) (draft, error) {
	var d draft
	if !found {
		d.problem = "no shop knows order " + t.OrderID + ", so its contact details are unknown"
		d.zone = n.opts.DefaultZone
		return d, nil
	}
	d.order = o
	d.zone = n.customerZone(o)
	ch, to, why := n.pickChannel(o, prefer)
	if ch == "" {
		d.problem = why
		return d, nil
	}
	if o.Customer.OptOut {
		d.problem = "the customer declined notices at the shop"
		return d, nil
	}
	out, err := n.optedOut(ctx, to)
	if err != nil {
		return d, err
	}
	if out {
		d.problem = "the customer is on the opt-out list"
		return d, nil
	}
	data := templates.Data{
		Shop: n.opts.Shop, OrderName: o.Name, OrderID: o.ID, CustomerName: o.Customer.Name, TicketID: t.ID,
		Location: d.zone,
	}
	if len(o.Shipments) > 0 {
		last := o.Shipments[len(o.Shipments)-1]
		data.TrackingNumber, data.Carrier = last.TrackingNumber, last.Carrier
	}
	if t.Resolution != nil {
		data.Resolution = t.Resolution.Code
	}
	if data.TrackingNumber != "" {
		if sh, err := n.st.Shipments(ctx, []string{data.TrackingNumber}); err == nil {
			data.ExpectedDelivery = sh[data.TrackingNumber].ExpectedDelivery
		}
	}
	r, err := n.opts.Templates.Render(t.Kind, event, o.Customer.Locale, data)
	if err != nil {
		return d, err
	}
	d.r = r
	d.msg = notice.Message{To: to, Subject: r.Subject, Text: r.Text, HTML: r.HTML}
	if ch == ChannelSMS {
		d.msg = notice.Message{To: to, Text: r.SMS}
		if n.opts.SMSTemplateCode != nil {
			code, ok := n.opts.SMSTemplateCode(t.Kind, event)
			if !ok {
				// The SMS provider sends approved templates only: use email if
				// the customer has one, else say why.
				if prefer != ChannelSMS {
					if em, ok := validEmail(o.Customer.Email); ok && n.opts.Email != nil {
						d.channel, d.to = ChannelEmail, em
						d.msg = notice.Message{To: em, Subject: r.Subject, Text: r.Text, HTML: r.HTML}
						return d, nil
					}
				}
				d.problem = "no approved SMS template code is configured for " + string(t.Kind) + "/" + string(event) +
					" (notices.aliyun.templates)"
				return d, nil
			}
			d.msg.TemplateCode, d.msg.TemplateParams = code, r.Params
		}
	}
	d.channel, d.to = ch, to
	return d, nil
}

// create stores the notice of t and event: queued (now, or after quiet
// hours) or skipped with the reason.
func (n *Notifier) create(ctx context.Context, t orderbot.Ticket, event orderbot.NoticeEvent, prefer, actor string) (store.Notice, bool, error) {
	d, err := n.prepare(ctx, t, event, prefer)
	if err != nil {
		return store.Notice{}, false, err
	}
	return n.record(ctx, t, event, actor, d, false)
}

// record stores the notice d worked out for t and event; bulk marks one of
// many notices of the ticket.
func (n *Notifier) record(ctx context.Context, t orderbot.Ticket, event orderbot.NoticeEvent, actor string, d draft, bulk bool) (store.Notice, bool, error) {
	now := n.opts.Clock()
	id := store.NoticeID(t.OrderID + "|" + string(t.Kind) + "|" + string(event))
	d.msg.Reference = id
	nt := store.Notice{
		ID:       id,
		TicketID: t.ID, OrderID: t.OrderID, Kind: t.Kind, Event: string(event), Actor: actor,
		Locale: d.r.Locale, Zone: d.zone.String(), CreatedAt: now, Bulk: bulk,
	}
	if d.problem != "" {
		nt.State, nt.Detail = store.NoticeSkipped, "No notice sent: "+d.problem+"."
	} else {
		msgJSON, err := json.Marshal(d.msg)
		if err != nil {
			return store.Notice{}, false, orderbot.Wrap(orderbot.KindPermanent, "notify.create", err, "the notice could not be stored")
		}
		nt.State, nt.Channel, nt.To, nt.ToMasked, nt.Message = store.NoticeQueued, d.channel, d.to, mask(d.channel, d.to), string(msgJSON)
		nt.Due = n.nextAllowed(now, d.zone)
		if nt.Due.After(now) {
			nt.Detail = "Quiet hours for the customer: it will go out at " + nt.Due.In(d.zone).Format("15:04 (MST)") + " customer time."
		}
	}
	got, created, err := n.st.CreateNotice(ctx, nt, actor)
	if err != nil {
		return store.Notice{}, false, err
	}
	if created {
		n.count(got.Channel, string(got.State))
		n.log.Info("customer notice created", slog.String("notice", got.ID), slog.String("ticket", t.ID),
			slog.String("event", string(event)), slog.String("state", string(got.State)), slog.String("to", got.ToMasked))
	}
	return got, created, nil
}

// order finds an order by its exact id: in the record cache, else at the
// shops. A shop that fails (rather than not knowing the order) is an error,
// so the caller tries again later instead of deciding without the order.
func (n *Notifier) order(ctx context.Context, id string) (orderbot.Order, bool, error) {
	m, err := n.st.Orders(ctx, []string{id})
	if err != nil {
		return orderbot.Order{}, false, err
	}
	if o, ok := m[id]; ok {
		return o, true, nil
	}
	for _, src := range n.opts.Sources {
		o, err := src.GetOrder(ctx, id)
		switch {
		case err == nil && o.ID == id:
			return o, true, nil
		case err == nil, orderbot.IsKind(err, orderbot.KindNotFound), orderbot.IsKind(err, orderbot.KindInvalid):
		default:
			return orderbot.Order{}, false, err
		}
	}
	return orderbot.Order{}, false, nil
}

// optedOut checks the configured list and the store's list.
func (n *Notifier) optedOut(ctx context.Context, to string) (bool, error) {
	if n.optOut[store.ContactHash(to)] {
		return true, nil
	}
	return n.st.OptedOut(ctx, to)
}

// zone is the customer's zone, or the default.
func (n *Notifier) zone(name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return n.opts.DefaultZone
}

// nextAllowed is the first moment at or after t that is outside quiet hours in
// loc.
func (n *Notifier) nextAllowed(t time.Time, loc *time.Location) time.Time {
	q := n.opts.QuietHours
	local := t.In(loc)
	c := orderbot.Clock(local.Hour(), local.Minute())
	if !q.Contains(c) {
		return t
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), q.End.Hour(), q.End.Minute(), 0, 0, loc)
	if !end.After(local) {
		end = time.Date(local.Year(), local.Month(), local.Day()+1, q.End.Hour(), q.End.Minute(), 0, 0, loc)
	}
	return end.UTC()
}

// mask hides a recipient for Slack and logs.
func mask(channel, to string) string {
	if channel == ChannelEmail {
		return orderbot.MaskEmail(to)
	}
	return orderbot.MaskPhone(to)
}

// errNotQueued is returned by deliver for notices another replica handles.
var errNotQueued = errors.New("notice not queued")

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// count adds one notice outcome to the metrics.
func (n *Notifier) count(channel, outcome string) {
	if channel == "" {
		channel = "none"
	}
	n.outcomes.WithLabelValues(channel, outcome).Inc()
}
