package httpclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is where a frozen test clock stands (Options.Now): waits computed
// against it are exact however slowly a loaded machine runs the test.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func frozen() time.Time { return t0 }

// script is an httptest handler answering from a list of steps; the last step
// repeats.
type script struct {
	mu     sync.Mutex
	steps  []func(w http.ResponseWriter, r *http.Request)
	calls  atomic.Int32
	reqs   []*http.Request
	bodies []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.bodies = append(s.bodies, string(body))
	step := s.steps[min(n, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func status(code int, body string, hdr ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func serve(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *script) {
	t.Helper()
	s := &script{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.CloseClientConnections() // ends handlers still holding a request
		srv.Close()
	})
	return srv, s
}

// newClient builds a client whose waits are recorded, not slept, and whose
// attempts never time out unless mutate shortens Timeout.
func newClient(t *testing.T, baseURL string, mutate func(*httpclient.Options)) (*httpclient.Client, *conformance.Sleeper) {
	t.Helper()
	sl := &conformance.Sleeper{}
	o := httpclient.Options{
		Provider: "acme",
		BaseURL:  baseURL,
		Timeout:  conformance.GenerousTimeout,
		Sleep:    sl.Sleep,
		Logger:   slog.New(slog.DiscardHandler),
	}
	if mutate != nil {
		mutate(&o)
	}
	c, err := httpclient.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, sl
}

func get(path string) httpclient.Request { return httpclient.Request{Op: "acme.get", Path: path} }

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    httpclient.Options
	}{
		{"no provider", httpclient.Options{BaseURL: "https://x"}},
		{"relative url", httpclient.Options{Provider: "p", BaseURL: "/v1"}},
		{"bad scheme", httpclient.Options{Provider: "p", BaseURL: "ftp://x"}},
		{"no url", httpclient.Options{Provider: "p"}},
		{"negative timeout", httpclient.Options{Provider: "p", BaseURL: "https://x", Timeout: -1}},
		{"negative retries", httpclient.Options{Provider: "p", BaseURL: "https://x", MaxRetries: -2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpclient.New(tc.o)
			if orderbot.KindOf(err) != orderbot.KindInvalid {
				t.Fatalf("err = %v, want KindInvalid", err)
			}
		})
	}
}

func TestRetryAfterThenSuccess(t *testing.T) {
	date := t0.Add(3 * time.Second).Format(http.TimeFormat)
	for _, tc := range []struct {
		name       string
		retryAfter string
		min, max   time.Duration
	}{
		{"seconds", "2", 2 * time.Second, 2 * time.Second},
		{"fractional seconds", "1.5", 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"http date", date, 3 * time.Second, 3 * time.Second},
		{"capped by MaxBackoff", "120", 5 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := serve(t,
				status(429, `{"error":{"message":"slow down"}}`, "Retry-After", tc.retryAfter),
				status(200, `{"ok":true}`))
			c, sl := newClient(t, srv.URL, func(o *httpclient.Options) { o.MaxBackoff = 5 * time.Second; o.Now = frozen })
			resp, err := c.Do(context.Background(), get("/v1/things"))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
				t.Fatalf("resp = %d %s", resp.Status, resp.Body)
			}
			if s.calls.Load() != 2 {
				t.Fatalf("calls = %d, want 2", s.calls.Load())
			}
			w := sl.Waits()
			if len(w) != 1 || w[0] < tc.min || w[0] > tc.max {
				t.Fatalf("waits = %v, want one in [%v, %v]", w, tc.min, tc.max)
			}
		})
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	srv, s := serve(t, status(500, "boom"), status(502, "bad gateway"), status(200, "{}"))
	c, sl := newClient(t, srv.URL, nil)
	if _, err := c.Do(context.Background(), get("/x")); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if s.calls.Load() != 3 || len(sl.Waits()) != 2 {
		t.Fatalf("calls = %d waits = %v", s.calls.Load(), sl.Waits())
	}
	for _, w := range sl.Waits() {
		if w <= 0 || w > httpclient.DefaultMaxBackoff {
			t.Fatalf("wait %v out of bounds", w)
		}
	}
}

func TestUnavailableForeverIsBounded(t *testing.T) {
	srv, s := serve(t, status(503, `{"message":"maintenance"}`))
	c, sl := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.MaxRetries = 4
		o.InitialBackoff = time.Second
		o.MaxBackoff = 3 * time.Second
	})
	_, err := c.Do(context.Background(), get("/x"))
	if orderbot.KindOf(err) != orderbot.KindTransient || !orderbot.Retryable(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if got := s.calls.Load(); got != 5 {
		t.Fatalf("calls = %d, want 1 + 4 retries", got)
	}
	for _, w := range sl.Waits() {
		if w > 3*time.Second {
			t.Fatalf("wait %v exceeds MaxBackoff", w)
		}
	}
	if !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("error %q lacks status or provider message", err)
	}
}

func TestNoRetryOption(t *testing.T) {
	srv, s := serve(t, status(500, ""))
	c, _ := newClient(t, srv.URL, func(o *httpclient.Options) { o.MaxRetries = -1 })
	if _, err := c.Do(context.Background(), get("/x")); err == nil {
		t.Fatal("want error")
	}
	if s.calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", s.calls.Load())
	}
}

func TestPostRetriedOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name       string
		method     string
		idempotent bool
		wantCalls  int32
	}{
		{"post", http.MethodPost, false, 1},
		{"post with idempotency key", http.MethodPost, true, 4},
		{"patch", http.MethodPatch, false, 1},
		{"put", http.MethodPut, false, 4},
		{"delete", http.MethodDelete, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := serve(t, status(503, ""))
			c, _ := newClient(t, srv.URL, nil)
			_, err := c.Do(context.Background(), httpclient.Request{
				Op: "acme.send", Method: tc.method, Path: "/send",
				Form: url.Values{"to": {"x"}}, Idempotent: tc.idempotent,
			})
			if orderbot.KindOf(err) != orderbot.KindTransient {
				t.Fatalf("err = %v", err)
			}
			if got := s.calls.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

// hold never answers: it keeps the request until the client goes away (or
// the test server closes), so a client timeout is certain to fire. It
// signals each arrival on arrived when that has room.
func hold(arrived chan<- struct{}) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	srv, s := serve(t, hold(nil))
	c, sl := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.Timeout = 50 * time.Millisecond
		o.MaxRetries = 2
	})
	start := time.Now()
	_, err := c.Do(context.Background(), get("/slow"))
	if !errors.Is(err, httpclient.ErrTimeout) || orderbot.KindOf(err) != orderbot.KindTransient {
		t.Fatalf("err = %v, want transient ErrTimeout", err)
	}
	if el := time.Since(start); el > 3*50*time.Millisecond+conformance.Prompt {
		t.Fatalf("took %v; each attempt should stop at 50ms", el)
	}
	// Two waits between three attempts. An attempt that timed out may never
	// have reached the server, so its count is only bounded.
	if len(sl.Waits()) != 2 || s.calls.Load() > 3 {
		t.Fatalf("calls = %d waits = %v, want 3 attempts", s.calls.Load(), sl.Waits())
	}
}

func TestTimeoutWhileReadingBody(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.Timeout = 50 * time.Millisecond
		o.MaxRetries = -1
	})
	_, err := c.Do(context.Background(), get("/stall"))
	if !errors.Is(err, httpclient.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

// signalOn is a slog handler that closes a channel at the first record with
// message msg, so a test can act at a precise point of Do.
type signalOn struct {
	msg  string
	once *sync.Once
	ch   chan struct{}
}

func (h signalOn) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

func (h signalOn) Enabled(context.Context, slog.Level) bool { return true }
func (h signalOn) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h signalOn) WithGroup(string) slog.Handler            { return h }

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	srv, _ := serve(t, status(500, ""))
	// Do logs "retrying request" just before it sleeps: the cancel lands in
	// the real timer's wait, a minute long, however slowly the test runs.
	backingOff := signalOn{msg: "retrying request", once: &sync.Once{}, ch: make(chan struct{})}
	c, err := httpclient.New(httpclient.Options{
		Provider: "acme", BaseURL: srv.URL, Logger: slog.New(backingOff),
		InitialBackoff: time.Minute, MaxBackoff: time.Minute, // real timer
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, get("/x"))
		done <- err
	}()
	<-backingOff.ch
	cancel()
	at := time.Now()
	err = <-done
	if el := time.Since(at); el > conformance.Prompt {
		t.Fatalf("took %v after cancel", el)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled in chain", err)
	}
}

func TestCancelDuringRequest(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv, _ := serve(t, hold(arrived))
	c, _ := newClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, get("/x"))
		done <- err
	}()
	<-arrived // the server holds the request
	cancel()
	at := time.Now()
	err := <-done
	if !errors.Is(err, context.Canceled) || time.Since(at) > conformance.Prompt {
		t.Fatalf("err = %v %v after cancel", err, time.Since(at))
	}
}

func TestBreaker(t *testing.T) {
	t.Run("opens after consecutive 5xx", func(t *testing.T) {
		srv, s := serve(t, status(500, ""))
		c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
			o.MaxRetries = -1
			o.Breaker = httpclient.BreakerSettings{ConsecutiveFailures: 3, OpenInterval: time.Minute}
		})
		for i := 0; i < 3; i++ {
			if _, err := c.Do(context.Background(), get("/x")); errors.Is(err, httpclient.ErrBreakerOpen) {
				t.Fatalf("call %d: breaker open too early", i)
			}
		}
		_, err := c.Do(context.Background(), get("/x"))
		if !errors.Is(err, httpclient.ErrBreakerOpen) || orderbot.KindOf(err) != orderbot.KindTransient {
			t.Fatalf("err = %v, want open breaker", err)
		}
		var oe *orderbot.Error
		if !errors.As(err, &oe) || oe.RetryAfter != time.Minute {
			t.Fatalf("RetryAfter = %v, want the open interval", oe.RetryAfter)
		}
		if s.calls.Load() != 3 {
			t.Fatalf("server saw %d calls, want 3: an open breaker must not send", s.calls.Load())
		}
	})
	t.Run("retries stop at an open breaker", func(t *testing.T) {
		srv, s := serve(t, status(500, ""))
		c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
			o.MaxRetries = 10
			o.Breaker = httpclient.BreakerSettings{ConsecutiveFailures: 2, OpenInterval: time.Minute}
		})
		_, err := c.Do(context.Background(), get("/x"))
		if !errors.Is(err, httpclient.ErrBreakerOpen) || s.calls.Load() != 2 {
			t.Fatalf("err = %v calls = %d", err, s.calls.Load())
		}
	})
	t.Run("4xx never opens it", func(t *testing.T) {
		srv, s := serve(t, status(400, ""), status(404, ""), status(422, ""), status(401, ""), status(409, ""), status(429, ""))
		c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
			o.MaxRetries = -1
			o.Breaker = httpclient.BreakerSettings{ConsecutiveFailures: 2, OpenInterval: time.Minute}
		})
		for i := 0; i < 10; i++ {
			_, err := c.Do(context.Background(), get("/x"))
			if err == nil || errors.Is(err, httpclient.ErrBreakerOpen) {
				t.Fatalf("call %d: err = %v", i, err)
			}
		}
		if s.calls.Load() != 10 {
			t.Fatalf("calls = %d, want 10", s.calls.Load())
		}
	})
	t.Run("cancellations do not count", func(t *testing.T) {
		srv, _ := serve(t, hold(nil))
		c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
			o.Breaker = httpclient.BreakerSettings{ConsecutiveFailures: 1, OpenInterval: time.Minute}
		})
		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			_, err := c.Do(ctx, get("/x"))
			cancel()
			if errors.Is(err, httpclient.ErrBreakerOpen) {
				t.Fatalf("call %d: breaker opened by the caller's own deadline", i)
			}
		}
	})
}

func TestResponseSizeCap(t *testing.T) {
	big := strings.Repeat("x", 4096)
	for _, tc := range []struct {
		name string
		h    func(w http.ResponseWriter, r *http.Request)
	}{
		{"content length", status(200, big)},
		{"chunked", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 8; i++ {
				io.WriteString(w, big[:512])
				w.(http.Flusher).Flush()
			}
		}},
		{"error body", status(500, big)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := serve(t, tc.h)
			c, _ := newClient(t, srv.URL, func(o *httpclient.Options) { o.MaxResponseBytes = 1024 })
			_, err := c.Do(context.Background(), get("/big"))
			if !errors.Is(err, httpclient.ErrTooLarge) || orderbot.KindOf(err) != orderbot.KindPermanent {
				t.Fatalf("err = %v, want permanent ErrTooLarge", err)
			}
			if s.calls.Load() != 1 {
				t.Fatalf("calls = %d: a permanent error must not be retried", s.calls.Load())
			}
		})
	}
	t.Run("at the cap is fine", func(t *testing.T) {
		srv, _ := serve(t, status(200, big[:1024]))
		c, _ := newClient(t, srv.URL, func(o *httpclient.Options) { o.MaxResponseBytes = 1024 })
		if resp, err := c.Do(context.Background(), get("/x")); err != nil || len(resp.Body) != 1024 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSecretsScrubbed(t *testing.T) {
	const secret = "sk_live_S3cr3t+/=key"
	echo := func(code int) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "req_1")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"message":"bad key %s, header %s, query %s, raw %s"}}`,
				secret, r.Header.Get("Authorization"), r.URL.Query().Get("key"), r.URL.RawQuery)
		}
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mk := func(base string, timeout time.Duration) *httpclient.Client {
		c, _ := newClient(t, base, func(o *httpclient.Options) {
			o.Secrets = []string{secret}
			o.Header = http.Header{"Authorization": {"Bearer " + secret}}
			o.Logger = logger
			o.MaxRetries = 1
			if timeout > 0 {
				o.Timeout = timeout
			}
		})
		return c
	}
	// A closed port gives a network error whose text would carry the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name    string
		base    string
		path    string
		timeout time.Duration // per attempt; default generous
		echoed  bool
	}{
		{"401", serveURL(t, echo(401)), "/v1/x", 0, true},
		{"404", serveURL(t, echo(404)), "/v1/x", 0, true},
		{"429", serveURL(t, echo(429)), "/v1/x", 0, true},
		{"500", serveURL(t, echo(500)), "/v1/x", 0, true},
		// The server never answers, so the short timeout always fires.
		{"timeout", serveURL(t, hold(nil)), "/v1/x", 100 * time.Millisecond, false},
		{"network", closed, "/v1/x", 0, false},
		{"secret in path", serveURL(t, echo(400)), "/v1/keys/" + url.PathEscape(secret), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mk(tc.base, tc.timeout)
			_, err := c.Do(context.Background(), httpclient.Request{
				Op: "acme.get", Path: tc.path, Query: url.Values{"key": {secret}},
			})
			if err == nil {
				t.Fatal("want error")
			}
			for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
				if strings.Contains(err.Error(), form) {
					t.Fatalf("secret form %q in error: %v", form, err)
				}
			}
			if tc.echoed && !strings.Contains(err.Error(), httpclient.Redacted) {
				t.Fatalf("error %q: want the echoed secret redacted", err)
			}
		})
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), url.QueryEscape(secret)) {
		t.Fatalf("secret in logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "req_1") {
		t.Fatalf("request id not logged:\n%s", logs.String())
	}
}

func serveURL(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) string {
	srv, _ := serve(t, h)
	return srv.URL
}

func TestRateHeadersPacing(t *testing.T) {
	srv, _ := serve(t, status(200, "{}", "X-Wait", "300ms"), status(200, "{}"))
	c, sl := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.RateHeaders = func(h http.Header) time.Duration {
			d, _ := time.ParseDuration(h.Get("X-Wait"))
			return d
		}
		o.Now = frozen // the wait is measured against a clock that stands still
	})
	for i := 0; i < 2; i++ {
		if _, err := c.Do(context.Background(), get("/x")); err != nil {
			t.Fatal(err)
		}
	}
	w := sl.Waits()
	if len(w) != 1 || w[0] != 300*time.Millisecond {
		t.Fatalf("waits = %v, want one pacing wait of 300ms", w)
	}
}

func TestClientRateLimit(t *testing.T) {
	srv, _ := serve(t, status(200, "{}"))
	c, sl := newClient(t, srv.URL, func(o *httpclient.Options) { o.RateLimit = 10; o.Burst = 1; o.Now = frozen })
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), get("/x")); err != nil {
			t.Fatal(err)
		}
	}
	// Neither the sleeper nor the clock moves, so the bucket owes one more
	// token's time (100ms) for every request after the first.
	w := sl.Waits()
	if len(w) != 2 || w[0] != 100*time.Millisecond || w[1] != 200*time.Millisecond {
		t.Fatalf("waits = %v, want limiter waits of 100ms and 200ms", w)
	}
}

func TestRequestIDCaptured(t *testing.T) {
	for _, h := range []string{"X-Request-Id", "Request-Id", "X-Shopify-Request-Id"} {
		t.Run(h, func(t *testing.T) {
			srv, _ := serve(t, status(200, "{}", h, "req_abc"))
			c, _ := newClient(t, srv.URL, nil)
			resp, err := c.Do(context.Background(), get("/x"))
			if err != nil || resp.RequestID != "req_abc" {
				t.Fatalf("resp = %+v err = %v", resp, err)
			}
		})
	}
	t.Run("in error message", func(t *testing.T) {
		srv, _ := serve(t, status(404, `{"errors":"Not Found"}`, "Request-Id", "req_404"))
		c, _ := newClient(t, srv.URL, nil)
		_, err := c.Do(context.Background(), get("/x"))
		if !strings.Contains(err.Error(), "req_404") || !strings.Contains(err.Error(), "Not Found") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   orderbot.ErrorKind
		calls  int32
	}{
		{400, orderbot.KindInvalid, 1},
		{401, orderbot.KindUnauthorized, 1},
		{402, orderbot.KindInvalid, 1},
		{403, orderbot.KindUnauthorized, 1},
		{404, orderbot.KindNotFound, 1},
		{408, orderbot.KindTransient, 3},
		{409, orderbot.KindConflict, 1},
		{410, orderbot.KindNotFound, 1},
		{417, orderbot.KindInvalid, 1},
		{422, orderbot.KindInvalid, 1},
		{429, orderbot.KindRateLimited, 3},
		{500, orderbot.KindTransient, 3},
		{502, orderbot.KindTransient, 3},
		{503, orderbot.KindTransient, 3},
		{504, orderbot.KindTransient, 3},
		{304, orderbot.KindPermanent, 1},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv, s := serve(t, status(tc.status, ""))
			c, _ := newClient(t, srv.URL, func(o *httpclient.Options) { o.MaxRetries = 2 })
			_, err := c.Do(context.Background(), get("/x"))
			if k := orderbot.KindOf(err); k != tc.kind {
				t.Fatalf("kind = %q, want %q (%v)", k, tc.kind, err)
			}
			if s.calls.Load() != tc.calls {
				t.Fatalf("calls = %d, want %d", s.calls.Load(), tc.calls)
			}
			var oe *orderbot.Error
			errors.As(err, &oe)
			if tc.kind == orderbot.KindRateLimited && oe.RetryAfter <= 0 {
				t.Fatalf("429 without Retry-After must still suggest a wait: %+v", oe)
			}
		})
	}
}

func TestRedirectToOtherHostNotFollowed(t *testing.T) {
	var otherHit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHit.Store(true) }))
	defer other.Close()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.Header = http.Header{"X-Shopify-Access-Token": {"shpat_x"}}
	})
	_, err := c.Do(context.Background(), get("/x"))
	if orderbot.KindOf(err) != orderbot.KindPermanent || otherHit.Load() {
		t.Fatalf("err = %v, other host hit = %v", err, otherHit.Load())
	}
}

func TestPaths(t *testing.T) {
	srv, s := serve(t, status(200, "{}"))
	for _, tc := range []struct {
		base, path string
		query      url.Values
		wantPath   string
		wantQuery  string
	}{
		{srv.URL, "/v1/payment_intents", url.Values{"limit": {"100"}}, "/v1/payment_intents", "limit=100"},
		{srv.URL + "/admin/api/2025-10", "orders.json", nil, "/admin/api/2025-10/orders.json", ""},
		{srv.URL + "/admin/api/2025-10/", "/orders/5.json", nil, "/admin/api/2025-10/orders/5.json", ""},
		{srv.URL, "/api/resource/Sales%20Order", url.Values{"fields": {`["name"]`}}, "/api/resource/Sales Order", `fields=["name"]`},
		{srv.URL + "/x", srv.URL + "/x/orders.json?page_info=abc&limit=250", nil, "/x/orders.json", "page_info=abc&limit=250"},
	} {
		c, _ := newClient(t, tc.base, nil)
		if _, err := c.Do(context.Background(), httpclient.Request{Path: tc.path, Query: tc.query}); err != nil {
			t.Fatalf("%s %s: %v", tc.base, tc.path, err)
		}
		s.mu.Lock()
		r := s.reqs[len(s.reqs)-1]
		s.mu.Unlock()
		if r.URL.Path != tc.wantPath {
			t.Errorf("path = %q, want %q", r.URL.Path, tc.wantPath)
		}
		if q, _ := url.QueryUnescape(r.URL.RawQuery); q != tc.wantQuery {
			t.Errorf("query = %q, want %q", q, tc.wantQuery)
		}
	}
	c, _ := newClient(t, srv.URL, nil)
	_, err := c.Do(context.Background(), get("https://evil.example/orders.json"))
	if orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Fatalf("other host: err = %v, want KindInvalid", err)
	}
}

func TestBodiesHeadersAndAuth(t *testing.T) {
	srv, s := serve(t, status(500, ""), status(200, "{}"))
	var signed atomic.Int32
	c, _ := newClient(t, srv.URL, func(o *httpclient.Options) {
		o.Header = http.Header{"X-Static": {"s"}}
		o.Auth = func(r *http.Request) error {
			signed.Add(1)
			r.Header.Set("X-Signature", "sig")
			return nil
		}
	})
	_, err := c.Do(context.Background(), httpclient.Request{
		Method: "POST", Path: "/send", Idempotent: true,
		Header: http.Header{"Idempotency-Key": {"k1"}},
		JSON:   map[string]string{"to": "+1555"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if signed.Load() != 2 {
		t.Fatalf("signed %d times, want once per attempt", signed.Load())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.reqs {
		if r.Header.Get("X-Static") != "s" || r.Header.Get("X-Signature") != "sig" || r.Header.Get("Idempotency-Key") != "k1" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "orderbot" {
			t.Fatalf("attempt %d headers = %v", i, r.Header)
		}
		if s.bodies[i] != `{"to":"+1555"}` {
			t.Fatalf("attempt %d body = %q: the body must be resent on retry", i, s.bodies[i])
		}
	}

	srv2, s2 := serve(t, status(200, "{}"))
	c2, _ := newClient(t, srv2.URL, func(o *httpclient.Options) {
		o.Auth = func(*http.Request) error { return errors.New("no key") }
	})
	if _, err := c2.Do(context.Background(), get("/x")); orderbot.KindOf(err) != orderbot.KindInvalid || s2.calls.Load() != 0 {
		t.Fatalf("failing Auth: err = %v calls = %d", err, s2.calls.Load())
	}
	c3, _ := newClient(t, srv2.URL, nil)
	if _, err := c3.Do(context.Background(), httpclient.Request{Method: "POST", Path: "/f", Form: url.Values{"a": {"1 2"}}}); err != nil {
		t.Fatal(err)
	}
	s2.mu.Lock()
	defer s2.mu.Unlock()
	if s2.bodies[0] != "a=1+2" || s2.reqs[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("form body = %q type %q", s2.bodies[0], s2.reqs[0].Header.Get("Content-Type"))
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, _ := serve(t, status(500, ""), status(200, "{}"))
	c, _ := newClient(t, srv.URL, func(o *httpclient.Options) { o.Registerer = reg })
	// A second provider on the same registry shares the collectors.
	if _, err := httpclient.New(httpclient.Options{Provider: "other", BaseURL: srv.URL, Registerer: reg}); err != nil {
		t.Fatalf("second client on one registry: %v", err)
	}
	if _, err := c.Do(context.Background(), get("/x")); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				got[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for key, want := range map[string]float64{
		"orderbot_http_requests_total,outcome=ok,provider=acme":        1,
		"orderbot_http_requests_total,outcome=transient,provider=acme": 1,
		"orderbot_http_retries_total,provider=acme":                    1,
		"orderbot_http_request_duration_seconds,provider=acme":         2,
		"orderbot_http_breaker_state,provider=acme":                    0,
		"orderbot_http_breaker_state,provider=other":                   0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"2.0", 2 * time.Second, true},
		{" 0 ", 0, true},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := httpclient.ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestGenericErrorMessage(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"error":{"type":"invalid_request_error","message":"No such payment_intent"}}`, "No such payment_intent"},
		{`{"errors":"Not Found"}`, "Not Found"},
		{`{"errors":{"email":["is invalid"],"zip":["is blank","is short"]}}`, "email is invalid; zip is blank; is short"},
		{`{"errors":[{"message":"a"},{"message":"b"}]}`, "a; b"},
		{`{"meta":{"code":4004,"message":"Tracking does not exist.","type":"NotFound"},"data":{}}`, "Tracking does not exist."},
		{`{"exc_type":"ValidationError"}`, ""},
		{`Too Many Requests`, "Too Many Requests"},
		{`<html><body>502</body></html>`, ""},
	} {
		if got := httpclient.GenericErrorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("GenericErrorMessage(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
