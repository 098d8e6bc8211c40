package aliyunsmsfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Defaults of Options.
const (
	DefaultAccessKeyID     = "LTAIfakeAccessKeyId00"
	DefaultAccessKeySecret = "aliyunsmsfakeSecret000000000000"
	DefaultSignName        = "订单助手"
)

// Options configure a Server.
type Options struct {
	// AccessKeyID and AccessKeySecret are the accepted key; defaults above.
	AccessKeyID     string
	AccessKeySecret string
	// SignNames are the approved sign names; default DefaultSignName.
	SignNames []string
	// Templates are the approved template codes; empty accepts any code
	// starting with "SMS_".
	Templates []string
	// PerNumberPerMinute, when positive, is how many SMS one number may get
	// in a minute; more answer isv.BUSINESS_LIMIT_CONTROL.
	PerNumberPerMinute int
	// Now is the clock for Timestamp checks, limits and records; default
	// time.Now.
	Now func() time.Time
}

// Message is one SMS the fake accepted.
type Message struct {
	BizID          string
	PhoneNumbers   []string
	SignName       string
	TemplateCode   string
	TemplateParams map[string]string
	OutID          string
	At             time.Time
}

// Server is a fake Alibaba Cloud SMS endpoint. It is safe for concurrent use.
type Server struct {
	*providerfake.Server
	opts Options

	mu       sync.Mutex
	seq      int
	messages []Message
	nonces   map[string]bool
	sent     map[string][]time.Time // per number, for the frequency limit
}

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.AccessKeyID == "" {
		opts.AccessKeyID = DefaultAccessKeyID
	}
	if opts.AccessKeySecret == "" {
		opts.AccessKeySecret = DefaultAccessKeySecret
	}
	if len(opts.SignNames) == 0 {
		opts.SignNames = []string{DefaultSignName}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, nonces: map[string]bool{}, sent: map[string][]time.Time{}}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:  s.gate,
		Serve: s.serve,
		RateLimited: func(providerfake.Fault) providerfake.Response {
			return s.gatewayError(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		},
		ServerError: func(providerfake.Fault) providerfake.Response {
			return s.gatewayError(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error.")
		},
		Now: opts.Now,
	})
	return s
}

// AccessKeyID is the accepted key id.
func (s *Server) AccessKeyID() string { return s.opts.AccessKeyID }

// AccessKeySecret is the accepted key secret.
func (s *Server) AccessKeySecret() string { return s.opts.AccessKeySecret }

// Messages returns the accepted SMS, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

func requestID() string { return fmt.Sprintf("FAKE%012X", time.Now().UnixNano()&0xffffffffffff) }

func (s *Server) gatewayError(status int, code, msg string) providerfake.Response {
	return providerfake.JSON(status, map[string]string{"RequestId": requestID(), "HostId": "dysmsapi.aliyuncs.com",
		"Code": code, "Message": msg, "Recommend": "https://api.aliyun.com/troubleshoot?q=" + code})
}

// params merges the query and the POST form, as the RPC gateway does.
func params(r *http.Request) url.Values {
	p := r.URL.Query()
	for k, v := range r.PostForm {
		p[k] = v
	}
	return p
}

// encode is the documented percent-encoding, written out byte by byte so the
// fake does not share the adapter's implementation.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s *Server) signature(method string, p url.Values) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = encode(k) + "=" + encode(p.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(s.opts.AccessKeySecret+"&"))
	mac.Write([]byte(method + "&%2F&" + encode(strings.Join(pairs, "&"))))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// gate checks the common parameters and the signature before any fault.
func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	p := params(r)
	fail := func(status int, code, msg string) *providerfake.Response {
		resp := s.gatewayError(status, code, msg)
		return &resp
	}
	if r.URL.Path != "/" || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		return fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	for _, k := range []string{"AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version", "Signature"} {
		if p.Get(k) == "" {
			return fail(http.StatusBadRequest, "MissingParameter", "The input parameter \""+k+"\" that is mandatory for processing this request is not supplied.")
		}
	}
	switch {
	case p.Get("AccessKeyId") != s.opts.AccessKeyID:
		return fail(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	case p.Get("SignatureMethod") != "HMAC-SHA1" || p.Get("SignatureVersion") != "1.0":
		return fail(http.StatusBadRequest, "InvalidParameter", "The specified signature method or version is not supported.")
	case p.Get("Action") != "SendSms" || p.Get("Version") != "2017-05-25":
		return fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	if !hmac.Equal([]byte(p.Get("Signature")), []byte(s.signature(r.Method, p))) {
		return fail(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p.Get("Timestamp"))
	if err != nil {
		return fail(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := s.opts.Now().Sub(ts); d > 15*time.Minute || d < -15*time.Minute {
		return fail(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	s.mu.Lock()
	used := s.nonces[p.Get("SignatureNonce")]
	s.nonces[p.Get("SignatureNonce")] = true
	s.mu.Unlock()
	if used {
		return fail(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	return nil
}

// mobile matches a mainland mobile with optional 86/0086/+86 prefix, or an
// international number in country-code form.
var mobile = regexp.MustCompile(`^(?:(?:\+|00)?86)?1[3-9][0-9]{9}$|^[1-9][0-9]{7,14}$`)

func business(code, msg string) providerfake.Response {
	return providerfake.JSON(http.StatusOK, map[string]string{"Code": code, "Message": msg, "RequestId": requestID()})
}

// serve answers SendSms as its business layer does: HTTP 200 with a Code.
func (s *Server) serve(r *http.Request) providerfake.Response {
	p := params(r)
	numbers := strings.Split(p.Get("PhoneNumbers"), ",")
	for _, n := range numbers {
		if !mobile.MatchString(n) {
			return business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		}
	}
	if !slices.Contains(s.opts.SignNames, p.Get("SignName")) {
		return business("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
	}
	code := p.Get("TemplateCode")
	if len(s.opts.Templates) > 0 && !slices.Contains(s.opts.Templates, code) || !strings.HasPrefix(code, "SMS_") {
		return business("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
	}
	var tp map[string]string
	if raw := p.Get("TemplateParam"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &tp); err != nil {
			return business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
		}
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if lim := s.opts.PerNumberPerMinute; lim > 0 {
		for _, n := range numbers {
			recent := 0
			for _, at := range s.sent[n] {
				if now.Sub(at) < time.Minute {
					recent++
				}
			}
			if recent >= lim {
				return business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:"+fmt.Sprint(lim))
			}
		}
	}
	for _, n := range numbers {
		s.sent[n] = append(s.sent[n], now)
	}
	s.seq++
	m := Message{BizID: fmt.Sprintf("%018d^0", 900619746936498440+s.seq), PhoneNumbers: numbers, SignName: p.Get("SignName"),
		TemplateCode: code, TemplateParams: tp, OutID: p.Get("OutId"), At: now}
	s.messages = append(s.messages, m)
	resp := providerfake.JSON(http.StatusOK, map[string]string{"Code": "OK", "Message": "OK", "BizId": m.BizID, "RequestId": requestID()})
	resp.WrongTypeField = "BizId"
	return resp
}
