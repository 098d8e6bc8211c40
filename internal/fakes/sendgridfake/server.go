package sendgridfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// DefaultAPIKey is the key a Server accepts unless Options.APIKey says
// otherwise.
const DefaultAPIKey = "SG.sendgridfake.000000000000000000000000000000"

// Options configure a Server.
type Options struct {
	// APIKey is the one accepted key; default DefaultAPIKey.
	APIKey string
	// Senders, when set, are the verified sender addresses; mail from any
	// other address is refused with 403 as SendGrid does.
	Senders []string
	// Now stamps messages and rate-limit resets; default time.Now.
	Now func() time.Time
}

// Message is one email the fake accepted.
type Message struct {
	ID         string
	To         []string
	From       string
	FromName   string
	ReplyTo    string
	Subject    string
	Text       string
	HTML       string
	CustomArgs map[string]string
	Categories []string
	At         time.Time
}

// Server is a fake SendGrid API. It is safe for concurrent use.
type Server struct {
	*providerfake.Server
	opts Options

	mu       sync.Mutex
	seq      int
	messages []Message
}

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:        s.gate,
		Serve:       s.serve,
		RateLimited: s.rateLimited,
		ServerError: serverError,
		Now:         opts.Now,
	})
	return s
}

// APIKey is the accepted key.
func (s *Server) APIKey() string { return s.opts.APIKey }

// Messages returns the accepted emails, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

func errorResponse(status int, msg, field string) providerfake.Response {
	e := map[string]any{"message": msg, "field": nil, "help": nil}
	if field != "" {
		e["field"] = field
	}
	return providerfake.JSON(status, map[string]any{"errors": []any{e}})
}

func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	h.Set("X-RateLimit-Limit", "600")
	h.Set("X-RateLimit-Remaining", "599")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.opts.Now().Add(time.Minute).Unix(), 10))
	if r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		resp := errorResponse(http.StatusUnauthorized, "The provided authorization grant is invalid, expired, or revoked", "")
		return &resp
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
		resp := errorResponse(http.StatusNotFound, "Not Found", "")
		return &resp
	}
	// Read the body now, before a Slow fault holds the request: net/http
	// notices a client that went away only once the body is consumed.
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		resp := errorResponse(http.StatusBadRequest, "Bad Request", "")
		return &resp
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return nil
}

// maxBody is SendGrid's 30 MB message limit.
const maxBody = 30 << 20

func (s *Server) rateLimited(f providerfake.Fault) providerfake.Response {
	resp := errorResponse(http.StatusTooManyRequests, "too many requests", "")
	resp.Header.Set("X-RateLimit-Limit", "600")
	resp.Header.Set("X-RateLimit-Remaining", "0")
	resp.Header.Set("X-RateLimit-Reset", strconv.FormatInt(s.opts.Now().Add(f.RetryAfterOr(time.Minute)).Unix(), 10))
	return resp
}

func serverError(providerfake.Fault) providerfake.Response {
	return errorResponse(http.StatusInternalServerError, "Internal Server Error", "")
}

type wireAddress struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type wireMail struct {
	Personalizations []struct {
		To         []wireAddress     `json:"to"`
		CustomArgs map[string]string `json:"custom_args"`
	} `json:"personalizations"`
	From    wireAddress  `json:"from"`
	ReplyTo *wireAddress `json:"reply_to"`
	Subject string       `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	Categories   []string `json:"categories"`
	MailSettings struct {
		SandboxMode struct {
			Enable bool `json:"enable"`
		} `json:"sandbox_mode"`
	} `json:"mail_settings"`
}

// validAddress is SendGrid's check: one plain address whose domain has a dot.
func validAddress(a string) bool {
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a {
		return false
	}
	_, domain, _ := strings.Cut(a, "@")
	return strings.Contains(domain, ".")
}

func (s *Server) serve(r *http.Request) providerfake.Response {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return errorResponse(http.StatusBadRequest, "Content-Type should be application/json.", "")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return errorResponse(http.StatusBadRequest, "Bad Request", "")
	}
	var m wireMail
	if err := json.Unmarshal(raw, &m); err != nil {
		return errorResponse(http.StatusBadRequest, "Bad Request", "")
	}
	if len(m.Personalizations) == 0 || len(m.Personalizations[0].To) == 0 {
		return errorResponse(http.StatusBadRequest, "The personalizations field is required and must have at least one personalization.", "personalizations")
	}
	for _, p := range m.Personalizations {
		for _, to := range p.To {
			if !validAddress(to.Email) {
				return errorResponse(http.StatusBadRequest, "Does not contain a valid address.", "personalizations.0.to.0.email")
			}
		}
	}
	switch {
	case !validAddress(m.From.Email):
		return errorResponse(http.StatusBadRequest, "The from email does not contain a valid address.", "from.email")
	case m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n"):
		return errorResponse(http.StatusBadRequest, "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.", "subject")
	case len(m.Content) == 0:
		return errorResponse(http.StatusBadRequest, "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.", "content")
	}
	if len(s.opts.Senders) > 0 && !slices.Contains(s.opts.Senders, m.From.Email) {
		return errorResponse(http.StatusForbidden, "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.", "from")
	}
	msg := Message{From: m.From.Email, FromName: m.From.Name, Subject: m.Subject, CustomArgs: m.Personalizations[0].CustomArgs,
		Categories: m.Categories, At: s.opts.Now()}
	for i, c := range m.Content {
		switch c.Type {
		case "text/plain":
			if i != 0 {
				return errorResponse(http.StatusBadRequest, "The text/plain content type must be first in the content array.", "content."+strconv.Itoa(i)+".type")
			}
			msg.Text = c.Value
		case "text/html":
			msg.HTML = c.Value
		}
	}
	if m.ReplyTo != nil {
		msg.ReplyTo = m.ReplyTo.Email
	}
	for _, p := range m.Personalizations {
		for _, to := range p.To {
			msg.To = append(msg.To, to.Email)
		}
	}
	if m.MailSettings.SandboxMode.Enable {
		return providerfake.Response{Status: http.StatusOK, Header: http.Header{}}
	}
	s.mu.Lock()
	s.seq++
	msg.ID = fmt.Sprintf("sgfake%016d", s.seq)
	s.messages = append(s.messages, msg)
	s.mu.Unlock()
	return providerfake.Response{Status: http.StatusAccepted, Header: http.Header{"X-Message-Id": {msg.ID}}}
}
