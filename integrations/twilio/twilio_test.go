package twilio_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/integrations/twilio"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/twiliofake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const customer = "+8613800138000"

func newPair(t *testing.T, mod func(*twilio.Options)) (*twilio.Client, *twiliofake.Server) {
	t.Helper()
	fake := twiliofake.New(twiliofake.Options{})
	t.Cleanup(fake.Close)
	sink := &logSink{}
	opts := twilio.Options{
		Settings:   httpclient.Settings{APIURL: fake.URL(), Timeout: conformance.GenerousTimeout, RateLimit: -1},
		AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(),
		From: "+15005550006"}
	if mod != nil {
		mod(&opts)
	}
	opts.Logger = sink.logger()
	sink.checkLogs(t, fake.AuthToken(), "wrong-token-secret", customer)
	c, err := twilio.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, fake
}

// waitRequests waits for the fake to log n requests (an abandoned request is
// logged once the server notices) and checks there are exactly n.
func waitRequests(t *testing.T, fake *twiliofake.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(conformance.Prompt)
	// The send has returned, so the adapter sends nothing more; an abandoned
	// request is counted when the fake notices. Once n are counted and none is
	// still being handled, a retry would have been counted too.
	for (fake.RequestCount() < n || fake.InFlight() > 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := fake.RequestCount(); got != n {
		t.Fatalf("fake saw %d requests, want exactly %d (a send must never be retried)", got, n)
	}
}

func TestSendSuccess(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mod        func(*twilio.Options)
		wantStatus string
		wantFrom   string
		wantSvc    string
	}{
		{name: "from number", wantStatus: "queued", wantFrom: "+15005550006"},
		{name: "messaging service", mod: func(o *twilio.Options) { o.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef" }, wantStatus: "accepted", wantSvc: "MG0123456789abcdef0123456789abcdef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, tc.mod)
			r, err := c.Send(context.Background(), notice.Message{To: customer, Text: "您的订单 1001 已发货 & <ok>"})
			if err != nil {
				t.Fatal(err)
			}
			got := fake.Messages()
			if len(got) != 1 {
				t.Fatalf("fake received %d messages, want 1", len(got))
			}
			m := got[0]
			if r.ProviderID != m.SID || !strings.HasPrefix(r.ProviderID, "SM") || r.Status != tc.wantStatus {
				t.Errorf("receipt %+v, fake message sid %q", r, m.SID)
			}
			if m.To != customer || m.Body != "您的订单 1001 已发货 & <ok>" || m.From != tc.wantFrom || m.MessagingServiceSID != tc.wantSvc {
				t.Errorf("fake received %+v", m)
			}
			req := fake.Requests()[0]
			user, pass, ok := (&http.Request{Header: req.Header}).BasicAuth()
			if !ok || user != fake.AccountSID() || pass != fake.AuthToken() {
				t.Errorf("basic auth = %q/%q", user, pass)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		to     string
		token  string
		fault  providerfake.FaultKind
		optOut bool
		kind   orderbot.ErrorKind
		text   string
	}{
		{name: "21211 invalid number", to: "12345", kind: orderbot.KindInvalid, text: "21211"},
		{name: "21610 opted out", to: customer, optOut: true, kind: orderbot.KindPermanent, text: "opted out"},
		{name: "429 rate limited", to: customer, fault: providerfake.RateLimited, kind: orderbot.KindRateLimited, text: "rate limiting"},
		{name: "500 definite failure", to: customer, fault: providerfake.ServerError, kind: orderbot.KindTransient, text: "was not sent"},
		{name: "wrong token", to: customer, token: "wrong-token-secret", kind: orderbot.KindUnauthorized, text: "credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, func(o *twilio.Options) {
				if tc.token != "" {
					o.AuthToken = tc.token
				}
			})
			if tc.optOut {
				fake.OptOut(tc.to)
			}
			if tc.fault != 0 {
				fake.Inject(providerfake.Fault{Kind: tc.fault, RetryAfter: 2 * time.Second})
			}
			_, err := c.Send(context.Background(), notice.Message{To: tc.to, Text: "hello"})
			conformance.CheckError(t, err, tc.kind, tc.text, fake.AuthToken(), tc.token, tc.to)
			if errors.Is(err, notice.ErrOutcomeUnknown) {
				t.Errorf("a definite answer reported as outcome unknown: %v", err)
			}
			if got := errors.Is(err, notice.ErrRecipientOptedOut); got != tc.optOut {
				t.Errorf("errors.Is(err, ErrRecipientOptedOut) = %v, want %v: %v", got, tc.optOut, err)
			}
			if tc.kind == orderbot.KindRateLimited {
				var oe *orderbot.Error
				if !errors.As(err, &oe) || oe.RetryAfter != 2*time.Second {
					t.Errorf("RetryAfter not kept: %v", err)
				}
			}
			if len(fake.Messages()) != 0 {
				t.Errorf("a refused send was recorded as received")
			}
			waitRequests(t, fake, 1)
		})
	}
}

func TestTimeoutIsOutcomeUnknown(t *testing.T) {
	c, fake := newPair(t, func(o *twilio.Options) { o.Timeout = 200 * time.Millisecond })
	fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
	_, err := c.Send(context.Background(), notice.Message{To: customer, Text: "hello"})
	if !errors.Is(err, notice.ErrOutcomeUnknown) || orderbot.Retryable(err) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown and not retryable", err)
	}
	if strings.Contains(err.Error(), fake.AuthToken()) || strings.Contains(err.Error(), customer) {
		t.Errorf("error leaks a secret or the number: %v", err)
	}
	waitRequests(t, fake, 1)
}

func TestCancellation(t *testing.T) {
	t.Run("while held", func(t *testing.T) {
		c, fake := newPair(t, nil)
		fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
		took, err := conformance.CancelWhileHeld(t, fake, func(ctx context.Context) error {
			_, err := c.Send(ctx, notice.Message{To: customer, Text: "hello"})
			return err
		})
		if took > conformance.Prompt {
			t.Errorf("returned %s after cancel", took)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want context.Canceled and ErrOutcomeUnknown (the request was written)", err)
		}
		waitRequests(t, fake, 1)
	})
	t.Run("before sending", func(t *testing.T) {
		c, fake := newPair(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, notice.Message{To: customer, Text: "hello"})
		if !errors.Is(err, context.Canceled) || errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want context.Canceled and a definite failure", err)
		}
		waitRequests(t, fake, 0)
	})
}

func TestRefusedConnectionIsDefinite(t *testing.T) {
	fake := twiliofake.New(twiliofake.Options{})
	url := fake.URL()
	fake.Close()
	c, err := twilio.New(twilio.Options{Settings: httpclient.Settings{APIURL: url}, AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), notice.Message{To: customer, Text: "hello"})
	if err == nil || errors.Is(err, notice.ErrOutcomeUnknown) || !orderbot.IsKind(err, orderbot.KindTransient) {
		t.Fatalf("err = %v, want a definite transient failure", err)
	}
}

func TestNewAndValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts twilio.Options
	}{
		{name: "no token", opts: twilio.Options{AccountSID: "AC0123456789abcdef0123456789abcdef", From: "+1"}},
		{name: "no sender", opts: twilio.Options{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "x"}},
		{name: "bad sid", opts: twilio.Options{AccountSID: "AC1/../x", AuthToken: "x", From: "+1"}},
		{name: "bad url", opts: twilio.Options{Settings: httpclient.Settings{APIURL: "ftp://x"}, AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "x", From: "+1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := twilio.New(tc.opts); !orderbot.IsKind(err, orderbot.KindInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
		})
	}
	c, fake := newPair(t, nil)
	for _, m := range []notice.Message{{Text: "x"}, {To: customer}, {To: customer, Text: strings.Repeat("x", 1601)}} {
		if _, err := c.Send(context.Background(), m); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("Send(%+v) = %v, want invalid", m, err)
		}
	}
	waitRequests(t, fake, 0)
}

// logSink collects an adapter's log output (debug level) so a test can
// check that no secret reaches it.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// checkLogs registers a cleanup that fails the test if any secret was logged.
func (s *logSink) checkLogs(t *testing.T, secrets ...string) {
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sec := range secrets {
			if sec != "" && strings.Contains(s.buf.String(), sec) {
				t.Errorf("a secret reached the log: %s", s.buf.String())
			}
		}
	})
}

func TestAPIKeyAuthAndCallback(t *testing.T) {
	fake := twiliofake.New(twiliofake.Options{APIKeySID: "SK0123456789abcdef0123456789abcdef", APIKeySecret: "api-key-secret-value"})
	defer fake.Close()
	c, err := twilio.New(twilio.Options{
		Settings:   httpclient.Settings{APIURL: fake.URL()},
		AccountSID: fake.AccountSID(), APIKeySID: "SK0123456789abcdef0123456789abcdef",
		AuthToken: "api-key-secret-value", From: "+15005550006", StatusCallback: "https://bot.example.com/twilio/status"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(context.Background(), notice.Message{To: customer, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if m := fake.Messages(); len(m) != 1 || m[0].StatusCallback != "https://bot.example.com/twilio/status" {
		t.Fatalf("fake received %+v", m)
	}
	user, _, _ := (&http.Request{Header: fake.Requests()[0].Header}).BasicAuth()
	if user != "SK0123456789abcdef0123456789abcdef" {
		t.Errorf("basic auth user %q, want the API key SID", user)
	}
}
