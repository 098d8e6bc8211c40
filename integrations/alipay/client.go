package alipay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

const (
	// Provider is Payment.Provider of Alipay payments and the source type.
	Provider = "alipay"
	// DefaultName is the source name when Options.Name is empty.
	DefaultName = Provider
	// DefaultAPIURL is the production gateway's host; the sandbox is
	// https://openapi-sandbox.dl.alipaydev.com.
	DefaultAPIURL = "https://openapi.alipay.com"
	// GatewayPath is joined to the API URL.
	GatewayPath = "/gateway.do"
	// DefaultRateLimit is requests per second. Alipay publishes no rate for
	// trade.query; one query per order in doubt rarely needs more.
	DefaultRateLimit = 10.0
)

const opQuery = "alipay.trade_query"

// Options configure a Client.
type Options struct {
	// Settings are the options every adapter shares: Name defaults to "alipay",
	// APIURL to DefaultAPIURL (GatewayPath is joined to it), RateLimit to
	// DefaultRateLimit; Logger to a discarding one.
	httpclient.Settings

	// AppID is the merchant app's id; required.
	AppID string
	// PrivateKey is the app's RSA private key (PEM or bare base64, PKCS#1 or
	// PKCS#8); it signs every request. Required.
	PrivateKey string
	// AlipayPublicKey verifies every answer (PEM or the bare base64 of the
	// Alipay console). Required.
	AlipayPublicKey string
	// AppAuthToken, when set, queries on behalf of a merchant who authorised a
	// third-party app.
	AppAuthToken string
	// Now is the clock of request timestamps; default time.Now.
	Now func() time.Time
}

// Client queries Alipay trades. It implements orderbot.PaymentQuerier and is
// safe for concurrent use.
type Client struct {
	name    string
	appID   string
	token   string
	key     *rsa.PrivateKey
	alipay  *rsa.PublicKey
	http    *httpclient.Client
	now     func() time.Time
	log     *slog.Logger
	secrets []string
}

var _ orderbot.PaymentQuerier = (*Client)(nil)

// New validates opts and builds a Client. Bad options are KindInvalid errors
// that never echo a key.
func New(opts Options) (*Client, error) {
	const op = "alipay.new"
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Fill(DefaultName, DefaultAPIURL, DefaultRateLimit)
	if strings.TrimSpace(opts.AppID) == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: app_id is required", opts.Name)
	}
	key, err := ParsePrivateKey(opts.PrivateKey)
	if err != nil {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: private_key: %v", opts.Name, err)
	}
	pub, err := ParsePublicKey(opts.AlipayPublicKey)
	if err != nil {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: alipay_public_key: %v", opts.Name, err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{name: opts.Name, appID: opts.AppID, token: opts.AppAuthToken, key: key, alipay: pub,
		now: opts.Now, log: opts.Logger.With("source", opts.Name), secrets: []string{opts.PrivateKey, opts.AppAuthToken}}
	hopts := httpclient.Options{
		Secrets:   c.secrets,
		Header:    http.Header{"Accept": {"application/json"}},
		BodyError: retryableBodyError,
		Logger:    c.log,
	}
	if c.http, err = opts.NewClient(Provider, hopts); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the source name.
func (c *Client) Name() string { return c.name }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// QueryPayment asks Alipay about the trade whose out_trade_no is the order's
// id. No trade is a KindNotFound error.
func (c *Client) QueryPayment(ctx context.Context, o orderbot.Order) (orderbot.Payment, error) {
	if o.ID == "" {
		return orderbot.Payment{}, orderbot.Errorf(orderbot.KindInvalid, opQuery, "%s: the order has no id", c.name)
	}
	form, err := c.request(BizContent{OutTradeNo: o.ID})
	if err != nil {
		return orderbot.Payment{}, err
	}
	// trade.query reads; repeating it is safe.
	resp, err := c.http.Do(ctx, httpclient.Request{Op: opQuery, Method: http.MethodPost, Path: GatewayPath,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=utf-8"}}, Form: form, Idempotent: true})
	if err != nil {
		return orderbot.Payment{}, err
	}
	r, err := c.verified(resp.Body)
	if err != nil {
		return orderbot.Payment{}, err
	}
	if err := resultError(r); err != nil {
		return orderbot.Payment{}, err
	}
	if r.OutTradeNo != "" && r.OutTradeNo != o.ID {
		return orderbot.Payment{}, orderbot.Errorf(orderbot.KindPermanent, opQuery,
			"%s answered for out_trade_no %q when asked about %q", c.name, r.OutTradeNo, o.ID)
	}
	r.OutTradeNo = o.ID
	p, err := toPayment(r, c.now())
	if err != nil {
		return orderbot.Payment{}, orderbot.Wrap(orderbot.KindPermanent, opQuery, err, c.name+": unexpected trade")
	}
	return p, nil
}

// request builds the signed form of a trade.query.
func (c *Client) request(biz BizContent) (url.Values, error) {
	bc, err := json.Marshal(biz)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, opQuery, err, "cannot encode biz_content")
	}
	form := url.Values{
		"app_id":      {c.appID},
		"method":      {Method},
		"format":      {"JSON"},
		"charset":     {"utf-8"},
		"sign_type":   {"RSA2"},
		"timestamp":   {c.now().In(beijing).Format(TimeLayout)},
		"version":     {"1.0"},
		"biz_content": {string(bc)},
	}
	if c.token != "" {
		form.Set("app_auth_token", c.token)
	}
	sig, err := Sign(c.key, []byte(SignContent(form)))
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, opQuery, err, c.name+": cannot sign the request")
	}
	form.Set("sign", sig)
	return form, nil
}

// verified checks the answer's signature and decodes it. An unsigned answer
// is accepted only as an error Alipay could not sign: never as a trade.
func (c *Client) verified(body []byte) (TradeQueryResponse, error) {
	var r TradeQueryResponse
	raw, sign, err := SignedValue(body, ResponseKey)
	if err != nil {
		if raw, _, err2 := SignedValue(body, ErrorKey); err2 == nil {
			if err := json.Unmarshal(raw, &r); err == nil && r.Code != "" && r.Code != CodeSuccess {
				return r, nil
			}
		}
		return r, orderbot.Wrap(orderbot.KindPermanent, opQuery, err, c.name+": unexpected answer")
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, orderbot.Wrap(orderbot.KindPermanent, opQuery, err, c.name+": "+ResponseKey+" does not decode")
	}
	if sign == "" {
		if r.Code == CodeSuccess || r.Code == "" {
			return r, orderbot.Errorf(orderbot.KindPermanent, opQuery, "%s: the answer is not signed; refused", c.name)
		}
		return r, nil
	}
	if err := Verify(c.alipay, raw, sign); err != nil {
		// A wrong alipay_public_key or a forged answer: either way nothing in
		// it can be believed.
		return r, orderbot.Wrap(orderbot.KindPermanent, opQuery, err, c.name+": the answer's signature does not verify with alipay_public_key; refused")
	}
	return r, nil
}

// resultError maps a gateway result code to an error; nil for success.
func resultError(r TradeQueryResponse) error {
	if r.Code == CodeSuccess {
		return nil
	}
	kind := resultKind(r.Code, r.SubCode)
	msg := r.Msg
	if r.SubCode != "" {
		msg += " (" + r.SubCode + ")"
	}
	return orderbot.Errorf(kind, opQuery, "alipay answered code %s: %s", r.Code, msg)
}

func resultKind(code, sub string) orderbot.ErrorKind {
	switch {
	case code == CodeUnavailable || (code == CodeBusinessFailed && sub == SubSystemError):
		return orderbot.KindTransient
	case code == CodeBusinessFailed && sub == SubTradeNotExist:
		return orderbot.KindNotFound
	case code == CodeInsufficientToken || code == CodeInsufficientRights ||
		(code == CodeInvalidArgument && strings.HasPrefix(sub, "isv.invalid-") && sub != "isv.invalid-parameter"):
		return orderbot.KindUnauthorized
	case code == CodeMissingArgument || code == CodeInvalidArgument:
		return orderbot.KindInvalid
	}
	return orderbot.KindPermanent
}

// retryableBodyError lets the shared HTTP policy retry what Alipay reports as
// temporary inside HTTP 200 (20000, ACQ.SYSTEM_ERROR). Everything else is
// judged after the signature is verified.
func retryableBodyError(r *httpclient.Response) (orderbot.ErrorKind, string) {
	raw, _, err := SignedValue(r.Body, ResponseKey)
	if err != nil {
		return "", ""
	}
	var res TradeQueryResponse
	if json.Unmarshal(raw, &res) != nil {
		return "", ""
	}
	if resultKind(res.Code, res.SubCode) != orderbot.KindTransient {
		return "", ""
	}
	return orderbot.KindTransient, fmt.Sprintf("code %s %s %s", res.Code, res.Msg, res.SubCode)
}
