package aliyunsms_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/aliyunsms"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/internal/fakes/aliyunsmsfake"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const customer = "+8613800138000"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// docVector is the documented example of providers.md §7.
func docVector() url.Values {
	return url.Values{
		"AccessKeyId": {"testId"}, "Action": {"SendSms"}, "Format": {"XML"}, "OutId": {"123"},
		"PhoneNumbers": {"15300000001"}, "RegionId": {"cn-hangzhou"}, "SignName": {"阿里云短信测试专用"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"45e25e9b-0a6f-4070-8c85-2956eda1b466"},
		"SignatureVersion": {"1.0"}, "TemplateCode": {"SMS_71390007"}, "TemplateParam": {`{"customer":"test"}`},
		"Timestamp": {"2017-07-12T02:42:19Z"}, "Version": {"2017-05-25"},
	}
}

func TestSignatureDocumentedVector(t *testing.T) {
	p := docVector()
	sts := aliyunsms.StringToSign(http.MethodGet, p)
	if !strings.HasPrefix(sts, "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123") {
		t.Errorf("StringToSign = %s", sts)
	}
	sig := aliyunsms.Sign(http.MethodGet, "testSecret", p)
	if sig != "zJDF+Lrzhj/ThnlvIToysFRq6t4=" {
		t.Fatalf("Sign = %q, want the documented zJDF+Lrzhj/ThnlvIToysFRq6t4=", sig)
	}
	if enc := aliyunsms.PercentEncode(sig); enc != "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D" {
		t.Errorf("encoded signature = %q", enc)
	}
	// Signature itself never takes part in the string to sign.
	p.Set("Signature", sig)
	if aliyunsms.Sign(http.MethodGet, "testSecret", p) != sig {
		t.Error("Signature param changed the signature")
	}
	// The fake's own implementation accepts the documented request too.
	fake := aliyunsmsfake.New(aliyunsmsfake.Options{AccessKeyID: "testId", AccessKeySecret: "testSecret",
		SignNames: []string{"阿里云短信测试专用"}, Now: func() time.Time { return time.Date(2017, 7, 12, 2, 45, 0, 0, time.UTC) }})
	defer fake.Close()
	resp, err := http.Get(fake.URL() + "/?" + p.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(fake.Messages()) != 1 || fake.Messages()[0].OutID != "123" {
		t.Fatalf("fake answered %d with %d messages", resp.StatusCode, len(fake.Messages()))
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b": "a%20b", "*": "%2A", "~": "~", "-_.": "-_.", "中": "%E4%B8%AD", "a+b=c&d": "a%2Bb%3Dc%26d", "/": "%2F",
	} {
		if got := aliyunsms.PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func newPair(t *testing.T, fo aliyunsmsfake.Options, mod func(*aliyunsms.Options)) (*aliyunsms.Client, *aliyunsmsfake.Server) {
	t.Helper()
	fo.Now = func() time.Time { return t0 }
	fake := aliyunsmsfake.New(fo)
	t.Cleanup(fake.Close)
	sink := &logSink{}
	opts := aliyunsms.Options{
		Settings:    httpclient.Settings{APIURL: fake.URL(), Timeout: conformance.GenerousTimeout, RateLimit: -1},
		AccessKeyID: fake.AccessKeyID(), AccessKeySecret: fake.AccessKeySecret(),
		SignName: aliyunsmsfake.DefaultSignName,
		Now:      func() time.Time { return t0 }}
	if mod != nil {
		mod(&opts)
	}
	opts.Logger = sink.logger()
	sink.checkLogs(t, fake.AccessKeySecret(), "wrong-secret-value", "13800138000")
	c, err := aliyunsms.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, fake
}

func waitRequests(t *testing.T, fake *aliyunsmsfake.Server, n int) {
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
	return notice.Message{To: customer, TemplateCode: "SMS_123456", TemplateParams: map[string]string{"order": "1001", "note": "<a&b>"}, Reference: "T-1:open"}
}

func TestParamsExact(t *testing.T) {
	c, _ := newPair(t, aliyunsmsfake.Options{}, nil)
	p, err := c.Params(msg(), t0, "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"AccessKeyId": aliyunsmsfake.DefaultAccessKeyID, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "nonce-1", "SignatureVersion": "1.0",
		"Timestamp": "2026-03-01T12:00:00Z", "Version": "2017-05-25", "PhoneNumbers": "8613800138000",
		"SignName": aliyunsmsfake.DefaultSignName, "TemplateCode": "SMS_123456",
		"TemplateParam": `{"note":"<a&b>","order":"1001"}`, "OutId": "T-1:open",
	}
	for k, v := range want {
		if p.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, p.Get(k), v)
		}
	}
	if len(p) != len(want)+1 || p.Get("Signature") != aliyunsms.Sign(http.MethodPost, aliyunsmsfake.DefaultAccessKeySecret, p) {
		t.Errorf("params %v: unexpected keys or signature", p)
	}
}

func TestSendSuccess(t *testing.T) {
	c, fake := newPair(t, aliyunsmsfake.Options{}, nil)
	r, err := c.Send(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Messages()
	if len(got) != 1 || r.ProviderID != got[0].BizID || r.ProviderID == "" || r.Status != "accepted" {
		t.Fatalf("receipt %+v, fake %+v", r, got)
	}
	m := got[0]
	if m.PhoneNumbers[0] != "8613800138000" || m.TemplateCode != "SMS_123456" || m.TemplateParams["note"] != "<a&b>" || m.OutID != "T-1:open" {
		t.Errorf("fake received %+v", m)
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fo      aliyunsmsfake.Options
		mod     func(*aliyunsms.Options)
		to      string
		fault   providerfake.FaultKind
		first   bool // send once successfully first
		kind    orderbot.ErrorKind
		text    string
		wait    time.Duration
		wantReq int
	}{
		{name: "illegal number", to: "+86123", kind: orderbot.KindInvalid, text: "isv.MOBILE_NUMBER_ILLEGAL", wantReq: 1},
		{name: "per-number frequency limit", fo: aliyunsmsfake.Options{PerNumberPerMinute: 1}, first: true,
			kind: orderbot.KindRateLimited, text: "frequency limit", wait: time.Minute, wantReq: 2},
		{name: "wrong secret", mod: func(o *aliyunsms.Options) { o.AccessKeySecret = "wrong-secret-value" },
			kind: orderbot.KindUnauthorized, text: "SignatureDoesNotMatch", wantReq: 1},
		{name: "unknown key id", mod: func(o *aliyunsms.Options) { o.AccessKeyID = "LTAIother" },
			kind: orderbot.KindUnauthorized, text: "InvalidAccessKeyId.NotFound", wantReq: 1},
		{name: "sign name not approved", mod: func(o *aliyunsms.Options) { o.SignName = "别的签名" },
			kind: orderbot.KindInvalid, text: "isv.SMS_SIGNATURE_ILLEGAL", wantReq: 1},
		{name: "clock skew", mod: func(o *aliyunsms.Options) { o.Now = func() time.Time { return t0.Add(-time.Hour) } },
			kind: orderbot.KindInvalid, text: "InvalidTimeStamp.Expired", wantReq: 1},
		{name: "throttled", fault: providerfake.RateLimited, kind: orderbot.KindRateLimited, text: "Throttling.User", wantReq: 1},
		{name: "500 definite failure", fault: providerfake.ServerError, kind: orderbot.KindTransient, text: "was not sent", wantReq: 1},
		{name: "no template", to: "-", kind: orderbot.KindInvalid, text: "template code"},
		{name: "not a number", to: "li@example.com", kind: orderbot.KindInvalid, text: "not a phone number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, tc.fo, tc.mod)
			m := msg()
			switch tc.to {
			case "":
			case "-":
				m.TemplateCode = ""
			default:
				m.To = tc.to
			}
			if tc.first {
				if _, err := c.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			if tc.fault != 0 {
				fake.Inject(providerfake.Fault{Kind: tc.fault})
			}
			_, err := c.Send(context.Background(), m)
			conformance.CheckError(t, err, tc.kind, tc.text, fake.AccessKeySecret(), "wrong-secret-value", customer)
			if errors.Is(err, notice.ErrOutcomeUnknown) {
				t.Errorf("definite answer reported as outcome unknown: %v", err)
			}
			var oe *orderbot.Error
			if errors.As(err, &oe); oe.RetryAfter != tc.wait {
				t.Errorf("RetryAfter = %s, want %s", oe.RetryAfter, tc.wait)
			}
			if n := len(fake.Messages()); tc.first && n != 1 || !tc.first && n != 0 {
				t.Errorf("fake recorded %d messages", n)
			}
			waitRequests(t, fake, tc.wantReq)
		})
	}
}

func TestOutcomeUnknown(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		c, fake := newPair(t, aliyunsmsfake.Options{}, func(o *aliyunsms.Options) { o.Timeout = 200 * time.Millisecond })
		fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
		_, err := c.Send(context.Background(), msg())
		if !errors.Is(err, notice.ErrOutcomeUnknown) || orderbot.Retryable(err) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown, not retryable", err)
		}
		if s := err.Error(); strings.Contains(s, fake.AccessKeySecret()) || strings.Contains(s, "13800138000") {
			t.Errorf("error leaks: %v", err)
		}
		waitRequests(t, fake, 1)
	})
	t.Run("unreadable 200", func(t *testing.T) {
		c, fake := newPair(t, aliyunsmsfake.Options{}, nil)
		fake.Inject(providerfake.Fault{Kind: providerfake.Malformed})
		_, err := c.Send(context.Background(), msg())
		if !errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
		waitRequests(t, fake, 1)
	})
	t.Run("cancelled while held", func(t *testing.T) {
		c, fake := newPair(t, aliyunsmsfake.Options{}, nil)
		fake.Inject(providerfake.Fault{Kind: providerfake.Slow})
		took, err := conformance.CancelWhileHeld(t, fake, func(ctx context.Context) error {
			_, err := c.Send(ctx, msg())
			return err
		})
		if took > conformance.Prompt || !errors.Is(err, context.Canceled) || !errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("took %s, err = %v", took, err)
		}
		waitRequests(t, fake, 1)
	})
	t.Run("cancelled before sending", func(t *testing.T) {
		c, fake := newPair(t, aliyunsmsfake.Options{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, msg())
		if !errors.Is(err, context.Canceled) || errors.Is(err, notice.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want a definite cancellation", err)
		}
		waitRequests(t, fake, 0)
	})
}

func TestNew(t *testing.T) {
	for _, o := range []aliyunsms.Options{
		{AccessKeySecret: "s", SignName: "x"},
		{AccessKeyID: "i", SignName: "x"},
		{AccessKeyID: "i", AccessKeySecret: "s"},
		{AccessKeyID: "i", AccessKeySecret: "s", SignName: "x", Settings: httpclient.Settings{APIURL: "not a url"}},
	} {
		if _, err := aliyunsms.New(o); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("New(%+v) = %v, want invalid", o, err)
		}
	}
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

func TestNonceReuseRefused(t *testing.T) {
	c, fake := newPair(t, aliyunsmsfake.Options{}, func(o *aliyunsms.Options) { o.Nonce = func() string { return "same" } })
	if _, err := c.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Send(context.Background(), msg())
	conformance.CheckError(t, err, orderbot.KindInvalid, "SignatureNonceUsed", fake.AccessKeySecret())
	if len(fake.Messages()) != 1 {
		t.Errorf("fake recorded %d messages", len(fake.Messages()))
	}
}

func TestDefaultNonceIsUUID(t *testing.T) {
	c, fake := newPair(t, aliyunsmsfake.Options{}, func(o *aliyunsms.Options) { o.Nonce = nil })
	for range 2 {
		if _, err := c.Send(context.Background(), msg()); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fake.Requests()
	a, b := reqs[0].Form.Get("SignatureNonce"), reqs[1].Form.Get("SignatureNonce")
	if len(a) != 36 || strings.Count(a, "-") != 4 || a == b {
		t.Errorf("nonces %q, %q: want distinct UUIDs", a, b)
	}
}
