package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
)

// Defaults of Options.
const (
	DefaultAPIURL = "https://api.sendgrid.com"
	// DefaultRateLimit is a polite pace for transactional mail; SendGrid does
	// not publish a mail/send limit.
	DefaultRateLimit = 10.0
	// ReferenceArg is the custom_args key carrying Message.Reference; it
	// comes back in SendGrid's event webhook.
	ReferenceArg = "orderbot_reference"
)

// Provider names the adapter in errors, logs and metrics.
const Provider = "sendgrid"

// Options configure the adapter.
type Options struct {
	// Settings are the options every adapter shares: APIURL defaults to
	// https://api.sendgrid.com (EU subusers: https://api.eu.sendgrid.com),
	// RateLimit to DefaultRateLimit. Sends are never retried: MaxRetries must
	// stay 0.
	httpclient.Settings

	// APIKey is the API key (SG....); required.
	APIKey string
	// From is the verified sender address; required. FromName is its
	// display name.
	From     string
	FromName string
	// ReplyTo, when set, is where customers' replies go.
	ReplyTo string
	// Categories tag every message for SendGrid's statistics.
	Categories []string
	// Sandbox validates messages without delivering them (answers 200).
	Sandbox bool
	// Now is the clock X-RateLimit-Reset is read against; default time.Now.
	Now func() time.Time
}

// Client is the SendGrid adapter. It is safe for concurrent use.
type Client struct {
	opts Options
	http *httpclient.Client
	log  *slog.Logger
}

var _ notice.Sender = (*Client)(nil)

// New builds the adapter; a missing key or sender, or a bad URL, is a
// KindInvalid error.
func New(opts Options) (*Client, error) {
	const op = "sendgrid.new"
	if opts.APIKey == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "sendgrid: an API key is required")
	}
	if err := notice.CheckSender(op, opts.From, opts.FromName, opts.ReplyTo); err != nil {
		return nil, err
	}
	if err := opts.FillSender(op, Provider, DefaultAPIURL, DefaultRateLimit); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hopts := httpclient.Options{
		Secrets:     []string{opts.APIKey},
		Header:      http.Header{"Authorization": {"Bearer " + opts.APIKey}, "Accept": {"application/json"}},
		DecodeError: func(_ int, _ http.Header, body []byte) string { return firstError(body) },
		Now:         opts.Now,
		Transport:   notice.NewTransport(),
	}
	hc, err := opts.NewClient(Provider, hopts)
	if err != nil {
		return nil, err
	}
	return &Client{opts: opts, http: hc, log: opts.Logger.With("provider", Provider)}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

var emailLike = regexp.MustCompile(`[^\s"'<>@]+@[^\s"'<>@]+\.[A-Za-z]{2,}`)

// firstError is the first error's message and field, with any address in it
// masked: SendGrid may quote the address it refused.
func firstError(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return httpclient.GenericErrorMessage(body)
	}
	msg := emailLike.ReplaceAllStringFunc(e.Errors[0].Message, orderbot.MaskEmail)
	if f := e.Errors[0].Field; f != nil && *f != "" {
		msg += " (field " + *f + ")"
	}
	return msg
}

// Send implements notice.Sender: one email to m.To with m.Subject, m.Text and
// the optional m.HTML part.
func (c *Client) Send(ctx context.Context, m notice.Message) (notice.Receipt, error) {
	const op = "sendgrid.send"
	if err := notice.CheckEmail(op, m); err != nil {
		return notice.Receipt{}, err
	}
	body := mailBody{
		Personalizations: []personalization{{To: []address{{Email: m.To}}}},
		From:             address{Email: c.opts.From, Name: c.opts.FromName},
		Subject:          m.Subject,
		Categories:       c.opts.Categories,
	}
	if m.Reference != "" {
		body.Personalizations[0].CustomArgs = map[string]string{ReferenceArg: m.Reference}
	}
	if c.opts.ReplyTo != "" {
		body.ReplyTo = &address{Email: c.opts.ReplyTo}
	}
	// text/plain must come before text/html.
	if m.Text != "" {
		body.Content = append(body.Content, content{Type: "text/plain", Value: m.Text})
	}
	if m.HTML != "" {
		body.Content = append(body.Content, content{Type: "text/html", Value: m.HTML})
	}
	if c.opts.Sandbox {
		body.MailSettings = &mailSettings{SandboxMode: &enable{Enable: true}}
	}

	tctx, d := notice.Track(ctx)
	resp, err := c.http.Do(tctx, httpclient.Request{Op: op, Method: http.MethodPost, Path: "/v3/mail/send", JSON: body})
	if err != nil {
		return notice.Receipt{}, c.failure(op, d, err)
	}
	status := "accepted"
	if resp.Status == http.StatusOK {
		status = "sandbox" // validated, not delivered
	}
	return notice.Receipt{ProviderID: resp.Header.Get("X-Message-Id"), Status: status}, nil
}

// failure turns a failed send into the error staff see on the ticket.
func (c *Client) failure(op string, d *notice.Delivery, err error) error {
	if d.Unknown() {
		return notice.OutcomeUnknown(op, "SendGrid", err)
	}
	if !d.Answered() {
		return err // never sent
	}
	var oe *orderbot.Error
	retryAfter := time.Duration(0)
	if errors.As(err, &oe) {
		retryAfter = oe.RetryAfter
	}
	status := d.Status()
	detail := c.http.Scrub(firstError(d.ErrorBody()))
	wrap := func(kind orderbot.ErrorKind, msg string) error {
		return &orderbot.Error{Kind: kind, Op: op, Msg: msg, RetryAfter: retryAfter, Err: err}
	}
	switch {
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
		return wrap(orderbot.KindInvalid, "SendGrid refused the email: "+detail)
	case status == http.StatusUnauthorized:
		return wrap(orderbot.KindUnauthorized, "SendGrid rejected our API key; the email was not sent")
	case status == http.StatusForbidden:
		return wrap(orderbot.KindUnauthorized, "SendGrid refused to send from our address (is the sender verified?); the email was not sent: "+detail)
	case status == http.StatusTooManyRequests:
		if reset, perr := strconv.ParseInt(d.Header().Get("X-RateLimit-Reset"), 10, 64); perr == nil && d.Header().Get("Retry-After") == "" {
			if w := time.Unix(reset, 0).Sub(c.opts.Now()); w > 0 {
				retryAfter = w
			}
		}
		return wrap(orderbot.KindRateLimited, "SendGrid is rate limiting our emails; the email was not sent and can be tried later")
	case status >= 500:
		return wrap(orderbot.KindTransient, fmt.Sprintf("SendGrid failed with HTTP %d; the email was not sent", status))
	}
	return err
}
