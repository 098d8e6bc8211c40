package stripe

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// Defaults of Options.
const (
	DefaultName       = "stripe"
	DefaultAPIURL     = "https://api.stripe.com"
	DefaultOrderIDKey = "order_id"
	// DefaultRateLimit keeps under Stripe's 25 requests per second per endpoint
	// in test mode; live mode allows more, raise it in config.
	DefaultRateLimit = 20.0
	// MaxPageSize is Stripe's largest list page.
	MaxPageSize = 100
)

// Provider is the Payment.Provider of every payment this adapter returns.
const Provider = "stripe"

// Options configure the adapter. Credentials are plain strings: the config
// package resolves secrets, adapters do not import it.
type Options struct {
	// Settings are the options every adapter shares: Name defaults to "stripe",
	// APIURL to DefaultAPIURL, RateLimit to DefaultRateLimit.
	httpclient.Settings

	// SecretKey is the secret (sk_...) or restricted (rk_...) key; required.
	SecretKey string
	// Account, when set, acts on a Connect account (Stripe-Account header).
	Account string
	// APIVersion, when set, pins the API version (Stripe-Version header).
	APIVersion string
	// OrderIDKey is the metadata key holding the order id; default "order_id".
	OrderIDKey string
	// Lookback widens each window's intent listing this far back so status
	// changes of recently created intents are seen (see the package doc).
	Lookback time.Duration
	// PageSize is the list page size, 1–100; default 100.
	PageSize int
}

// Client is the Stripe adapter. It is safe for concurrent use.
type Client struct {
	name     string
	orderKey string
	pageSize int
	lookback time.Duration
	http     *httpclient.Client
	log      *slog.Logger
}

var _ orderbot.PaymentSource = (*Client)(nil)

// New builds the adapter; a missing key or bad URL is a KindInvalid error.
func New(opts Options) (*Client, error) {
	opts.Fill(DefaultName, DefaultAPIURL, DefaultRateLimit)
	if opts.SecretKey == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "stripe.new", "%s: a secret key is required", opts.Name)
	}
	if opts.OrderIDKey == "" {
		opts.OrderIDKey = DefaultOrderIDKey
	}
	if opts.PageSize <= 0 || opts.PageSize > MaxPageSize {
		opts.PageSize = MaxPageSize
	}
	if opts.Lookback < 0 {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "stripe.new", "%s: lookback must not be negative", opts.Name)
	}
	header := http.Header{
		"Authorization": {"Bearer " + opts.SecretKey},
		"Accept":        {"application/json"},
	}
	if opts.Account != "" {
		header.Set("Stripe-Account", opts.Account)
	}
	if opts.APIVersion != "" {
		header.Set("Stripe-Version", opts.APIVersion)
	}
	hopts := httpclient.Options{
		Secrets:     []string{opts.SecretKey},
		Header:      header,
		DecodeError: decodeError,
	}
	hc, err := opts.NewClient(Provider, hopts)
	if err != nil {
		return nil, err
	}
	return &Client{
		name:     opts.Name,
		orderKey: opts.OrderIDKey,
		pageSize: opts.PageSize,
		lookback: opts.Lookback,
		http:     hc,
		log:      opts.Logger.With("source", opts.Name),
	}, nil
}

// Name implements orderbot.Source.
func (c *Client) Name() string { return c.name }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// decodeError reads Stripe's {"error":{...}} envelope.
func decodeError(_ int, _ http.Header, body []byte) string {
	var env errorEnvelope
	if httpclient.DecodeJSON("", body, &env) != nil || (env.Error.Message == "" && env.Error.Type == "") {
		return httpclient.GenericErrorMessage(body)
	}
	msg := env.Error.Message
	if msg == "" {
		msg = env.Error.Type
	}
	if env.Error.Code != "" {
		msg += " (" + env.Error.Code + ")"
	}
	return msg
}

// ListPayments implements orderbot.PaymentSource: the intents created in
// [w.From-Lookback, w.To), newest first as Stripe lists them, then the intents
// of refunds created in the window that were not delivered with those refunds
// already. See the package doc for what a creation-time window means.
func (c *Client) ListPayments(ctx context.Context, w orderbot.Window, page func([]orderbot.Payment) error) error {
	const op = "stripe.list_payments"
	if !w.To.After(w.From) {
		return orderbot.Errorf(orderbot.KindInvalid, op, "%s: the window must end after it starts", c.name)
	}
	// delivered maps each intent delivered in this call to the ids of the
	// refunds it carried, so a refund found later re-delivers only if new.
	delivered := map[string][]string{}

	q := c.windowQuery(w.From.Add(-c.lookback), w.To)
	// The charge and its refunds come with the intent (a nested expansion
	// expands the charge too), so a refunded payment costs no request of its
	// own; only a charge with more refunds than the embedded list holds is
	// asked about.
	q.Set("expand[]", "data.latest_charge.refunds")
	err := paginate(ctx, c, "stripe.list_payment_intents", "/v1/payment_intents", q, func(data []paymentIntent) error {
		out := make([]orderbot.Payment, 0, len(data))
		for i := range data {
			if _, dup := delivered[data[i].ID]; dup {
				continue
			}
			p, err := c.payment(ctx, &data[i])
			if err != nil {
				return err
			}
			delivered[p.ID] = refundIDs(p.Refunds)
			out = append(out, p)
		}
		if len(out) == 0 {
			return nil
		}
		return page(out)
	})
	if err != nil {
		return err
	}

	// Refunds created in the window, folded into their intents.
	var pending []string
	queued := map[string]bool{}
	err = paginate(ctx, c, "stripe.list_refunds", "/v1/refunds", c.windowQuery(w.From, w.To), func(data []refund) error {
		for _, r := range data {
			pi := r.PaymentIntent
			if pi == "" || queued[pi] {
				continue // a refund of a charge made without an intent has no payment to join
			}
			if ids, ok := delivered[pi]; ok && slices.Contains(ids, r.ID) {
				continue
			}
			queued[pi] = true
			pending = append(pending, pi)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(pending); start += c.pageSize {
		batch := pending[start:min(start+c.pageSize, len(pending))]
		out := make([]orderbot.Payment, 0, len(batch))
		for _, id := range batch {
			p, err := c.GetPayment(ctx, id)
			if orderbot.IsKind(err, orderbot.KindNotFound) {
				// Deleted or moved to another account since the refund: nothing to join.
				c.log.Debug("refunded payment intent not found", "payment_intent", id)
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		if len(out) > 0 {
			if err := page(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetPayment fetches one intent with its charge and refunds; a missing one is
// a KindNotFound error.
func (c *Client) GetPayment(ctx context.Context, id string) (orderbot.Payment, error) {
	const op = "stripe.get_payment_intent"
	if id == "" || strings.ContainsAny(id, "/?#") {
		return orderbot.Payment{}, orderbot.Errorf(orderbot.KindInvalid, op, "%s: %q is not a payment intent id", c.name, id)
	}
	resp, err := c.http.Do(ctx, httpclient.Request{
		Op:    op,
		Path:  "/v1/payment_intents/" + url.PathEscape(id),
		Query: url.Values{"expand[]": {"latest_charge.refunds"}},
	})
	if err != nil {
		return orderbot.Payment{}, err
	}
	var pi paymentIntent
	if err := httpclient.DecodeJSON(op, resp.Body, &pi); err != nil {
		return orderbot.Payment{}, err
	}
	return c.payment(ctx, &pi)
}

// windowQuery is created[gte]/created[lt] for [from, to) in Unix seconds.
// Stripe's created is whole seconds, so a fractional bound rounds up: created
// ≥ 10.5 means ≥ 11, and created < 10.5 means < 11.
func (c *Client) windowQuery(from, to time.Time) url.Values {
	q := url.Values{}
	q.Set("created[gte]", strconv.FormatInt(ceilUnix(from), 10))
	q.Set("created[lt]", strconv.FormatInt(ceilUnix(to), 10))
	return q
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// paginate walks a list endpoint with starting_after while has_more.
func paginate[T interface{ id() string }](ctx context.Context, c *Client, op, path string, q url.Values, each func([]T) error) error {
	q.Set("limit", strconv.Itoa(c.pageSize))
	for {
		resp, err := c.http.Do(ctx, httpclient.Request{Op: op, Path: path, Query: q})
		if err != nil {
			return err
		}
		var l list[T]
		if err := httpclient.DecodeJSON(op, resp.Body, &l); err != nil {
			return err
		}
		if len(l.Data) > 0 {
			if err := each(l.Data); err != nil {
				return err
			}
		}
		if !l.HasMore || len(l.Data) == 0 {
			return nil
		}
		last := l.Data[len(l.Data)-1].id()
		if last == "" {
			return orderbot.Errorf(orderbot.KindPermanent, op, "%s: list item without an id; cannot page on", c.name)
		}
		if q.Get("starting_after") == last {
			return orderbot.Errorf(orderbot.KindPermanent, op, "%s: pagination did not advance past %s", c.name, last)
		}
		q.Set("starting_after", last)
	}
}

func (p paymentIntent) id() string { return p.ID }
func (r refund) id() string        { return r.ID }

// payment maps an intent, fetching its refunds when the expanded charge says
// there are some that the answer does not carry.
func (c *Client) payment(ctx context.Context, pi *paymentIntent) (orderbot.Payment, error) {
	cur := strings.ToUpper(pi.Currency)
	p := orderbot.Payment{
		ID:        pi.ID,
		Provider:  Provider,
		OrderID:   pi.Metadata[c.orderKey],
		Status:    paymentStatus(pi),
		CreatedAt: time.Unix(pi.Created, 0).UTC(),
		Amount:    orderbot.Money{Minor: pi.AmountReceived, Currency: cur},
	}
	if p.Status != orderbot.PaymentSucceeded {
		// Nothing is captured yet (or ever); the requested amount is what a card
		// about a pending or failed payment should show.
		p.Amount.Minor = pi.Amount
	}

	charges := pi.charges()
	var refunds []refund
	fetch := false
	for _, ch := range charges {
		if ch.AmountRefunded == 0 && !ch.Refunded {
			continue
		}
		if ch.Refunds != nil && !ch.Refunds.HasMore {
			refunds = append(refunds, ch.Refunds.Data...)
			continue
		}
		fetch = true
	}
	// latest_charge not expanded: whether it was refunded is unknown, so ask.
	if len(charges) == 0 && pi.LatestCharge.ID != "" && p.Status == orderbot.PaymentSucceeded {
		fetch = true
	}
	if fetch {
		refunds = refunds[:0]
		q := url.Values{"payment_intent": {pi.ID}}
		err := paginate(ctx, c, "stripe.list_refunds", "/v1/refunds", q, func(data []refund) error {
			refunds = append(refunds, data...)
			return nil
		})
		if err != nil {
			return orderbot.Payment{}, err
		}
	}
	for _, r := range refunds {
		p.Refunds = append(p.Refunds, orderbot.Refund{
			ID:        r.ID,
			Amount:    orderbot.Money{Minor: r.Amount, Currency: strings.ToUpper(r.Currency)},
			Status:    r.Status,
			CreatedAt: time.Unix(r.Created, 0).UTC(),
		})
	}
	slices.SortFunc(p.Refunds, func(a, b orderbot.Refund) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return p, nil
}

// charges are the intent's expanded charges: latest_charge on current API
// versions, the embedded charges list on versions before 2022-11-15.
func (pi *paymentIntent) charges() []charge {
	if pi.LatestCharge.Charge != nil {
		return []charge{*pi.LatestCharge.Charge}
	}
	if pi.Charges != nil {
		return pi.Charges.Data
	}
	return nil
}

// paymentStatus maps Stripe's intent status. A failed attempt sends an intent
// back to requires_payment_method with last_payment_error set: that is a
// failure until the customer tries again.
func paymentStatus(pi *paymentIntent) orderbot.PaymentStatus {
	switch pi.Status {
	case "succeeded":
		return orderbot.PaymentSucceeded
	case "canceled":
		return orderbot.PaymentCanceled
	case "requires_capture":
		// Authorised, not captured: no money has moved yet.
		return orderbot.PaymentAuthorized
	case "requires_payment_method":
		if pi.LastPaymentError != nil {
			return orderbot.PaymentFailed
		}
	}
	// processing, requires_action, requires_confirmation, and statuses newer
	// than this code: money may still come.
	return orderbot.PaymentPending
}

func refundIDs(rs []orderbot.Refund) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}
