package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
)

// Env is what Run hands the adapter constructor for one scenario. Setup must
// configure the adapter with every field: the scenarios rely on the timeout,
// the retry count, the sleep hook and the logger.
type Env struct {
	// URL is the base URL (api_url) of the scripted server.
	URL string
	// Timeout is the per-attempt timeout to configure: GenerousTimeout,
	// except in the scenario that tests timeouts, where the server holds
	// every request until the test ends and a short timeout is certain to
	// fire.
	Timeout time.Duration
	// MaxRetries is the retry count to configure.
	MaxRetries int
	// Sleep is the backoff hook to configure; it normally returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger is the logger to configure. Run searches its output for
	// secrets and counts the attempts the shared policy logs
	// (httpclient.AttemptLogMessage), which is exact where the server's own
	// count is not: a request that times out may never reach the server.
	Logger *slog.Logger
}

// Op is one adapter operation Run exercises, such as a ListOrders over a small
// window or a GetOrder. Call should make the adapter's first request at once.
type Op struct {
	Name string
	Call func(ctx context.Context) error
}

// Case describes an adapter to Run.
type Case struct {
	// Provider names the adapter in test names.
	Provider string
	// Secrets are the credentials Setup configures; the server echoes them in
	// its error answers and Run checks that none reaches an error or a log.
	Secrets []string
	// Setup builds the adapter against env and returns the operations to
	// exercise. It is called afresh for every operation of every scenario, so
	// breaker state never leaks between them; it should register cleanup
	// (closing connections).
	Setup func(t testing.TB, env Env) []Op
	// ErrorBody renders the provider's error envelope for status carrying msg.
	ErrorBody func(status int, msg string) []byte
	// ContentType of error answers; default "application/json".
	ContentType string
	// Sender marks a notice sender (integrations/notice): its sends are not
	// idempotent, so nothing is ever retried, and a send whose answer was
	// never read (a timeout) fails as notice.ErrOutcomeUnknown, permanent,
	// since the message may have gone out.
	Sender bool
}

// scenario is one scripted server behaviour and the outcome the contract
// promises for it.
type scenario struct {
	name      string
	status    int    // answered status, or 0 for a special behaviour
	behaviour string // "", "hang", "malformed", "refused"
	kind      orderbot.ErrorKind
	retried   bool // the policy repeats the request
	retryable bool // the error says a later call may succeed
	sent      bool // a sender: the call succeeds
	anyKind   bool // a sender: any non-retryable kind
}

// forSender is the outcome a notice sender promises instead: one attempt
// always; a timed-out send is permanent (it may have been delivered); a 2xx
// is a sent message (or an unknown outcome) even when its body cannot be read,
// since sending again could send twice; and other 4xx answers may take the kind the provider's own
// error code gives (anyKind), as long as it is not retryable.
func (sc scenario) forSender() scenario {
	sc.retried = false
	switch {
	case sc.behaviour == "hang":
		sc.kind, sc.retryable = orderbot.KindPermanent, false
	case sc.behaviour == "malformed":
		sc.sent = true
	case sc.status == 400 || sc.status == 404 || sc.status == 409 || sc.status == 422:
		sc.anyKind = true
	}
	return sc
}

var scenarios = []scenario{
	{name: "400 bad request", status: 400, kind: orderbot.KindInvalid},
	{name: "401 unauthorized", status: 401, kind: orderbot.KindUnauthorized},
	{name: "403 forbidden", status: 403, kind: orderbot.KindUnauthorized},
	{name: "404 not found", status: 404, kind: orderbot.KindNotFound},
	{name: "409 conflict", status: 409, kind: orderbot.KindConflict},
	{name: "422 unprocessable", status: 422, kind: orderbot.KindInvalid},
	{name: "429 rate limited", status: 429, kind: orderbot.KindRateLimited, retried: true, retryable: true},
	{name: "500 server error", status: 500, kind: orderbot.KindTransient, retried: true, retryable: true},
	{name: "503 unavailable", status: 503, kind: orderbot.KindTransient, retried: true, retryable: true},
	{name: "timeout", behaviour: "hang", kind: orderbot.KindTransient, retried: true, retryable: true},
	{name: "malformed body", behaviour: "malformed", kind: orderbot.KindPermanent},
	{name: "connection refused", behaviour: "refused", kind: orderbot.KindTransient, retried: true, retryable: true},
}

const (
	maxRetries = 2
	// hangTimeout is the per-attempt timeout of the timeout scenario. The
	// server never answers there, so the timeout fires however loaded the
	// machine is, and it can be short.
	hangTimeout = 100 * time.Millisecond
)

// Run runs every scenario against every operation of the adapter.
func Run(t *testing.T, c Case) {
	t.Helper()
	if c.Setup == nil || c.ErrorBody == nil {
		t.Fatal("conformance: Case needs Setup and ErrorBody")
	}
	if len(c.Secrets) == 0 {
		t.Fatal("conformance: Case needs the adapter's Secrets")
	}
	if c.ContentType == "" {
		c.ContentType = "application/json"
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, c, sc) })
	}
	t.Run("cancel during request", func(t *testing.T) { runCancel(t, c, "request") })
	if !c.Sender { // a sender never backs off
		t.Run("cancel during backoff", func(t *testing.T) { runCancel(t, c, "backoff") })
	}
	t.Run("already cancelled", func(t *testing.T) { runCancel(t, c, "before") })
}

// server is the scripted provider.
type server struct {
	c     Case
	sc    scenario
	calls atomic.Int32
	// arrived gets a value (when it has room) as each request arrives.
	arrived chan struct{}
	// release ends every held ("hang") request.
	release     chan struct{}
	releaseOnce sync.Once
}

func (s *server) unhang() { s.releaseOnce.Do(func() { close(s.release) }) }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	switch s.sc.behaviour {
	case "hang":
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
		return
	case "malformed":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte(`{"data":[{"id":`))
		return
	}
	// Echo every credential the way careless providers do: in the message,
	// with the auth headers and the query string.
	var echo strings.Builder
	fmt.Fprintf(&echo, "echo secrets=%s", strings.Join(s.c.Secrets, ","))
	for k, vs := range r.Header {
		fmt.Fprintf(&echo, " %s=%s", k, strings.Join(vs, ","))
	}
	fmt.Fprintf(&echo, " query=%s form=", r.URL.RawQuery)
	if r.ParseForm() == nil {
		echo.WriteString(r.PostForm.Encode())
	}
	w.Header().Set("Content-Type", s.c.ContentType)
	if s.sc.status == http.StatusTooManyRequests || s.sc.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(s.sc.status)
	w.Write(s.c.ErrorBody(s.sc.status, echo.String()))
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// attemptCounter is a slog.Handler that counts the policy's attempt lines
// before passing every record on.
type attemptCounter struct {
	slog.Handler
	n *atomic.Int32
}

func (h attemptCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == httpclient.AttemptLogMessage {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h attemptCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return attemptCounter{h.Handler.WithAttrs(as), h.n}
}

func (h attemptCounter) WithGroup(name string) slog.Handler {
	return attemptCounter{h.Handler.WithGroup(name), h.n}
}

// newEnv is the Env of one operation; attempts counts the attempts its
// adapter makes.
func newEnv(baseURL string, timeout time.Duration, logs *logBuffer, sleep func(context.Context, time.Duration) error) (env Env, attempts *atomic.Int32) {
	if sleep == nil {
		sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	attempts = &atomic.Int32{}
	text := slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	return Env{
		URL:        baseURL,
		Timeout:    timeout,
		MaxRetries: maxRetries,
		Sleep:      sleep,
		Logger:     slog.New(attemptCounter{text, attempts}),
	}, attempts
}

func startServer(t *testing.T, c Case, sc scenario) (*server, string) {
	s := &server{c: c, sc: sc, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	if sc.behaviour == "refused" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return s, "http://" + addr
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.unhang()
		srv.Close()
	})
	return s, srv.URL
}

func runScenario(t *testing.T, c Case, sc scenario) {
	if c.Sender {
		sc = sc.forSender()
	}
	s, base := startServer(t, c, sc)
	logs := &logBuffer{}
	timeout := GenerousTimeout
	if sc.behaviour == "hang" {
		timeout = hangTimeout
	}
	probe, _ := newEnv(base, timeout, logs, nil)
	n := len(c.Setup(t, probe))
	if n == 0 {
		t.Fatal("conformance: Setup returned no operations")
	}
	for i := 0; i < n; i++ {
		// A fresh adapter per operation: failures of one must not open the
		// breaker for the next.
		env, attempts := newEnv(base, timeout, logs, nil)
		op := c.Setup(t, env)[i]
		before := s.calls.Load()
		elapsed, err := callWatched(t, s, op, timeout)
		calls := s.calls.Load() - before
		if sc.sent {
			// The provider accepted something: a success, or an outcome
			// nobody may resend blindly (providers that report refusals
			// inside HTTP 200 cannot tell which it was).
			if err != nil && (!errors.Is(err, notice.ErrOutcomeUnknown) || orderbot.Retryable(err)) {
				t.Errorf("%s: %s: a 2xx answer is a sent message or an unknown outcome, got %v", op.Name, sc.name, err)
			}
			if calls != 1 {
				t.Errorf("%s: server saw %d requests, want 1", op.Name, calls)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error for %s", op.Name, sc.name)
			continue
		}
		if k := orderbot.KindOf(err); k != sc.kind && !sc.anyKind {
			t.Errorf("%s: kind = %q, want %q (error: %v)", op.Name, k, sc.kind, err)
		}
		if c.Sender && sc.behaviour == "hang" && !errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Errorf("%s: a send that timed out is not notice.ErrOutcomeUnknown: %v", op.Name, err)
		}
		if orderbot.Retryable(err) != sc.retryable {
			t.Errorf("%s: Retryable = %v, want %v", op.Name, orderbot.Retryable(err), sc.retryable)
		}
		if sc.kind == orderbot.KindRateLimited {
			var oe *orderbot.Error
			if errors.As(err, &oe) && oe.RetryAfter <= 0 {
				t.Errorf("%s: 429 error without RetryAfter: %v", op.Name, err)
			}
		}
		want := int32(1)
		if sc.retried {
			want += maxRetries
		}
		if got := attempts.Load(); got != want {
			t.Errorf("%s: made %d attempts, want %d (retried: %v)", op.Name, got, want, sc.retried)
		}
		switch sc.behaviour {
		case "refused":
		case "hang":
			// An attempt that timed out may not have reached the server, but
			// the server must not see requests the policy did not make.
			if calls > want {
				t.Errorf("%s: server saw %d requests, more than the %d attempts", op.Name, calls, want)
			}
			if limit := time.Duration(want)*timeout + Prompt; elapsed > limit {
				t.Errorf("%s: took %v; %d attempts of %v each should end within %v", op.Name, elapsed, want, timeout, limit)
			}
		default:
			// Every attempt was answered, so the server counted each one.
			if calls != want {
				t.Errorf("%s: server saw %d requests, want %d (retried: %v)", op.Name, calls, want, sc.retried)
			}
		}
		checkNoSecret(t, op.Name+" error", err.Error(), c.Secrets)
	}
	checkNoSecret(t, "logs", logs.String(), c.Secrets)
}

// callWatched runs op and returns its duration and error. When the attempts
// cannot all have ended by their timeouts plus Prompt, it reports the op as
// stuck and releases the server's held requests, so that a broken timeout
// fails the test instead of hanging it.
func callWatched(t *testing.T, s *server, op Op, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- op.Call(context.Background()) }()
	watchdog := time.NewTimer(time.Duration(maxRetries+1)*timeout + Prompt)
	defer watchdog.Stop()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-watchdog.C:
		t.Errorf("%s: still running after %v; the per-attempt timeout of %v did not end it", op.Name, time.Since(start), timeout)
		s.unhang()
		err := <-done
		return time.Since(start), err
	}
}

func runCancel(t *testing.T, c Case, when string) {
	sc := scenario{behaviour: "hang"}
	var sleeping chan struct{}
	var sleep func(context.Context, time.Duration) error
	if when == "backoff" {
		sc = scenario{status: 500}
		// A backoff that would last forever: only cancellation ends it.
		sleeping = make(chan struct{}, 1)
		sleep = func(ctx context.Context, _ time.Duration) error {
			select {
			case sleeping <- struct{}{}:
			default:
			}
			<-ctx.Done()
			return ctx.Err()
		}
	}
	s, base := startServer(t, c, sc)
	logs := &logBuffer{}
	probe, _ := newEnv(base, GenerousTimeout, logs, sleep)
	for i := range len(c.Setup(t, probe)) {
		// Only cancellation may end the held attempt or the endless backoff.
		env, attempts := newEnv(base, GenerousTimeout, logs, sleep)
		op := c.Setup(t, env)[i]
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		if when == "before" {
			cancel()
		}
		go func() { done <- op.Call(ctx) }()
		// Cancel once the call is where the scenario says: its request held
		// by the server, or its backoff begun.
		var reached <-chan struct{}
		switch when {
		case "request":
			reached = s.arrived
		case "backoff":
			reached = sleeping
		}
		var err error
		var sinceCancel time.Duration
		select {
		case <-reached: // nil for "before": never
			at := time.Now()
			cancel()
			err = <-done
			sinceCancel = time.Since(at)
		case err = <-done:
			if when != "before" {
				t.Errorf("%s: returned before the %s could be cancelled: %v", op.Name, when, err)
			}
		}
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled in the chain", op.Name, err)
		}
		if sinceCancel > Prompt {
			t.Errorf("%s: returned %v after the cancel; want a prompt return", op.Name, sinceCancel)
		}
		if when == "before" && attempts.Load() != 0 {
			t.Errorf("%s: made %d attempts with an already cancelled context", op.Name, attempts.Load())
		}
		if err != nil {
			checkNoSecret(t, op.Name+" error", err.Error(), c.Secrets)
		}
		// Drain stale signals so the next operation waits for its own.
		select {
		case <-s.arrived:
		default:
		}
		select {
		case <-sleeping:
		default:
		}
	}
	checkNoSecret(t, "logs", logs.String(), c.Secrets)
}

// reporter is the part of testing.T that checkNoSecret needs.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

func checkNoSecret(t reporter, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if strings.Contains(text, form) {
				t.Errorf("%s contains a configured secret (%d chars): %s", what, len(s), strings.ReplaceAll(text, form, "<SECRET>"))
			}
		}
	}
}
