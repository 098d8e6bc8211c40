package twiliofake

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Defaults of Options.
const (
	DefaultAccountSID = "AC00000000000000000000000000000000"
	DefaultAuthToken  = "twiliofake_auth_token_0000000000"
)

// Options configure a Server.
type Options struct {
	// AccountSID and AuthToken are the accepted Basic credentials; defaults
	// DefaultAccountSID and DefaultAuthToken.
	AccountSID string
	AuthToken  string
	// APIKeySID and APIKeySecret, when set, are accepted as Basic
	// credentials too (Twilio's API keys).
	APIKeySID    string
	APIKeySecret string
	// Now stamps messages and the request log; default time.Now.
	Now func() time.Time
}

// Message is one SMS the fake accepted.
type Message struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	At                  time.Time
}

// Server is a fake Twilio API. It is safe for concurrent use.
type Server struct {
	*providerfake.Server
	opts Options

	mu       sync.Mutex
	seq      int
	messages []Message
	optedOut map[string]bool
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.AccountSID == "" {
		opts.AccountSID = DefaultAccountSID
	}
	if opts.AuthToken == "" {
		opts.AuthToken = DefaultAuthToken
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, optedOut: map[string]bool{}}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:        s.gate,
		Serve:       s.serve,
		RateLimited: rateLimited,
		ServerError: serverError,
		Now:         opts.Now,
	})
	return s
}

// AccountSID is the accepted account SID.
func (s *Server) AccountSID() string { return s.opts.AccountSID }

// AuthToken is the accepted auth token.
func (s *Server) AuthToken() string { return s.opts.AuthToken }

// OptOut marks numbers as having replied STOP: sends to them answer 21610.
func (s *Server) OptOut(numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		s.optedOut[n] = true
	}
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

func errorResponse(status, code int, msg string) providerfake.Response {
	return providerfake.JSON(status, map[string]any{
		"code": code, "message": msg, "more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), "status": status,
	})
}

// gate stamps a request id and checks path and Basic auth before any fault.
func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	h.Set("Twilio-Request-Id", fmt.Sprintf("RQ%032d", time.Now().UnixNano()))
	user, pass, ok := r.BasicAuth()
	okAccount := user == s.opts.AccountSID && pass == s.opts.AuthToken
	okKey := s.opts.APIKeySID != "" && user == s.opts.APIKeySID && pass == s.opts.APIKeySecret
	if !ok || !(okAccount || okKey) {
		resp := errorResponse(http.StatusUnauthorized, 20003, "Authenticate")
		resp.Header.Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		return &resp
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+s.opts.AccountSID+"/Messages.json" {
		resp := errorResponse(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return &resp
	}
	return nil
}

func rateLimited(f providerfake.Fault) providerfake.Response {
	resp := errorResponse(http.StatusTooManyRequests, 20429, "Too Many Requests")
	if f.RetryAfter > 0 {
		resp.Header.Set("Retry-After", providerfake.Seconds(f.RetryAfter))
	}
	return resp
}

func serverError(providerfake.Fault) providerfake.Response {
	return errorResponse(http.StatusInternalServerError, 20500, "Internal Server Error")
}

// serve creates a message from the form the providerfake server parsed.
func (s *Server) serve(r *http.Request) providerfake.Response {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return errorResponse(http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
	}
	f := r.PostForm
	to, from, svc, body := f.Get("To"), f.Get("From"), f.Get("MessagingServiceSid"), f.Get("Body")
	switch {
	case to == "":
		return errorResponse(http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	case !e164.MatchString(to):
		return errorResponse(http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
	case from == "" && svc == "":
		return errorResponse(http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
	case body == "":
		return errorResponse(http.StatusBadRequest, 21602, "Message body is required.")
	case utf8.RuneCountInString(body) > 1600:
		return errorResponse(http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.optedOut[to] {
		return errorResponse(http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
	}
	s.seq++
	m := Message{SID: fmt.Sprintf("SM%032x", s.seq), To: to, From: from, MessagingServiceSID: svc, Body: body,
		StatusCallback: f.Get("StatusCallback"), At: s.opts.Now()}
	s.messages = append(s.messages, m)
	status := "queued"
	if svc != "" {
		status = "accepted"
	}
	var svcJSON any
	if svc != "" {
		svcJSON = svc
	}
	date := m.At.UTC().Format(time.RFC1123Z)
	resp := providerfake.JSON(http.StatusCreated, map[string]any{
		"sid": m.SID, "account_sid": s.opts.AccountSID, "messaging_service_sid": svcJSON, "from": from, "to": to,
		"body": body, "status": status, "error_code": nil, "error_message": nil, "num_segments": "1", "num_media": "0",
		"direction": "outbound-api", "price": nil, "price_unit": "USD", "api_version": "2010-04-01",
		"date_created": date, "date_updated": date, "date_sent": nil,
		"uri": "/2010-04-01/Accounts/" + s.opts.AccountSID + "/Messages/" + m.SID + ".json",
	})
	resp.WrongTypeField = "sid"
	return resp
}
