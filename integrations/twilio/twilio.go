package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
)

// Defaults of Options.
const (
	DefaultAPIURL = "https://api.twilio.com"
	// DefaultRateLimit stays well under Twilio's per-account queue; raise it
	// in config for bulk sending.
	DefaultRateLimit = 10.0
	// MaxBodyChars is Twilio's limit on Body.
	MaxBodyChars = 1600
)

// Provider names the adapter in errors, logs and metrics.
const Provider = "twilio"

// Twilio error codes the adapter maps (providers.md §6).
const (
	CodeInvalidTo       = 21211
	CodeUnsubscribed    = 21610
	CodeNotMobile       = 21614
	CodeAuthFailed      = 20003
	CodeTooManyRequests = 20429
)

// Options configure the adapter. Credentials are plain strings: the config
// package resolves secrets.
type Options struct {
	// Settings are the options every adapter shares: APIURL defaults to
	// https://api.twilio.com, RateLimit to DefaultRateLimit. Every call is a
	// non-idempotent send: MaxRetries must stay 0.
	httpclient.Settings

	// AccountSID (AC...) names the account in the path; required.
	AccountSID string
	// AuthToken is the account's auth token, or the secret of APIKeySID;
	// required.
	AuthToken string
	// APIKeySID (SK...), when set, authenticates with an API key instead of
	// the account SID.
	APIKeySID string
	// From is the sending number; required unless MessagingServiceSID is set.
	From string
	// MessagingServiceSID (MG...) sends through a Messaging Service.
	MessagingServiceSID string
	// StatusCallback is the URL Twilio posts delivery status to; optional.
	StatusCallback string
}

// Client is the Twilio adapter. It is safe for concurrent use.
type Client struct {
	path string
	form url.Values // From/MessagingServiceSid/StatusCallback, copied per send
	http *httpclient.Client
	log  *slog.Logger
}

var _ notice.Sender = (*Client)(nil)

// New builds the adapter; missing credentials, sender or a bad URL are
// KindInvalid errors.
func New(opts Options) (*Client, error) {
	const op = "twilio.new"
	switch {
	case opts.AccountSID == "" || opts.AuthToken == "":
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "twilio: an account SID and auth token are required")
	case opts.From == "" && opts.MessagingServiceSID == "":
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "twilio: a From number or a messaging service SID is required")
	case strings.ContainsAny(opts.AccountSID, "/?#% "):
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "twilio: the account SID is malformed")
	}
	if err := opts.FillSender(op, Provider, DefaultAPIURL, DefaultRateLimit); err != nil {
		return nil, err
	}
	user := opts.AccountSID
	if opts.APIKeySID != "" {
		user = opts.APIKeySID
	}
	req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
	req.SetBasicAuth(user, opts.AuthToken)
	hopts := httpclient.Options{
		Secrets:     []string{opts.AuthToken, req.Header.Get("Authorization")},
		Header:      http.Header{"Authorization": {req.Header.Get("Authorization")}, "Accept": {"application/json"}},
		DecodeError: decodeError,
		Transport:   notice.NewTransport(),
	}
	hc, err := opts.NewClient(Provider, hopts)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	if opts.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", opts.MessagingServiceSID)
	} else {
		form.Set("From", opts.From)
	}
	if opts.StatusCallback != "" {
		form.Set("StatusCallback", opts.StatusCallback)
	}
	return &Client{
		path: "/2010-04-01/Accounts/" + opts.AccountSID + "/Messages.json",
		form: form,
		http: hc,
		log:  opts.Logger.With("provider", Provider),
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// decodeError names Twilio's error code without its message, which repeats
// the recipient's number.
func decodeError(_ int, _ http.Header, body []byte) string {
	var e restError
	if json.Unmarshal(body, &e) != nil || e.Code == 0 {
		return ""
	}
	return fmt.Sprintf("Twilio error %d", e.Code)
}

// Send implements notice.Sender: one SMS with m.Text to m.To. Twilio has no
// field for m.Reference; correlate by the returned SID instead.
func (c *Client) Send(ctx context.Context, m notice.Message) (notice.Receipt, error) {
	const op = "twilio.send"
	if m.To == "" || m.Text == "" {
		return notice.Receipt{}, orderbot.Errorf(orderbot.KindInvalid, op, "an SMS needs a recipient and a text")
	}
	if n := utf8.RuneCountInString(m.Text); n > MaxBodyChars {
		return notice.Receipt{}, orderbot.Errorf(orderbot.KindInvalid, op,
			"the SMS text is %d characters; Twilio accepts at most %d", n, MaxBodyChars)
	}
	form := url.Values{}
	for k, v := range c.form {
		form[k] = v
	}
	form.Set("To", m.To)
	form.Set("Body", m.Text)

	tctx, d := notice.Track(ctx)
	resp, err := c.http.Do(tctx, httpclient.Request{Op: op, Method: http.MethodPost, Path: c.path, Form: form})
	if err != nil {
		return notice.Receipt{}, c.failure(op, d, err)
	}
	var msg message
	if derr := httpclient.DecodeJSON(op, resp.Body, &msg); derr != nil || msg.SID == "" {
		// 201 means Twilio created the message; an unreadable body does not
		// undo that, so this is a success without an id, never a failure.
		c.log.Warn("twilio accepted a message but its answer could not be read", "op", op, "status", resp.Status)
		return notice.Receipt{Status: "accepted"}, nil
	}
	return notice.Receipt{ProviderID: msg.SID, Status: msg.Status}, nil
}

// failure turns a failed send into the error staff see on the ticket.
func (c *Client) failure(op string, d *notice.Delivery, err error) error {
	if d.Unknown() {
		return notice.OutcomeUnknown(op, "Twilio", err)
	}
	if !d.Answered() {
		return err // never sent: cancelled, breaker open, refused connection
	}
	var e restError
	_ = json.Unmarshal(d.ErrorBody(), &e)
	status := d.Status()
	var oe *orderbot.Error
	retryAfter := time.Duration(0)
	if errors.As(err, &oe) {
		retryAfter = oe.RetryAfter
	}
	wrap := func(kind orderbot.ErrorKind, msg string) error {
		return &orderbot.Error{Kind: kind, Op: op, Msg: msg, RetryAfter: retryAfter, Err: err}
	}
	switch {
	case e.Code == CodeInvalidTo:
		return wrap(orderbot.KindInvalid, "Twilio rejected the phone number as invalid (error 21211); check the customer's number")
	case e.Code == CodeNotMobile:
		return wrap(orderbot.KindInvalid, "the phone number cannot receive SMS (Twilio error 21614); use email instead")
	case e.Code == CodeUnsubscribed:
		return &orderbot.Error{Kind: orderbot.KindPermanent, Op: op, Err: fmt.Errorf("%w: %w", notice.ErrRecipientOptedOut, err),
			Msg: "the customer opted out of SMS by replying STOP (Twilio error 21610); do not text them, use email"}
	case status == http.StatusTooManyRequests || e.Code == CodeTooManyRequests:
		return wrap(orderbot.KindRateLimited, "Twilio is rate limiting our messages; the SMS was not sent and can be tried later")
	case status == http.StatusUnauthorized || status == http.StatusForbidden || e.Code == CodeAuthFailed:
		return wrap(orderbot.KindUnauthorized, "Twilio rejected our credentials; the SMS was not sent (check the Twilio account settings)")
	case status >= 500:
		return wrap(orderbot.KindTransient, fmt.Sprintf("Twilio failed with HTTP %d; the SMS was not sent", status))
	case e.Code != 0:
		return wrap(orderbot.KindInvalid, fmt.Sprintf("Twilio refused the SMS (error %d, see https://www.twilio.com/docs/errors/%d)", e.Code, e.Code))
	}
	return err
}
