package aliyunsms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
)

// Defaults of Options.
const (
	DefaultAPIURL   = "https://dysmsapi.aliyuncs.com"
	DefaultRegionID = "cn-hangzhou"
	// DefaultRateLimit is far below SendSms's 5000 QPS; customer notices are
	// few.
	DefaultRateLimit = 20.0
	// APIVersion is the Dysmsapi version the adapter speaks.
	APIVersion = "2017-05-25"
	// FrequencyLimitWait is the RetryAfter of a per-number frequency limit:
	// Alibaba's default allows about one message a minute per number.
	FrequencyLimitWait = time.Minute
)

// Provider names the adapter in errors, logs and metrics.
const Provider = "aliyunsms"

// Options configure the adapter.
type Options struct {
	// Settings are the options every adapter shares: APIURL defaults to
	// https://dysmsapi.aliyuncs.com, RateLimit to DefaultRateLimit. SendSms is
	// not idempotent: MaxRetries must stay 0.
	httpclient.Settings

	// AccessKeyID and AccessKeySecret are the RAM user's key; required.
	AccessKeyID     string
	AccessKeySecret string
	// SignName is the approved SMS sign name (短信签名); required.
	SignName string
	// RegionID defaults to cn-hangzhou.
	RegionID string
	// Now stamps Timestamp; a test hook, default time.Now.
	Now func() time.Time
	// Nonce returns SignatureNonce; a test hook, default a random UUID.
	Nonce func() string
}

// Client is the Alibaba Cloud SMS adapter. It is safe for concurrent use.
type Client struct {
	opts Options
	http *httpclient.Client
	log  *slog.Logger
}

var _ notice.Sender = (*Client)(nil)

// New builds the adapter; a missing key or sign name, or a bad URL, is a
// KindInvalid error.
func New(opts Options) (*Client, error) {
	const op = "aliyunsms.new"
	if opts.AccessKeyID == "" || opts.AccessKeySecret == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "aliyunsms: an access key id and secret are required")
	}
	if opts.SignName == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "aliyunsms: a sign name is required")
	}
	if err := opts.FillSender(op, Provider, DefaultAPIURL, DefaultRateLimit); err != nil {
		return nil, err
	}
	if opts.RegionID == "" {
		opts.RegionID = DefaultRegionID
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Nonce == nil {
		opts.Nonce = uuid
	}
	hopts := httpclient.Options{
		Secrets:     []string{opts.AccessKeySecret},
		Header:      http.Header{"Accept": {"application/json"}},
		DecodeError: decodeError,
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

func decodeError(_ int, _ http.Header, body []byte) string {
	var r response
	if json.Unmarshal(body, &r) != nil || r.Code == "" {
		return httpclient.GenericErrorMessage(body)
	}
	return r.Code
}

// Params builds the signed SendSms parameters for m at time now with nonce,
// Signature included: what Send posts, exposed for tests and tooling.
func (c *Client) Params(m notice.Message, now time.Time, nonce string) (url.Values, error) {
	const op = "aliyunsms.send"
	phone := strings.TrimPrefix(m.To, "+")
	if phone == "" || strings.Trim(phone, "0123456789") != "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "the SMS recipient is not a phone number")
	}
	if m.TemplateCode == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "Alibaba Cloud SMS needs a template code")
	}
	p := url.Values{}
	p.Set("AccessKeyId", c.opts.AccessKeyID)
	p.Set("Action", "SendSms")
	p.Set("Format", "JSON")
	p.Set("RegionId", c.opts.RegionID)
	p.Set("SignatureMethod", "HMAC-SHA1")
	p.Set("SignatureNonce", nonce)
	p.Set("SignatureVersion", "1.0")
	p.Set("Timestamp", now.UTC().Format("2006-01-02T15:04:05Z"))
	p.Set("Version", APIVersion)
	p.Set("PhoneNumbers", phone)
	p.Set("SignName", c.opts.SignName)
	p.Set("TemplateCode", m.TemplateCode)
	if len(m.TemplateParams) > 0 {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // the SMS is text; \u003c would reach the template as is
		if err := enc.Encode(m.TemplateParams); err != nil {
			return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, "the template parameters cannot be encoded")
		}
		p.Set("TemplateParam", strings.TrimSuffix(buf.String(), "\n"))
	}
	if m.Reference != "" {
		p.Set("OutId", m.Reference)
	}
	p.Set("Signature", Sign(http.MethodPost, c.opts.AccessKeySecret, p))
	return p, nil
}

// Send implements notice.Sender: SendSms of m.TemplateCode with
// m.TemplateParams to m.To; m.Text is not sent (Alibaba sends only approved
// templates).
func (c *Client) Send(ctx context.Context, m notice.Message) (notice.Receipt, error) {
	const op = "aliyunsms.send"
	form, err := c.Params(m, c.opts.Now(), c.opts.Nonce())
	if err != nil {
		return notice.Receipt{}, err
	}
	tctx, d := notice.Track(ctx)
	resp, err := c.http.Do(tctx, httpclient.Request{Op: op, Method: http.MethodPost, Path: "/", Form: form})
	if err != nil {
		if d.Unknown() {
			return notice.Receipt{}, notice.OutcomeUnknown(op, "Alibaba Cloud SMS", err)
		}
		if !d.Answered() {
			return notice.Receipt{}, err // never sent
		}
		var r response
		_ = json.Unmarshal(d.ErrorBody(), &r)
		if d.Status() >= 500 {
			return notice.Receipt{}, orderbot.Wrap(orderbot.KindTransient, op, err,
				fmt.Sprintf("Alibaba Cloud SMS failed with HTTP %d; the SMS was not sent", d.Status()))
		}
		if r.Code == "" {
			return notice.Receipt{}, err
		}
		return notice.Receipt{}, businessError(op, r.Code, err)
	}
	var r response
	if derr := httpclient.DecodeJSON(op, resp.Body, &r); derr != nil || r.Code == "" {
		// A 200 that does not say OK or which error leaves the outcome open.
		return notice.Receipt{}, notice.OutcomeUnknown(op, "Alibaba Cloud SMS",
			orderbot.Errorf(orderbot.KindPermanent, op, "the answer to SendSms could not be read"))
	}
	if r.Code != "OK" {
		return notice.Receipt{}, businessError(op, r.Code, nil)
	}
	return notice.Receipt{ProviderID: r.BizID, Status: "accepted"}, nil
}

// codeKinds maps Alibaba's codes to a kind and a sentence for the ticket.
var codeKinds = map[string]struct {
	kind orderbot.ErrorKind
	msg  string
}{
	"isv.MOBILE_NUMBER_ILLEGAL":       {orderbot.KindInvalid, "Alibaba Cloud rejected the phone number as invalid; check the customer's number"},
	"isv.BUSINESS_LIMIT_CONTROL":      {orderbot.KindRateLimited, "Alibaba Cloud's per-number frequency limit was reached for this customer; the SMS was not sent and can be tried later"},
	"isv.DAY_LIMIT_CONTROL":           {orderbot.KindRateLimited, "Alibaba Cloud's daily limit for this number was reached; the SMS was not sent"},
	"isv.MONTH_LIMIT_CONTROL":         {orderbot.KindRateLimited, "Alibaba Cloud's monthly limit was reached; the SMS was not sent"},
	"Throttling.User":                 {orderbot.KindRateLimited, "Alibaba Cloud is throttling our requests; the SMS was not sent and can be tried later"},
	"SignatureDoesNotMatch":           {orderbot.KindUnauthorized, "Alibaba Cloud rejected the request signature (check the access key secret); the SMS was not sent"},
	"InvalidAccessKeyId.NotFound":     {orderbot.KindUnauthorized, "Alibaba Cloud does not know our access key id; the SMS was not sent"},
	"InvalidAccessKeyId.Inactive":     {orderbot.KindUnauthorized, "our Alibaba Cloud access key is disabled; the SMS was not sent"},
	"isp.RAM_PERMISSION_DENY":         {orderbot.KindUnauthorized, "our Alibaba Cloud access key may not send SMS (RAM permission); the SMS was not sent"},
	"InvalidTimeStamp.Expired":        {orderbot.KindInvalid, "Alibaba Cloud refused the request time; check the server clock"},
	"SignatureNonceUsed":              {orderbot.KindInvalid, "Alibaba Cloud saw this request's nonce before; the SMS was not sent"},
	"isv.SMS_SIGNATURE_ILLEGAL":       {orderbot.KindInvalid, "the SMS sign name is not approved in Alibaba Cloud; fix the sms sign name in config"},
	"isv.SMS_TEMPLATE_ILLEGAL":        {orderbot.KindInvalid, "the SMS template code is not approved in Alibaba Cloud; fix the template config"},
	"isv.TEMPLATE_MISSING_PARAMETERS": {orderbot.KindInvalid, "the SMS template is missing parameters; fix the template config"},
	"isv.INVALID_JSON_PARAM":          {orderbot.KindInvalid, "Alibaba Cloud refused the template parameters"},
	"isv.AMOUNT_NOT_ENOUGH":           {orderbot.KindPermanent, "the Alibaba Cloud SMS account has no balance left; the SMS was not sent"},
	"isv.OUT_OF_SERVICE":              {orderbot.KindPermanent, "the Alibaba Cloud SMS service is stopped for our account; the SMS was not sent"},
	"isv.PRODUCT_UN_SUBSCRIPT":        {orderbot.KindPermanent, "our account is not subscribed to Alibaba Cloud SMS; the SMS was not sent"},
	"isp.SYSTEM_ERROR":                {orderbot.KindTransient, "Alibaba Cloud SMS had an internal error; the SMS was not sent"},
}

// businessError is the error for a refusal with code; unknown codes are
// KindPermanent, since a later identical request would be refused again,
// unless the HTTP status already says more (429 throttled, 401/403 refused
// credentials, 5xx an outage), which holds whatever the code.
func businessError(op, code string, cause error) error {
	k, ok := codeKinds[code]
	if !ok {
		k.kind, k.msg = orderbot.KindPermanent, "Alibaba Cloud SMS refused the SMS"
		switch ck := orderbot.KindOf(cause); ck {
		case orderbot.KindRateLimited, orderbot.KindUnauthorized, orderbot.KindTransient:
			k.kind = ck
		}
	}
	e := &orderbot.Error{Kind: k.kind, Op: op, Msg: k.msg + " (" + code + ")", Err: cause}
	var oe *orderbot.Error
	switch {
	case code == "isv.BUSINESS_LIMIT_CONTROL":
		e.RetryAfter = FrequencyLimitWait
	case k.kind == orderbot.KindRateLimited && errors.As(cause, &oe):
		e.RetryAfter = oe.RetryAfter
	}
	return e
}

// uuid is a random version 4 UUID, the SignatureNonce form Alibaba documents.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
