package alipay_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/alipayfake"
)

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// vectorTime is the timestamp of the testdata request: 13:45 in Beijing.
var vectorTime = time.Date(2026, 12, 6, 5, 45, 0, 0, time.UTC)

const vectorAppID = "2021000000000001"

// TestSignatureVectors: the sign content and RSA2 signature of a request equal
// the ones written by hand and computed with openssl (testdata/README.md).
func TestSignatureVectors(t *testing.T) {
	params := url.Values{
		"app_id": {vectorAppID}, "method": {"alipay.trade.query"}, "format": {"JSON"}, "charset": {"utf-8"},
		"sign_type": {"RSA2"}, "timestamp": {"2026-12-06 13:45:00"}, "version": {"1.0"},
		"biz_content": {`{"out_trade_no":"1001"}`}, "app_auth_token": {""}, "sign": {"ignored"},
	}
	content := alipay.SignContent(params)
	if want := readFile(t, "request_sign_content.txt"); content != want {
		t.Fatalf("sign content\n got %s\nwant %s", content, want)
	}
	key, err := alipay.ParsePrivateKey(readFile(t, "app_private_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := alipay.Sign(key, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, "request_sign.txt"); sig != want {
		t.Errorf("signature differs from openssl's:\n got %s\nwant %s", sig, want)
	}
	pub, err := alipay.ParsePublicKey(readFile(t, "alipay_public_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := alipay.Verify(pub, []byte(readFile(t, "response_content.json")), readFile(t, "response_sign.txt")); err != nil {
		t.Errorf("openssl's response signature does not verify: %v", err)
	}
}

// TestKeyForms: keys parse as PEM (PKCS#1, PKCS#8, PKIX) and as the bare
// base64 the Alipay console shows.
func TestKeyForms(t *testing.T) {
	bare := func(pemText string) string {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(pemText), "\n") {
			if !strings.HasPrefix(l, "-----") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "")
	}
	for _, name := range []string{"app_private_key.pem", "alipay_private_key.pem"} {
		text := readFile(t, name)
		for _, form := range []string{text, bare(text)} {
			if _, err := alipay.ParsePrivateKey(form); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	text := readFile(t, "alipay_public_key.pem")
	for _, form := range []string{text, bare(text)} {
		if _, err := alipay.ParsePublicKey(form); err != nil {
			t.Errorf("public key: %v", err)
		}
	}
	if _, err := alipay.ParsePrivateKey("not a key"); err == nil {
		t.Error("garbage accepted as a private key")
	}
}

// TestRequestOnTheWire: the client's request for order 1001 at the vector
// time carries exactly the openssl signature, and the openssl-signed answer
// (whose value keeps \u escapes a re-marshal would lose) is accepted and mapped.
func TestRequestOnTheWire(t *testing.T) {
	var got url.Values
	var contentType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, _ = url.ParseQuery(string(body))
		contentType = r.Header.Get("Content-Type")
		if r.Method != http.MethodPost || r.URL.Path != "/gateway.do" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		io.WriteString(w, readFile(t, "response.json"))
	}))
	defer srv.Close()
	c, err := alipay.New(alipay.Options{
		Settings: httpclient.Settings{APIURL: srv.URL, RateLimit: -1},
		AppID:    vectorAppID, PrivateKey: readFile(t, "app_private_key.pem"),
		AlipayPublicKey: readFile(t, "alipay_public_key.pem"), Now: func() time.Time { return vectorTime }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.QueryPayment(context.Background(), orderbot.Order{ID: "1001"})
	if err != nil {
		t.Fatalf("QueryPayment: %v", err)
	}
	if want := readFile(t, "request_sign.txt"); got.Get("sign") != want {
		t.Errorf("sign on the wire = %s, want openssl's %s", got.Get("sign"), want)
	}
	if got.Get("timestamp") != "2026-12-06 13:45:00" || got.Get("biz_content") != `{"out_trade_no":"1001"}` {
		t.Errorf("timestamp %q biz_content %q", got.Get("timestamp"), got.Get("biz_content"))
	}
	if !strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q", contentType)
	}
	want := orderbot.Payment{ID: "2026120622001404330500001234", Provider: "alipay", OrderID: "1001",
		Amount: orderbot.Money{Minor: 8888, Currency: "CNY"}, Status: orderbot.PaymentSucceeded,
		CreatedAt: time.Date(2026, 12, 6, 5, 40, 12, 0, time.UTC)}
	if !p.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("CreatedAt = %v, want %v", p.CreatedAt, want.CreatedAt)
	}
	p.CreatedAt = want.CreatedAt
	if p.ID != want.ID || p.Provider != want.Provider || p.OrderID != want.OrderID || p.Amount != want.Amount || p.Status != want.Status || len(p.Refunds) != 0 {
		t.Errorf("payment = %+v\nwant %+v", p, want)
	}
}

// TestForgedAnswersRefused: an answer signed with another key, a tampered
// answer and an unsigned success are all refused.
func TestForgedAnswersRefused(t *testing.T) {
	good := readFile(t, "response.json")
	for name, body := range map[string]string{
		"tampered amount":    strings.Replace(good, `"total_amount":"88.88"`, `"total_amount":"8.88"`, 1),
		"unsigned success":   good[:strings.Index(good, `,"sign"`)] + "}",
		"sign of other text": strings.Replace(good, readFile(t, "response_sign.txt"), readFile(t, "request_sign.txt"), 1),
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
			defer srv.Close()
			c, err := alipay.New(alipay.Options{
				Settings: httpclient.Settings{APIURL: srv.URL, RateLimit: -1},
				AppID:    vectorAppID, PrivateKey: readFile(t, "app_private_key.pem"),
				AlipayPublicKey: readFile(t, "alipay_public_key.pem")})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.QueryPayment(context.Background(), orderbot.Order{ID: "1001"})
			if !orderbot.IsKind(err, orderbot.KindPermanent) {
				t.Fatalf("err = %v (kind %q), want a permanent refusal", err, orderbot.KindOf(err))
			}
		})
	}
	t.Run("fake signing with another key", func(t *testing.T) {
		f, c := newPair(t)
		mustAdd(t, f, alipayfake.Trade{OutTradeNo: "1001", Status: alipay.TradeSuccess, Total: cny(8888), PaidAt: vectorTime})
		other, err := alipay.ParsePrivateKey(readFile(t, "app_private_key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		f.SignWith(other)
		_, err = c.QueryPayment(context.Background(), orderbot.Order{ID: "1001"})
		if !orderbot.IsKind(err, orderbot.KindPermanent) || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("err = %v, want the signature refused", err)
		}
	})
}

func cny(minor int64) orderbot.Money { return orderbot.Money{Minor: minor, Currency: "CNY"} }

func mustAdd(t testing.TB, f *alipayfake.Server, trades ...alipayfake.Trade) {
	t.Helper()
	if err := f.AddTrades(trades...); err != nil {
		t.Fatal(err)
	}
}

// newPair starts the fake with the testdata keys and a client for it.
func newPair(t testing.TB) (*alipayfake.Server, *alipay.Client) {
	t.Helper()
	appPriv, err := alipay.ParsePrivateKey(readFile(t, "app_private_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	alipayPriv, err := alipay.ParsePrivateKey(readFile(t, "alipay_private_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	f := alipayfake.New(alipayfake.Options{AppID: vectorAppID, AppPublicKey: &appPriv.PublicKey, AlipayKey: alipayPriv})
	t.Cleanup(f.Close)
	c, err := alipay.New(alipay.Options{
		Settings: httpclient.Settings{APIURL: f.URL(), RateLimit: -1, Logger: slog.New(slog.DiscardHandler), HTTPOptions: func(o *httpclient.Options) { o.Sleep = (&conformance.Sleeper{}).Sleep }},
		AppID:    vectorAppID, PrivateKey: readFile(t, "app_private_key.pem"),
		AlipayPublicKey: readFile(t, "alipay_public_key.pem"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return f, c
}

// TestTradeStatuses: each trade status maps to the payment the detection rules
// read.
func TestTradeStatuses(t *testing.T) {
	paid := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		status   string
		paidAt   time.Time
		want     orderbot.PaymentStatus
		amount   int64
		refunded bool
	}{
		{alipay.TradeSuccess, paid, orderbot.PaymentSucceeded, 12345, false},
		{alipay.TradeFinished, paid, orderbot.PaymentSucceeded, 12345, false},
		{alipay.TradeWaitBuyerPay, time.Time{}, orderbot.PaymentPending, 0, false},
		{alipay.TradeClosed, time.Time{}, orderbot.PaymentCanceled, 0, false},
		{alipay.TradeClosed, paid, orderbot.PaymentSucceeded, 12345, true}, // paid, then refunded in full
	}
	for _, tt := range tests {
		name := tt.status
		if !tt.paidAt.IsZero() {
			name += " paid"
		}
		t.Run(name, func(t *testing.T) {
			f, c := newPair(t)
			mustAdd(t, f, alipayfake.Trade{OutTradeNo: "SO-7", TradeNo: "2026120622001400000000000007", Status: tt.status,
				Total: cny(12345), PaidAt: tt.paidAt})
			p, err := c.QueryPayment(context.Background(), orderbot.Order{ID: "SO-7"})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.want || p.Amount.Minor != tt.amount || p.OrderID != "SO-7" || p.Provider != "alipay" ||
				p.ID != "2026120622001400000000000007" {
				t.Errorf("payment = %+v", p)
			}
			if !tt.paidAt.IsZero() && !p.CreatedAt.Equal(tt.paidAt) {
				t.Errorf("CreatedAt = %v, want the payment time %v", p.CreatedAt, tt.paidAt)
			}
			if p.FullyRefunded() != tt.refunded {
				t.Errorf("fully refunded = %v, want %v", p.FullyRefunded(), tt.refunded)
			}
		})
	}
}

// TestErrorCodes: 40004 ACQ.TRADE_NOT_EXIST is not found; 20000 and
// ACQ.SYSTEM_ERROR are retried by the shared policy and succeed when Alipay
// recovers, and stay transient when it does not; a signature the gateway
// refuses is unauthorized.
func TestErrorCodes(t *testing.T) {
	ctx := context.Background()
	t.Run("trade not exist", func(t *testing.T) {
		_, c := newPair(t)
		_, err := c.QueryPayment(ctx, orderbot.Order{ID: "nope"})
		if !orderbot.IsKind(err, orderbot.KindNotFound) {
			t.Fatalf("err = %v, want not found", err)
		}
	})
	for _, code := range [][2]string{{alipay.CodeUnavailable, "isp.unknow-error"}, {alipay.CodeBusinessFailed, alipay.SubSystemError}} {
		t.Run(code[0]+" retried", func(t *testing.T) {
			f, c := newPair(t)
			mustAdd(t, f, alipayfake.Trade{OutTradeNo: "1001", Status: alipay.TradeSuccess, Total: cny(100), PaidAt: vectorTime})
			f.InjectCode(2, code[0], code[1])
			p, err := c.QueryPayment(ctx, orderbot.Order{ID: "1001"})
			if err != nil || p.Status != orderbot.PaymentSucceeded {
				t.Fatalf("after two %s answers: %+v, %v", code[0], p, err)
			}
			if n := f.RequestCount(); n != 3 {
				t.Errorf("requests = %d, want 3", n)
			}
		})
		t.Run(code[0]+" exhausted", func(t *testing.T) {
			f, c := newPair(t)
			f.InjectCode(10, code[0], code[1])
			_, err := c.QueryPayment(ctx, orderbot.Order{ID: "1001"})
			if !orderbot.IsKind(err, orderbot.KindTransient) {
				t.Fatalf("err = %v, want transient", err)
			}
			if n := f.RequestCount(); n != 1+httpclient.DefaultMaxRetries {
				t.Errorf("requests = %d, want %d", n, 1+httpclient.DefaultMaxRetries)
			}
		})
	}
	t.Run("request signed with the wrong key", func(t *testing.T) {
		f, _ := newPair(t)
		c, err := alipay.New(alipay.Options{
			Settings: httpclient.Settings{APIURL: f.URL(), RateLimit: -1},
			AppID:    vectorAppID, PrivateKey: readFile(t, "alipay_private_key.pem"),
			AlipayPublicKey: readFile(t, "alipay_public_key.pem")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.QueryPayment(ctx, orderbot.Order{ID: "1001"})
		if !orderbot.IsKind(err, orderbot.KindUnauthorized) || !strings.Contains(err.Error(), "isv.invalid-signature") {
			t.Fatalf("err = %v, want unauthorized isv.invalid-signature", err)
		}
		if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Error("the error shows the key")
		}
	})
	t.Run("wrong app id", func(t *testing.T) {
		f, _ := newPair(t)
		c, err := alipay.New(alipay.Options{
			Settings: httpclient.Settings{APIURL: f.URL(), RateLimit: -1},
			AppID:    "2021999999999999", PrivateKey: readFile(t, "app_private_key.pem"),
			AlipayPublicKey: readFile(t, "alipay_public_key.pem")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.QueryPayment(ctx, orderbot.Order{ID: "1001"})
		if !orderbot.IsKind(err, orderbot.KindUnauthorized) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
	})
}

// TestBadOptions: missing or unparsable keys are invalid, without echoing them.
func TestBadOptions(t *testing.T) {
	_, err := alipay.New(alipay.Options{AppID: "x", PrivateKey: "secret-not-a-key", AlipayPublicKey: readFile(t, "alipay_public_key.pem")})
	var oe *orderbot.Error
	if !errors.As(err, &oe) || oe.Kind != orderbot.KindInvalid || strings.Contains(err.Error(), "secret-not-a-key") {
		t.Fatalf("err = %v", err)
	}
	if _, err := alipay.New(alipay.Options{PrivateKey: readFile(t, "app_private_key.pem"), AlipayPublicKey: readFile(t, "alipay_public_key.pem")}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("missing app id: %v", err)
	}
	var _ *rsa.PublicKey
}
