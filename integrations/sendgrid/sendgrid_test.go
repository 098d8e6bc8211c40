package sendgrid_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/integrations/sendgrid"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/sendgridfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const customer = "li.wei@example.cn"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newPair(t *testing.T, fo sendgridfake.Options, mod func(*sendgrid.Options)) (*sendgrid.Client, *sendgridfake.Server) {
	t.Helper()
	fo.Now = func() time.Time { return t0 }
	fake := sendgridfake.New(fo)
	t.Cleanup(fake.Close)
	sink := &logSink{}
	opts := sendgrid.Options{
		Settings: httpclient.Settings{APIURL: fake.URL(), Timeout: conformance.GenerousTimeout, RateLimit: -1},
		APIKey:   fake.APIKey(), From: "shop@example.com", FromName: "Shop",
		Now: func() time.Time { return t0 }}
	if mod != nil {
		mod(&opts)
	}
	opts.Logger = sink.logger()
	sink.checkLogs(t, fake.APIKey(), "SG.wrong-key-secret", customer)
	c, err := sendgrid.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, fake
}

func waitRequests(t *testing.T, fake *sendgridfake.Server, n int) {
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

func msg() notice.Message {
	return notice.Message{To: customer, Subject: "订单 1001 已发货", Text: "plain", HTML: "<p>&lt;b&gt;</p>", Reference: "T-1:shipped"}
}

func TestSendSuccess(t *testing.T) {
	c, fake := newPair(t, sendgridfake.Options{}, nil)
	r, err := c.Send(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Messages()
	if len(got) != 1 {
		t.Fatalf("fake received %d emails", len(got))
	}
	m := got[0]
	if r.ProviderID != m.ID || r.ProviderID == "" || r.Status != "accepted" {
		t.Errorf("receipt %+v, fake id %q", r, m.ID)
	}
	if len(m.To) != 1 || m.To[0] != customer || m.From != "shop@example.com" || m.FromName != "Shop" ||
		m.Subject != "订单 1001 已发货" || m.Text != "plain" || m.HTML != "<p>&lt;b&gt;</p>" ||
		m.CustomArgs[sendgrid.ReferenceArg] != "T-1:shipped" {
		t.Errorf("fake received %+v", m)
	}
	if h := fake.Requests()[0].Header.Get("Authorization"); h != "Bearer "+fake.APIKey() {
		t.Errorf("Authorization = %q", h)
	}
}

func TestSandbox(t *testing.T) {
	c, fake := newPair(t, sendgridfake.Options{}, func(o *sendgrid.Options) { o.Sandbox = true })
	r, err := c.Send(context.Background(), msg())
	if err != nil || r.Status != "sandbox" || len(fake.Messages()) != 0 {
		t.Fatalf("receipt %+v, err %v, %d delivered", r, err, len(fake.Messages()))
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fo      sendgridfake.Options
		key     string
		to      string
		fault   providerfake.FaultKind
		kind    orderbot.ErrorKind
		text    string
		wantReq int
		wait    time.Duration
	}{
		{name: "400 first error", to: "customer@localhost", kind: orderbot.KindInvalid, text: "Does not contain a valid address. (field personalizations.0.to.0.email)", wantReq: 1},
		{name: "401 bad key", key: "SG.wrong-key-secret", kind: orderbot.KindUnauthorized, text: "API key", wantReq: 1},
		{name: "403 unverified sender", fo: sendgridfake.Options{Senders: []string{"other@example.com"}}, kind: orderbot.KindUnauthorized, text: "verified Sender Identity", wantReq: 1},
		{name: "429 rate limited", fault: providerfake.RateLimited, kind: orderbot.KindRateLimited, text: "rate limiting", wantReq: 1, wait: time.Minute},
		{name: "500 definite failure", fault: providerfake.ServerError, kind: orderbot.KindTransient, text: "was not sent", wantReq: 1},
		{name: "CRLF in recipient", to: "a@example.com\r\nBcc: evil@example.com", kind: orderbot.KindInvalid, text: "line break"},
		{name: "not an address", to: "Li <li@example.com>", kind: orderbot.KindInvalid, text: "not a valid email address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, tc.fo, func(o *sendgrid.Options) {
				if tc.key != "" {
					o.APIKey = tc.key
				}
			})
			if tc.fault != 0 {
				fake.Inject(providerfake.Fault{Kind: tc.fault})
			}
			m := msg()
			if tc.to != "" {
				m.To = tc.to
			}
			_, err := c.Send(context.Background(), m)
			conformance.CheckError(t, err, tc.kind, tc.text, fake.APIKey(), tc.key, customer)
			if errors.Is(err, notice.ErrOutcomeUnknown) {
				t.Errorf("definite answer reported as outcome unknown: %v", err)
			}
			var oe *orderbot.Error
			if errors.As(err, &oe); oe.RetryAfter != tc.wait {
				t.Errorf("RetryAfter = %s, want %s", oe.RetryAfter, tc.wait)
			}
			if len(fake.Messages()) != 0 {
				t.Error("a refused email was recorded as delivered")
			}
			waitRequests(t, fake, tc.wantReq)
		})
	}
}

func TestSubjectInjection(t *testing.T) {
	c, fake := newPair(t, sendgridfake.Options{}, nil)
	for _, s := range []string{"Hi\r\nBcc: evil@example.com", "Hi\nX: y", "Hi\rX", "Hi\x00"} {
		m := msg()
		m.Subject = s
		if _, err := c.Send(context.Background(), m); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("subject %q: err = %v, want invalid", s, err)
		}
	}
	if _, err := sendgrid.New(sendgrid.Options{APIKey: "k", From: "a@example.com", FromName: "x\r\nBcc: y"}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("CRLF in sender name accepted: %v", err)
	}
	waitRequests(t, fake, 0)
}

func TestTimeoutIsOutcomeUnknown(t *testing.T) {
	c, fake := newPair(t, sendgridfake.Options{}, func(o *sendgrid.Options) { o.Timeout = 200 * time.Millisecond })
	fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
	_, err := c.Send(context.Background(), msg())
	if !errors.Is(err, notice.ErrOutcomeUnknown) || orderbot.Retryable(err) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown, not retryable", err)
	}
	if s := err.Error(); strings.Contains(s, fake.APIKey()) || strings.Contains(s, customer) {
		t.Errorf("error leaks: %v", err)
	}
	waitRequests(t, fake, 1)
}

func TestCancellation(t *testing.T) {
	t.Run("while held", func(t *testing.T) {
		c, fake := newPair(t, sendgridfake.Options{}, nil)
		fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
		took, err := conformance.CancelWhileHeld(t, fake, func(ctx context.Context) error {
			_, err := c.Send(ctx, msg())
			return err
		})
		if took > conformance.Prompt || !errors.Is(err, context.Canceled) || !errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("took %s, err = %v; want prompt, context.Canceled and ErrOutcomeUnknown", took, err)
		}
		waitRequests(t, fake, 1)
	})
	t.Run("before sending", func(t *testing.T) {
		c, fake := newPair(t, sendgridfake.Options{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, msg())
		if !errors.Is(err, context.Canceled) || errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want a definite cancellation", err)
		}
		waitRequests(t, fake, 0)
	})
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
