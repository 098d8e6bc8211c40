package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/orderbot/orderbot"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultMaxRetries       = 3
	DefaultMaxBackoff       = 30 * time.Second
	DefaultInitialBackoff   = 500 * time.Millisecond
	DefaultMaxResponseBytes = 10 << 20
	DefaultBreakerFailures  = 5
	DefaultBreakerOpen      = 30 * time.Second
	DefaultUserAgent        = "orderbot"
)

// AttemptLogMessage is the message of the debug line Do logs for every
// attempt it makes, answered or not; the conformance kit counts attempts by
// it.
const AttemptLogMessage = "http request"

// Sentinel causes carried in the Err field of the *orderbot.Error that Do returns,
// for callers and tests that need to tell these cases apart with errors.Is.
var (
	// ErrTimeout means one attempt ran past Options.Timeout.
	ErrTimeout = errors.New("attempt timed out")
	// ErrBreakerOpen means the provider failed too often recently and requests
	// are paused until the breaker lets a trial request through.
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrTooLarge means the answer exceeded Options.MaxResponseBytes.
	ErrTooLarge = errors.New("response too large")
)

// BreakerSettings configure the circuit breaker of one provider.
type BreakerSettings struct {
	// ConsecutiveFailures is how many 5xx answers, timeouts or network failures
	// in a row open the breaker; default 5. A 4xx answer never counts.
	ConsecutiveFailures uint32
	// OpenInterval is how long the breaker stays open before it lets one trial
	// request through; default 30s.
	OpenInterval time.Duration
}

// Options configure one provider's client.
type Options struct {
	// Provider ("stripe", "shopify", ...) names the breaker, metrics and log attrs.
	Provider string
	// BaseURL is api_url from config; request paths are joined to it.
	BaseURL string
	// Timeout bounds one attempt, body included; default 15s.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt for retryable
	// failures of idempotent requests; 0 means the default 3, -1 means none.
	MaxRetries int
	// MaxBackoff caps one wait (backoff or Retry-After); default 30s.
	MaxBackoff time.Duration
	// InitialBackoff is the first backoff wait before jitter; default 500ms.
	InitialBackoff time.Duration
	// RateLimit is a client-side limit in requests per second; 0 = unlimited.
	RateLimit float64
	// Burst is the limiter's bucket size; default 1.
	Burst int
	// MaxResponseBytes caps a response body; a larger body is a KindPermanent
	// error and is never read whole. Default 10 MiB.
	MaxResponseBytes int64
	// Secrets are values scrubbed from every error string and log line.
	Secrets []string
	// Header is sent on every request (auth headers may go here).
	Header http.Header
	// Auth optionally signs each outgoing request.
	Auth func(*http.Request) error
	// RateHeaders optionally reads provider pacing from response headers and
	// returns how long to wait before the next request.
	RateHeaders func(h http.Header) time.Duration
	// DecodeError optionally extracts the provider's error message from an error
	// answer; the result is scrubbed and shortened before use.
	DecodeError func(status int, h http.Header, body []byte) string
	// BodyError optionally finds an error in a 2xx answer, for providers that
	// report failures inside HTTP 200 (Alipay's gateway). A non-empty kind makes
	// the attempt fail with that kind and message; KindTransient and
	// KindRateLimited are retried like a 5xx or 429, under the same limits.
	BodyError func(r *Response) (kind orderbot.ErrorKind, msg string)
	// Logger receives debug lines per attempt and info lines per retry; default
	// slog.Default().
	Logger *slog.Logger
	// Breaker configures the circuit breaker.
	Breaker BreakerSettings
	// Sleep waits d or until ctx is done; a test hook. The default uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock that pacing, the client-side rate limit and HTTP-date
	// Retry-After values are computed against; a test hook, so that waits
	// are exact however slowly a loaded machine runs. Default time.Now.
	Now func() time.Time
	// Registerer receives the client's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Transport optionally replaces the HTTP transport (tests, proxies).
	Transport http.RoundTripper
	// UserAgent is sent unless a request sets its own; default "orderbot".
	UserAgent string
}

// Client sends requests to one provider under the shared policy. It is safe for
// concurrent use.
type Client struct {
	opts    Options
	base    *url.URL
	rc      *resty.Client
	hc      *http.Client
	breaker *gobreaker.CircuitBreaker[*Response]
	limiter *rate.Limiter
	scrub   *scrubber
	log     *slog.Logger
	metrics *metrics

	paceMu    sync.Mutex
	paceUntil time.Time
}

// New builds a Client. An invalid BaseURL or option is a KindInvalid error.
func New(opts Options) (*Client, error) {
	const op = "httpclient.new"
	if opts.Provider == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "provider name is required")
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		// The URL itself is not echoed: an operator may have put a key in it.
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: api_url must be an absolute http(s) URL", opts.Provider)
	}
	if opts.Timeout < 0 || opts.MaxBackoff < 0 || opts.RateLimit < 0 || opts.MaxResponseBytes < 0 || opts.MaxRetries < -1 {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: timeouts, limits and retries must not be negative", opts.Provider)
	}
	if base.Path == "" {
		base.Path = "/" // so joined paths stay absolute
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	switch opts.MaxRetries {
	case 0:
		opts.MaxRetries = DefaultMaxRetries
	case -1:
		opts.MaxRetries = 0
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.InitialBackoff > opts.MaxBackoff {
		opts.InitialBackoff = opts.MaxBackoff
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.MaxResponseBytes == 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.Breaker.ConsecutiveFailures == 0 {
		opts.Breaker.ConsecutiveFailures = DefaultBreakerFailures
	}
	if opts.Breaker.OpenInterval <= 0 {
		opts.Breaker.OpenInterval = DefaultBreakerOpen
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, opts.Provider+": cannot register metrics")
	}

	c := &Client{
		opts:    opts,
		base:    base,
		scrub:   newScrubber(opts.Secrets),
		log:     opts.Logger.With("provider", opts.Provider),
		metrics: m,
	}
	if opts.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), opts.Burst)
	}

	transport := opts.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		transport = t
	}
	// No cookie jar: providers' session cookies must not leak between calls.
	c.hc = &http.Client{Transport: transport, CheckRedirect: sameHostRedirects}
	c.rc = resty.NewWithClient(c.hc).
		SetRetryCount(0). // retries are decided in Do, not by resty
		SetDisableWarn(true).
		SetLogger(discardRestyLogger{}).
		SetDoNotParseResponse(true)
	if opts.Auth != nil {
		auth := opts.Auth
		c.rc.SetPreRequestHook(func(_ *resty.Client, r *http.Request) error {
			if err := auth(r); err != nil {
				return &signError{err}
			}
			return nil
		})
	}

	c.metrics.breaker.WithLabelValues(opts.Provider).Set(float64(gobreaker.StateClosed))
	failures := opts.Breaker.ConsecutiveFailures
	c.breaker = gobreaker.NewCircuitBreaker[*Response](gobreaker.Settings{
		Name:    opts.Provider,
		Timeout: opts.Breaker.OpenInterval,
		ReadyToTrip: func(counts gobreaker.Counts) bool {
			return counts.ConsecutiveFailures >= failures
		},
		OnStateChange: func(name string, from, to gobreaker.State) {
			c.metrics.breaker.WithLabelValues(name).Set(float64(to))
			c.log.Warn("circuit breaker state changed", "from", from.String(), "to", to.String())
		},
		// Only the provider's own failures count against it.
		IsSuccessful: func(err error) bool {
			var f *failure
			return err == nil || !errors.As(err, &f) || !f.trips
		},
		// The caller giving up says nothing about the provider's health.
		IsExcluded: func(err error) bool {
			var f *failure
			return errors.As(err, &f) && f.excluded
		},
	})
	return c, nil
}

// Provider returns the provider name the client was built for.
func (c *Client) Provider() string { return c.opts.Provider }

// Scrub returns s with every configured secret replaced by "[REDACTED]", for
// adapters that build their own messages or log lines.
func (c *Client) Scrub(s string) string { return c.scrub.Replace(s) }

// CloseIdleConnections closes kept-alive connections, so that a stopped adapter
// leaves no connection goroutines behind.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Request is one logical call; Do may send it several times.
type Request struct {
	// Op names the call in errors and logs, e.g. "shopify.list_orders".
	Op string
	// Method defaults to GET.
	Method string
	// Path is joined to BaseURL; it may also be a full URL (Link-header
	// pagination), which must be on BaseURL's scheme and host.
	Path string
	// Query is added to the URL's query.
	Query url.Values
	// Header is sent with this request on top of Options.Header.
	Header http.Header
	// Form is sent as an application/x-www-form-urlencoded body.
	Form url.Values
	// JSON is sent as a JSON body.
	JSON any
	// Idempotent marks a POST or PATCH as safe to repeat (it carries an
	// Idempotency-Key, say). GET, HEAD, OPTIONS, PUT and DELETE are idempotent
	// by definition. Non-idempotent requests are never retried: an SMS that may
	// have gone out must not go out twice.
	Idempotent bool
}

// Response is a 2xx answer.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string // from X-Request-Id, Request-Id, X-Shopify-Request-Id or similar
}

// requestIDHeaders are the response headers providers put their request id in.
var requestIDHeaders = []string{
	"X-Request-Id", "Request-Id", "X-Shopify-Request-Id", "X-Acs-Request-Id",
	"Twilio-Request-Id", "X-Amzn-Requestid", "X-Correlation-Id",
}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// Do sends the request under the policy: limiter and pacing waits, breaker,
// per-attempt timeout, and retries with jittered bounded exponential backoff on
// 429, 5xx, timeouts and network errors for idempotent requests only, honouring
// Retry-After (seconds or HTTP date) capped by MaxBackoff and respecting ctx at
// every wait. A 2xx returns the Response; anything else an *orderbot.Error:
//
//	401/403 → KindUnauthorized; 404/410 → KindNotFound; 409 → KindConflict;
//	429 → KindRateLimited with RetryAfter set; 408, 5xx, timeouts, network
//	failures, open breaker, cancellation → KindTransient; other 4xx →
//	KindInvalid; body over MaxResponseBytes, unexpected 1xx/3xx → KindPermanent.
//
// The error names the op, the status and the provider's message, never a
// configured secret.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	op := req.Op
	if op == "" {
		op = c.opts.Provider + "." + strings.ToLower(method)
	}
	target, path, err := c.resolve(req.Path, req.Query)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, c.opts.Provider+": bad request URL")
	}
	idempotent := req.Idempotent
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		idempotent = true
	}
	maxAttempts := 1
	if idempotent {
		maxAttempts += c.opts.MaxRetries
	}
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			return nil, c.cancelled(op, method, path, err)
		}
		resp, aerr := c.attempt(ctx, op, method, target, path, req, attempt)
		if aerr == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, c.cancelled(op, method, path, ctx.Err())
		}
		if attempt >= maxAttempts || !orderbot.Retryable(aerr) || errors.Is(aerr, ErrBreakerOpen) {
			return nil, aerr
		}
		wait := Backoff(attempt, c.opts.InitialBackoff, c.opts.MaxBackoff)
		if aerr.RetryAfter > 0 {
			// The provider said when; jitter would only make us early or late.
			wait = aerr.RetryAfter
		}
		wait = min(wait, c.opts.MaxBackoff)
		c.metrics.retries.WithLabelValues(c.opts.Provider).Inc()
		c.log.Info("retrying request", "op", op, "method", method, "path", path,
			"attempt", attempt, "wait", wait, "reason", string(aerr.Kind), "error", aerr.Msg)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return nil, c.cancelled(op, method, path, err)
		}
	}
}

// resolve builds the request URL and the query-less path used in messages.
func (c *Client) resolve(p string, q url.Values) (target, path string, err error) {
	ref, err := url.Parse(p)
	if err != nil {
		return "", "", errors.New("the path does not parse")
	}
	var u *url.URL
	if ref.IsAbs() {
		if !strings.EqualFold(ref.Scheme, c.base.Scheme) || !strings.EqualFold(ref.Host, c.base.Host) {
			// A pagination link to another host would carry our credentials there.
			return "", "", errors.New("refusing to send credentials to a URL on another host")
		}
		u = ref
	} else {
		u = c.base.JoinPath(ref.EscapedPath())
		if strings.HasSuffix(ref.Path, "/") && !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		u.RawQuery = mergeQuery(c.base.RawQuery, ref.RawQuery)
	}
	if len(q) > 0 {
		u.RawQuery = mergeQuery(u.RawQuery, q.Encode())
	}
	return u.String(), u.EscapedPath(), nil
}

func mergeQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// waitTurn applies provider pacing and the client-side rate limit.
func (c *Client) waitTurn(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.paceMu.Lock()
	d := c.paceUntil.Sub(c.opts.Now())
	c.paceMu.Unlock()
	if d > 0 {
		if err := c.opts.Sleep(ctx, min(d, c.opts.MaxBackoff)); err != nil {
			return err
		}
	}
	if c.limiter != nil {
		now := c.opts.Now()
		r := c.limiter.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			if err := c.opts.Sleep(ctx, d); err != nil {
				r.CancelAt(c.opts.Now())
				return err
			}
		}
	}
	return nil
}

func (c *Client) pace(h http.Header) {
	if c.opts.RateHeaders == nil {
		return
	}
	d := c.opts.RateHeaders(h)
	if d <= 0 {
		return
	}
	until := c.opts.Now().Add(d)
	c.paceMu.Lock()
	if until.After(c.paceUntil) {
		c.paceUntil = until
	}
	c.paceMu.Unlock()
}

// failure is what one attempt returns through the breaker: the classified error
// plus whether it counts against the provider's health.
type failure struct {
	err      *orderbot.Error
	trips    bool // a 5xx, timeout or network failure: the provider's fault
	excluded bool // the caller cancelled: says nothing about the provider
}

func (f *failure) Error() string { return f.err.Error() }

// signError marks a failure of Options.Auth, which is ours, not the network's.
type signError struct{ err error }

func (e *signError) Error() string { return "signing the request failed: " + e.err.Error() }

// attempt sends the request once.
func (c *Client) attempt(ctx context.Context, op, method, target, path string, req Request, n int) (*Response, *orderbot.Error) {
	start := time.Now()
	status := 0
	resp, err := c.breaker.Execute(func() (*Response, error) {
		actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
		r := c.rc.R().SetContext(actx)
		r.SetHeader("User-Agent", c.opts.UserAgent)
		for k, vs := range c.opts.Header {
			r.Header[http.CanonicalHeaderKey(k)] = vs
		}
		for k, vs := range req.Header {
			r.Header[http.CanonicalHeaderKey(k)] = vs
		}
		switch {
		case req.JSON != nil:
			r.SetHeader("Content-Type", "application/json").SetBody(req.JSON)
		case req.Form != nil:
			r.SetFormDataFromValues(req.Form)
		}
		rr, err := r.Execute(method, target)
		var raw *http.Response
		if rr != nil {
			raw = rr.RawResponse
		}
		if err != nil {
			if raw != nil && raw.Body != nil {
				raw.Body.Close()
			}
			return nil, c.transportFailure(ctx, actx, op, method, path, err)
		}
		defer raw.Body.Close()
		status = raw.StatusCode
		c.pace(raw.Header)
		body, err := c.readBody(raw)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, &failure{err: orderbot.Wrap(orderbot.KindPermanent, op, ErrTooLarge, c.Scrub(fmt.Sprintf(
					"%s answered more than %d bytes to %s %s", c.opts.Provider, c.opts.MaxResponseBytes, method, path)))}
			}
			return nil, c.transportFailure(ctx, actx, op, method, path, err)
		}
		out := &Response{Status: raw.StatusCode, Header: raw.Header, Body: body, RequestID: requestID(raw.Header)}
		if raw.StatusCode >= 200 && raw.StatusCode < 300 {
			if c.opts.BodyError != nil {
				if kind, msg := c.opts.BodyError(out); kind != "" {
					e := orderbot.Errorf(kind, op, "%s", c.Scrub(fmt.Sprintf("%s answered %s %s with an error: %s",
						c.opts.Provider, method, path, msg)))
					if kind == orderbot.KindRateLimited {
						e.RetryAfter = suggestedWait(n, c.opts)
					}
					return nil, &failure{err: e, trips: kind == orderbot.KindTransient}
				}
			}
			return out, nil
		}
		return nil, c.statusFailure(op, method, path, out, suggestedWait(n, c.opts))
	})

	outcome := "ok"
	var f *failure
	var oerr *orderbot.Error
	switch {
	case err == nil:
	case errors.As(err, &f):
		oerr = f.err
		outcome = string(oerr.Kind)
		if f.excluded {
			outcome = "cancelled"
		}
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		oerr = orderbot.Wrap(orderbot.KindTransient, op, ErrBreakerOpen, fmt.Sprintf(
			"%s failed repeatedly; requests are paused for up to %s", c.opts.Provider, c.opts.Breaker.OpenInterval))
		oerr.RetryAfter = c.opts.Breaker.OpenInterval
		outcome = "breaker_open"
	default:
		oerr = orderbot.Errorf(orderbot.KindTransient, op, "%s", c.Scrub(err.Error()))
		outcome = string(oerr.Kind)
	}
	elapsed := time.Since(start)
	c.metrics.requests.WithLabelValues(c.opts.Provider, outcome).Inc()
	c.metrics.duration.WithLabelValues(c.opts.Provider).Observe(elapsed.Seconds())
	if c.log.Enabled(ctx, slog.LevelDebug) {
		rid := ""
		if resp != nil {
			rid = resp.RequestID
		}
		c.log.Debug(AttemptLogMessage, "op", op, "method", method, "path", c.Scrub(path), "status", status,
			"attempt", n, "request_id", rid, "duration", elapsed, "outcome", outcome)
	}
	if oerr != nil {
		return nil, oerr
	}
	return resp, nil
}

// suggestedWait is the RetryAfter suggested for a 429 without a Retry-After header: the
// first backoff step grown by the attempt number, capped.
func suggestedWait(n int, o Options) time.Duration {
	d := o.InitialBackoff
	for i := 1; i < n && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}

// readBody reads at most MaxResponseBytes; more is ErrTooLarge without reading
// the rest.
func (c *Client) readBody(raw *http.Response) ([]byte, error) {
	limit := c.opts.MaxResponseBytes
	if raw.ContentLength > limit {
		return nil, ErrTooLarge
	}
	var buf bytes.Buffer
	if raw.ContentLength > 0 {
		buf.Grow(int(raw.ContentLength) + 1)
	} else {
		buf.Grow(4096)
	}
	n, err := buf.ReadFrom(io.LimitReader(raw.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

// transportFailure classifies an error without an HTTP answer.
func (c *Client) transportFailure(ctx, actx context.Context, op, method, path string, err error) *failure {
	var se *signError
	switch {
	case ctx.Err() != nil:
		return &failure{err: c.cancelled(op, method, path, ctx.Err()), excluded: true}
	case errors.As(err, &se):
		return &failure{err: orderbot.Errorf(orderbot.KindInvalid, op, "%s", c.Scrub(c.opts.Provider+": "+se.Error()))}
	case actx.Err() != nil || isTimeout(err):
		return &failure{trips: true, err: orderbot.Wrap(orderbot.KindTransient, op, ErrTimeout, fmt.Sprintf(
			"%s did not answer %s %s within %s", c.opts.Provider, method, c.Scrub(path), c.opts.Timeout))}
	}
	// A *url.Error repeats the full URL, query and all; keep only its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &failure{trips: true, err: orderbot.Errorf(orderbot.KindTransient, op, "%s", c.Scrub(fmt.Sprintf(
		"%s %s %s failed: %v", c.opts.Provider, method, path, err)))}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// cancelled is the error for a caller that gave up; it keeps ctx's error in the
// chain so errors.Is(err, context.Canceled) holds.
func (c *Client) cancelled(op, method, path string, cause error) *orderbot.Error {
	return orderbot.Wrap(orderbot.KindTransient, op, cause, c.Scrub(fmt.Sprintf(
		"%s %s %s was cancelled", c.opts.Provider, method, path)))
}

// statusFailure classifies a non-2xx answer.
func (c *Client) statusFailure(op, method, path string, r *Response, suggested time.Duration) *failure {
	kind, trips := classify(r.Status)
	msg := fmt.Sprintf("%s answered HTTP %d to %s %s", c.opts.Provider, r.Status, method, path)
	if r.RequestID != "" {
		msg += " (request id " + r.RequestID + ")"
	}
	if pm := c.providerMessage(r); pm != "" {
		msg += ": " + pm
	}
	e := orderbot.Errorf(kind, op, "%s", c.Scrub(msg))
	if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable {
		if d, ok := ParseRetryAfter(r.Header.Get("Retry-After"), c.opts.Now()); ok {
			e.RetryAfter = d
		} else if kind == orderbot.KindRateLimited {
			e.RetryAfter = suggested
		}
	}
	return &failure{err: e, trips: trips}
}

// classify maps an HTTP status to an error kind and whether it counts against
// the provider's health.
func classify(status int) (orderbot.ErrorKind, bool) {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return orderbot.KindUnauthorized, false
	case status == http.StatusNotFound || status == http.StatusGone:
		return orderbot.KindNotFound, false
	case status == http.StatusConflict:
		return orderbot.KindConflict, false
	case status == http.StatusTooManyRequests:
		return orderbot.KindRateLimited, false
	case status == http.StatusRequestTimeout:
		// The server gave up waiting for us: worth another try, not its fault.
		return orderbot.KindTransient, false
	case status >= 400 && status < 500:
		return orderbot.KindInvalid, false
	case status >= 500:
		return orderbot.KindTransient, true
	}
	return orderbot.KindPermanent, false
}

// maxProviderMessage bounds how much of a provider's error text reaches a
// message: enough to act on, not a page of HTML.
const maxProviderMessage = 300

func (c *Client) providerMessage(r *Response) string {
	var s string
	if c.opts.DecodeError != nil {
		s = c.opts.DecodeError(r.Status, r.Header, r.Body)
	} else {
		s = GenericErrorMessage(r.Body)
	}
	s = strings.Join(strings.Fields(c.Scrub(s)), " ")
	if len(s) > maxProviderMessage {
		cut := maxProviderMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sameHostRedirects follows at most five redirects and only on the same host:
// auth headers such as X-Shopify-Access-Token are not stripped by net/http on a
// cross-host redirect, so following one would hand the token to another server.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if len(via) > 0 && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return http.ErrUseLastResponse
	}
	return nil
}

// discardRestyLogger silences resty's own logging: its messages may contain
// URLs with keys, and Do logs what matters through slog.
type discardRestyLogger struct{}

func (discardRestyLogger) Errorf(string, ...any) {}
func (discardRestyLogger) Warnf(string, ...any)  {}
func (discardRestyLogger) Debugf(string, ...any) {}
