package kuaidi100fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Options configure a Server.
type Options struct {
	// Customer and Key are the accepted credentials; defaults "FAKECUSTOMER" and
	// "fake-key".
	Customer string
	Key      string
	// Location is the zone trace times are written in; default UTC+8.
	Location *time.Location
	// Companies are carrier codes the server knows besides those of stored
	// shipments and a built-in list of common ones; others get returnCode 400.
	Companies []string
	// Now stamps the request log; default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log (oldest dropped); default
	// providerfake.DefaultLogLimit.
	LogLimit int
}

// knownCompanies are common Kuaidi100 company codes.
var knownCompanies = []string{"shunfeng", "shunfengkuaiyun", "yuantong", "zhongtong", "shentong", "yunda", "ems",
	"youzhengguonei", "jd", "jtexpress", "huitongkuaidi", "debangwuliu", "tiantian", "zhaijisong"}

// Server is a fake Kuaidi100. Create it with New and Close it when done.
// Fault injection and the request log come from the embedded
// providerfake.Server.
type Server struct {
	*providerfake.Server
	opts Options

	mu        sync.Mutex
	shipments map[string]orderbot.Shipment // by tracking number
	phones    map[string]string            // tracking number → required phone tail
	companies map[string]bool
	codes     []string // queued returnCode answers
}

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.Customer == "" {
		opts.Customer = "FAKECUSTOMER"
	}
	if opts.Key == "" {
		opts.Key = "fake-key"
	}
	if opts.Location == nil {
		opts.Location = time.FixedZone("CST", 8*3600)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, shipments: map[string]orderbot.Shipment{}, phones: map[string]string{}, companies: map[string]bool{}}
	for _, c := range append(slices.Clone(knownCompanies), opts.Companies...) {
		s.companies[c] = true
	}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:        s.gate,
		Serve:       s.query,
		RateLimited: rateLimited,
		ServerError: serverError,
		LogLimit:    opts.LogLimit,
		Now:         opts.Now,
	})
	return s
}

// Customer returns the accepted customer code.
func (s *Server) Customer() string { return s.opts.Customer }

// Key returns the accepted signing key.
func (s *Server) Key() string { return s.opts.Key }

// AddShipments stores shipments by tracking number. Carrier must be the
// Kuaidi100 company code queries will use; Checkpoints newest first. A
// shipment without checkpoints answers "no result" (returnCode 500), as
// Kuaidi100 does before the first scan. A shipment without a tracking number
// is a KindInvalid error and nothing is stored.
func (s *Server) AddShipments(shipments ...orderbot.Shipment) error {
	for _, sh := range shipments {
		if sh.TrackingNumber == "" {
			return orderbot.Errorf(orderbot.KindInvalid, "kuaidi100fake.add_shipments", "a shipment needs a tracking number")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range shipments {
		sh.Checkpoints = slices.Clone(sh.Checkpoints)
		s.shipments[sh.TrackingNumber] = sh
		if sh.Carrier != "" {
			s.companies[sh.Carrier] = true
		}
	}
	return nil
}

// DeleteShipment deletes a shipment; it reports whether it existed.
func (s *Server) DeleteShipment(number string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.shipments[number]
	delete(s.shipments, number)
	return ok
}

// RequirePhone makes queries for number succeed only with the phone whose last
// four digits are tail (SF Express privacy waybills); "" lifts the requirement.
func (s *Server) RequirePhone(number, tail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tail == "" {
		delete(s.phones, number)
		return
	}
	s.phones[number] = tail
}

// InjectReturnCode makes the next n well-formed, correctly signed queries get
// Kuaidi100's error answer with returnCode code (e.g. "502" busy, "601" quota)
// and HTTP 200.
func (s *Server) InjectReturnCode(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.codes = append(s.codes, code)
	}
}

// rateLimited answers a RateLimited fault as a gateway in front of Kuaidi100
// would: plain-text 429 with Retry-After (Kuaidi100 itself reports quota as
// returnCode 601, see InjectReturnCode).
func rateLimited(f providerfake.Fault) providerfake.Response {
	resp := providerfake.Text(http.StatusTooManyRequests, "Too Many Requests")
	resp.Header.Set("Retry-After", providerfake.Seconds(f.RetryAfterOr(time.Second)))
	return resp
}

// serverError answers a ServerError fault with HTTP 500 and a JSON error body.
func serverError(providerfake.Fault) providerfake.Response {
	return providerfake.JSON(http.StatusInternalServerError, errorAnswer{ReturnCode: "501", Message: "服务器错误"})
}

func refuse(code, message string) *providerfake.Response {
	resp := providerfake.JSON(http.StatusOK, errorAnswer{Result: false, ReturnCode: code, Message: message})
	return &resp
}

// param is the query's param JSON; every value is a string.
type param struct {
	Com      string `json:"com"`
	Num      string `json:"num"`
	Phone    string `json:"phone"`
	ResultV2 string `json:"resultv2"`
	Show     string `json:"show"`
	Order    string `json:"order"`
}

// gate refuses what Kuaidi100 refuses before looking a parcel up: another
// path (HTTP 404), a request that is not a url-encoded POST or lacks a field,
// an unknown customer, and a sign that is not the MD5 of the exact param
// string with the key and customer.
func (s *Server) gate(r *http.Request, _ http.Header) *providerfake.Response {
	if r.URL.Path != "/poll/query.do" {
		return &providerfake.Response{Status: http.StatusNotFound, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("404 Not Found")}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		return refuse("400", msgIncomplete)
	}
	customer, raw, sig := r.PostForm.Get("customer"), r.PostForm.Get("param"), r.PostForm.Get("sign")
	if customer == "" || raw == "" || sig == "" {
		return refuse("400", msgIncomplete)
	}
	if customer != s.opts.Customer {
		return refuse("400", msgUnauthorised)
	}
	sum := md5.Sum([]byte(raw + s.opts.Key + s.opts.Customer))
	if sig != strings.ToUpper(hex.EncodeToString(sum[:])) {
		return refuse("503", msgBadSign)
	}
	return nil
}

// query answers a query the gate let through. A WrongType fault corrupts
// "state" unless it names a field.
func (s *Server) query(r *http.Request) providerfake.Response {
	resp := s.lookup(r.PostForm.Get("param"))
	resp.WrongTypeField = "state"
	return resp
}

func (s *Server) lookup(raw string) providerfake.Response {
	var p param
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Num == "" {
		return *refuse("400", msgIncomplete)
	}
	s.mu.Lock()
	known := s.companies[p.Com]
	sh, found := s.shipments[p.Num]
	tail, needPhone := s.phones[p.Num]
	var code string
	if len(s.codes) > 0 {
		code, s.codes = s.codes[0], s.codes[1:]
	}
	s.mu.Unlock()
	switch {
	case code != "":
		return *refuse(code, injectedMessages[code])
	case !known:
		return *refuse("400", msgBadCompany)
	case needPhone && (len(p.Phone) < 4 || p.Phone[len(p.Phone)-4:] != tail):
		return *refuse("408", msgBadPhone)
	case !found || sh.Carrier != p.Com || len(sh.Checkpoints) == 0:
		return *refuse("500", msgNoResult)
	}
	a := render(&sh, p.ResultV2, s.opts.Location)
	if p.Order == "asc" {
		slices.Reverse(a.Data)
	}
	return providerfake.JSON(http.StatusOK, a)
}

// injectedMessages are Kuaidi100's messages for codes InjectReturnCode sends.
var injectedMessages = map[string]string{
	"400": msgBadCompany, "408": msgBadPhone, "500": msgNoResult, "501": "服务器错误", "502": "服务器繁忙",
	"503": msgBadSign, "601": "key已过期",
}
