package alipayfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Options configure a Server.
type Options struct {
	// AppID is the accepted app id; default "2021000000000001".
	AppID string
	// AppPublicKey verifies request signatures; AlipayKey signs answers. Nil
	// keys are generated (2048-bit), and the server hands out the app's
	// private key and its own public key for configuration.
	AppPublicKey *rsa.PublicKey
	AlipayKey    *rsa.PrivateKey
	// WallClock is what request timestamps are checked against (±15 minutes,
	// Beijing time); default time.Now.
	WallClock func() time.Time
	// Now stamps the request log; default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log; default providerfake.DefaultLogLimit.
	LogLimit int
}

// Trade is a trade the gateway knows, by out_trade_no.
type Trade struct {
	OutTradeNo string
	TradeNo    string
	Status     string // alipay.TradeSuccess, ...
	Total      orderbot.Money
	PaidAt     time.Time // send_pay_date; zero while unpaid
}

// Server is the fake gateway.
type Server struct {
	*providerfake.Server
	opts   Options
	appKey *rsa.PrivateKey // only when generated

	mu     sync.Mutex
	trades map[string]Trade
	codes  [][2]string // queued injected answers: code, sub_code
	signer *rsa.PrivateKey
	seq    int
}

// New starts a gateway on loopback.
func New(opts Options) *Server {
	if opts.AppID == "" {
		opts.AppID = "2021000000000001"
	}
	if opts.WallClock == nil {
		opts.WallClock = time.Now
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, trades: map[string]Trade{}}
	if opts.AppPublicKey == nil {
		s.appKey = mustKey()
		s.opts.AppPublicKey = &s.appKey.PublicKey
	}
	if opts.AlipayKey == nil {
		s.opts.AlipayKey = mustKey()
	}
	s.signer = s.opts.AlipayKey
	s.Server = providerfake.Start(providerfake.Config{
		Gate:  s.gate,
		Serve: s.serve,
		RateLimited: func(f providerfake.Fault) providerfake.Response {
			return s.injected(alipay.CodeUnavailable, "isp.unknow-error")
		},
		ServerError: func(providerfake.Fault) providerfake.Response {
			return providerfake.Text(http.StatusBadGateway, "502 Bad Gateway")
		},
		LogLimit: opts.LogLimit,
		Now:      opts.Now,
	})
	return s
}

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("alipayfake: generating a key: " + err.Error())
	}
	return k
}

// AppID is the accepted app id.
func (s *Server) AppID() string { return s.opts.AppID }

// AppPrivateKeyPEM is the generated app private key (PKCS#8 PEM); "" when the
// app's public key was given.
func (s *Server) AppPrivateKeyPEM() string {
	if s.appKey == nil {
		return ""
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.appKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// AlipayPublicKeyPEM is the public key answers are signed for (PKIX PEM).
func (s *Server) AlipayPublicKeyPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&s.opts.AlipayKey.PublicKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// SignWith makes the server sign answers with key instead of its own: a test
// of forged answers. Nil restores its own key.
func (s *Server) SignWith(key *rsa.PrivateKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == nil {
		key = s.opts.AlipayKey
	}
	s.signer = key
}

// AddTrades stores trades by out_trade_no (a later one replaces an earlier).
// A trade without out_trade_no is a KindInvalid error and nothing is stored.
func (s *Server) AddTrades(trades ...Trade) error {
	for _, t := range trades {
		if t.OutTradeNo == "" {
			return orderbot.Errorf(orderbot.KindInvalid, "alipayfake.add_trades", "a trade needs an out_trade_no")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range trades {
		if t.TradeNo == "" {
			s.seq++
			t.TradeNo = t.PaidAt.In(beijing).Format("20060102") + "2200140433" + strconv.Itoa(1000000+s.seq)
		}
		s.trades[t.OutTradeNo] = t
	}
	return nil
}

// AddPayments stores payments as the trades Alipay would hold for them: a
// succeeded payment is TRADE_SUCCESS (TRADE_CLOSED with its payment date when
// refunded in full), a pending one WAIT_BUYER_PAY, a failed or canceled one
// TRADE_CLOSED unpaid. OrderID is the out_trade_no and ID the trade_no.
func (s *Server) AddPayments(ps ...orderbot.Payment) error {
	trades := make([]Trade, 0, len(ps))
	for _, p := range ps {
		t := Trade{OutTradeNo: p.OrderID, TradeNo: p.ID, Total: p.Amount}
		switch p.Status {
		case orderbot.PaymentSucceeded:
			t.Status, t.PaidAt = alipay.TradeSuccess, p.CreatedAt
			if p.FullyRefunded() {
				t.Status = alipay.TradeClosed
			}
		case orderbot.PaymentPending:
			t.Status = alipay.TradeWaitBuyerPay
		default:
			t.Status = alipay.TradeClosed
		}
		trades = append(trades, t)
	}
	return s.AddTrades(trades...)
}

// InjectCode makes the next n well-formed, correctly signed queries get the
// error answer code/sub_code (e.g. "20000", "isp.unknow-error" or "40004",
// "ACQ.SYSTEM_ERROR"), signed, with HTTP 200.
func (s *Server) InjectCode(n int, code, subCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.codes = append(s.codes, [2]string{code, subCode})
	}
}

var beijing = time.FixedZone("CST", 8*3600)

// gate refuses what the gateway refuses before looking at the business
// content: another path, a request that is not a url-encoded POST, a bad
// common parameter, a stale timestamp or a signature that does not verify.
// These answers are not signed, as Alipay's are not.
func (s *Server) gate(r *http.Request, _ http.Header) *providerfake.Response {
	if r.URL.Path != alipay.GatewayPath {
		return &providerfake.Response{Status: http.StatusNotFound, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>404</html>")}
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		return unsigned(alipay.CodeMissingArgument, "isv.missing-method")
	}
	if cs := params["charset"]; cs != "" && cs != "utf-8" && cs != "UTF-8" {
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-charset")
	}
	f := r.Form
	switch {
	case f.Get("app_id") == "":
		return unsigned(alipay.CodeMissingArgument, "isv.missing-app-id")
	case f.Get("app_id") != s.opts.AppID:
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-app-id")
	case f.Get("method") != alipay.Method:
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-method")
	case f.Get("format") != "" && f.Get("format") != "JSON":
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-format")
	case f.Get("charset") != "utf-8":
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-charset")
	case f.Get("sign_type") != "RSA2":
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-signature-type")
	case f.Get("version") != "1.0":
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-version")
	case f.Get("sign") == "":
		return unsigned(alipay.CodeMissingArgument, "isv.missing-signature")
	}
	ts, err := time.ParseInLocation(alipay.TimeLayout, f.Get("timestamp"), beijing)
	if d := s.opts.WallClock().Sub(ts); err != nil || d > 15*time.Minute || d < -15*time.Minute {
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-timestamp")
	}
	if alipay.Verify(s.opts.AppPublicKey, []byte(alipay.SignContent(f)), f.Get("sign")) != nil {
		return unsigned(alipay.CodeInvalidArgument, "isv.invalid-signature")
	}
	return nil
}

// serve answers a query the gate let through.
func (s *Server) serve(r *http.Request) providerfake.Response {
	var biz alipay.BizContent
	if err := json.Unmarshal([]byte(r.Form.Get("biz_content")), &biz); err != nil || (biz.OutTradeNo == "" && biz.TradeNo == "") {
		return s.injected(alipay.CodeBusinessFailed, "ACQ.INVALID_PARAMETER")
	}
	s.mu.Lock()
	var code [2]string
	if len(s.codes) > 0 {
		code, s.codes = s.codes[0], s.codes[1:]
	}
	t, ok := s.trades[biz.OutTradeNo]
	if biz.TradeNo != "" { // trade_no wins
		ok = false
		for _, x := range s.trades {
			if x.TradeNo == biz.TradeNo {
				t, ok = x, true
			}
		}
	}
	s.mu.Unlock()
	switch {
	case code[0] != "":
		return s.injected(code[0], code[1])
	case !ok:
		return s.injected(alipay.CodeBusinessFailed, alipay.SubTradeNotExist)
	}
	v := alipay.TradeQueryResponse{Code: alipay.CodeSuccess, Msg: "Success", TradeNo: t.TradeNo, OutTradeNo: t.OutTradeNo,
		BuyerLogonID: "159****5620", TradeStatus: t.Status, TotalAmount: yuan(t.Total)}
	if !t.PaidAt.IsZero() {
		v.SendPayDate = t.PaidAt.In(beijing).Format(alipay.TimeLayout)
		v.ReceiptAmount, v.BuyerPayAmount = v.TotalAmount, v.TotalAmount
	}
	resp := s.signed(v)
	resp.WrongTypeField = "total_amount"
	return resp
}

// yuan formats an amount as Alipay does: a decimal string with two places.
func yuan(m orderbot.Money) string {
	neg := ""
	v := m.Minor
	if v < 0 {
		neg, v = "-", -v
	}
	return neg + strconv.FormatInt(v/100, 10) + "." + strconv.FormatInt(100+v%100, 10)[1:]
}

var messages = map[string]string{
	alipay.CodeUnavailable: "Service Currently Unavailable", alipay.CodeInsufficientToken: "Insufficient Token Permissions",
	alipay.CodeMissingArgument: "Missing Required Arguments", alipay.CodeInvalidArgument: "Invalid Arguments",
	alipay.CodeBusinessFailed: "Business Failed", alipay.CodeInsufficientRights: "Insufficient Permissions",
}

var subMessages = map[string]string{
	alipay.SubTradeNotExist: "交易不存在", alipay.SubSystemError: "系统错误", "isp.unknow-error": "系统繁忙",
	"ACQ.INVALID_PARAMETER": "参数无效",
}

// injected is a signed error answer.
func (s *Server) injected(code, sub string) providerfake.Response {
	return s.signed(alipay.TradeQueryResponse{Code: code, Msg: messages[code], SubCode: sub, SubMsg: subMessages[sub]})
}

// signed writes the answer with the signature over the value's exact text.
func (s *Server) signed(v alipay.TradeQueryResponse) providerfake.Response {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	key := s.signer
	s.mu.Unlock()
	sig, err := alipay.Sign(key, raw)
	if err != nil {
		panic(err)
	}
	body := append([]byte(`{"`+alipay.ResponseKey+`":`), raw...)
	body = append(body, `,"sign":"`+sig+`"}`...)
	return providerfake.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/html;charset=utf-8"}}, Body: body}
}

// unsigned is an error answer the gateway gives before it knows whom to sign
// for.
func unsigned(code, sub string) *providerfake.Response {
	resp := providerfake.JSON(http.StatusOK, map[string]alipay.TradeQueryResponse{alipay.ResponseKey: {
		Code: code, Msg: messages[code], SubCode: sub, SubMsg: sub}})
	return &resp
}
