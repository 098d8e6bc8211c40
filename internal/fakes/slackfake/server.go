package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Config describes the workspace the fake pretends to be.
type Config struct {
	// Token is the bot token every Web API call must carry. Default "xoxb-fake".
	Token string
	// SigningSecret signs the requests the fake sends to the bot. Default
	// "fake-signing-secret".
	SigningSecret string
	// TeamID, BotUserID and BotID identify the workspace and the bot. Defaults
	// T0FAKE, U0BOT, B0BOT.
	TeamID    string
	BotUserID string
	BotID     string
	// Channels, when not empty, are the only channels that exist; posting elsewhere
	// fails with channel_not_found. Empty means every channel id exists.
	Channels []string
	// Conversations add names, privacy, archival and bot membership to channel
	// ids, for conversations.info and conversations.list; a channel without an
	// entry is public, named after its id, and has the bot as a member.
	Conversations map[string]Conversation
	// Scopes are the OAuth scopes granted to the bot token, sent in the
	// X-OAuth-Scopes header; methods needing another scope answer
	// missing_scope. Nil grants every scope (AllScopes).
	Scopes []string
	// Users are the known users by id; users.info synthesises any other U… id.
	Users map[string]User
	// UserGroups maps a user group id (S…) to its members.
	UserGroups map[string][]string
	// Now is the clock for timestamps, signatures and expiries; default time.Now.
	Now func() time.Time
	// MaxMessages, when positive, bounds each channel's history: posting
	// beyond it drops the oldest top-level messages and their threads, as a
	// workspace's retention would. Zero keeps everything.
	MaxMessages int
}

// User is a workspace member as users.info returns it.
type User struct {
	ID       string
	Name     string
	RealName string
	TZ       string
	IsBot    bool
}

// Message is a message as a channel shows it: a top-level message with its thread,
// or a reply.
type Message struct {
	Channel    string
	TS         string
	ThreadTS   string // parent ts for a reply, "" for a top-level message
	User       string // the bot user that posted it
	Text       string
	BlocksJSON string       // the blocks exactly as posted, "" when none
	Blocks     slack.Blocks // decoded blocks
	Metadata   *slack.SlackMetadata
	Updates    int       // chat.update calls applied
	Replies    []Message // thread replies, oldest first (top-level messages only)
	PostedAt   time.Time
}

// Ephemeral is a message only one user saw: chat.postEphemeral or a response_url
// reply with response_type "ephemeral".
type Ephemeral struct {
	Channel    string
	User       string
	Text       string
	BlocksJSON string
	Blocks     slack.Blocks
	Via        string // "chat.postEphemeral" or "response_url"
	At         time.Time
}

// View is a modal opened with views.open.
type View struct {
	ID              string
	TriggerID       string
	User            string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	JSON            string // the view as last sent
	Updates         int
}

// Call is one Web API request the fake answered.
type Call struct {
	Method string
	At     time.Time
	Form   url.Values      // form-encoded methods
	JSON   json.RawMessage // JSON methods (views.*)
	Status int             // HTTP status answered
	Error  string          // Slack error code when ok was false or the status not 200
	// Blocks are the call's blocks (chat.*) or view blocks (views.*), decoded;
	// empty when the call had none or they did not decode.
	Blocks slack.Blocks
}

// Fault makes the next Times calls of a method fail.
type Fault struct {
	// Status is the HTTP status to answer, e.g. 429 or 500. Zero with Error set
	// answers 200 {"ok":false,"error":Error}.
	Status int
	// RetryAfter is sent as the Retry-After header (whole seconds, rounded up) with
	// a 429; zero sends no header.
	RetryAfter time.Duration
	// Error is the Slack error code in the body, e.g. "ratelimited".
	Error string
	// Times is how many calls fail; default 1.
	Times int
}

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

type responseURL struct {
	channel   string
	user      string
	messageTS string
	uses      int
	issued    time.Time
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	srv *httptest.Server

	mu         sync.Mutex
	channels   map[string][]*msgState // top-level messages per channel, oldest first
	byTS       map[string]*msgState   // channel+"/"+ts
	ephemerals []Ephemeral
	views      map[string]*View
	calls      []Call
	faults     map[string][]Fault
	latency    map[string]time.Duration
	triggers   map[string]*trigger
	responses  map[string]*responseURL
	userGroups map[string][]string
	lastMicro  int64
	seq        int64
	files      map[string]*File // external uploads by file id (files.go)
	fileOrder  []string
}

type msgState struct {
	Message
	replies []*msgState
}

// New starts a fake Slack on a loopback port. Close stops it.
func New(cfg Config) *Server {
	if cfg.Token == "" {
		cfg.Token = "xoxb-fake"
	}
	if cfg.SigningSecret == "" {
		cfg.SigningSecret = "fake-signing-secret"
	}
	if cfg.TeamID == "" {
		cfg.TeamID = "T0FAKE"
	}
	if cfg.BotUserID == "" {
		cfg.BotUserID = "U0BOT"
	}
	if cfg.BotID == "" {
		cfg.BotID = "B0BOT"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:        cfg,
		channels:   map[string][]*msgState{},
		byTS:       map[string]*msgState{},
		views:      map[string]*View{},
		faults:     map[string][]Fault{},
		latency:    map[string]time.Duration{},
		triggers:   map[string]*trigger{},
		responses:  map[string]*responseURL{},
		userGroups: map[string][]string{},
	}
	for id, members := range cfg.UserGroups {
		s.userGroups[id] = append([]string(nil), members...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/hooks/", s.serveWebhook)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL, without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Web API base for slack.OptionAPIURL; it ends with the slash that
// slack-go needs.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.cfg.Token }

// SigningSecret is the secret the fake signs requests with.
func (s *Server) SigningSecret() string { return s.cfg.SigningSecret }

// TeamID is the fake workspace id.
func (s *Server) TeamID() string { return s.cfg.TeamID }

// BotUserID is the bot's user id.
func (s *Server) BotUserID() string { return s.cfg.BotUserID }

// FailNext makes the next f.Times calls of method (e.g. "chat.postMessage") fail
// as f says. Faults queue up in order.
func (s *Server) FailNext(method string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// SetLatency delays every answer of method by d (0 removes the delay), to model a
// slow Slack.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[method] = d
}

// SetUserGroup sets the members of a user group.
func (s *Server) SetUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userGroups[id] = append([]string(nil), members...)
}

// trim drops the channel's oldest top-level messages beyond MaxMessages. The
// caller holds s.mu.
func (s *Server) trim(ch string) {
	over := len(s.channels[ch]) - s.cfg.MaxMessages
	if s.cfg.MaxMessages <= 0 || over <= 0 {
		return
	}
	for _, m := range s.channels[ch][:over] {
		delete(s.byTS, ch+"/"+m.TS)
		for _, r := range m.replies {
			delete(s.byTS, ch+"/"+r.TS)
		}
	}
	s.channels[ch] = append([]*msgState(nil), s.channels[ch][over:]...)
}

// Messages returns the top-level messages of a channel, oldest first, each with
// its replies.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.channels[channel]))
	for _, m := range s.channels[channel] {
		out = append(out, m.snapshot())
	}
	return out
}

// Channels returns the ids of channels that hold at least one message, sorted.
func (s *Server) Channels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.channels))
	for ch := range s.channels {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}

// Message returns one message (top-level or reply) by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return m.snapshot(), true
}

// Ephemerals returns every ephemeral message shown to user ("" for all users).
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if user == "" || e.User == user {
			out = append(out, e)
		}
	}
	return out
}

// Views returns every modal opened, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views))
	for _, v := range s.views {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Calls returns the recorded calls of method ("" for all), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// CallCount counts the calls of method that Slack accepted (HTTP 200, ok true).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.calls {
		// By index: a Call is large, and tests poll this while thousands arrive.
		if c := &s.calls[i]; (method == "" || c.Method == method) && c.Status == http.StatusOK && c.Error == "" {
			n++
		}
	}
	return n
}

func (m *msgState) snapshot() Message {
	c := m.Message
	if m.Metadata != nil {
		md := *m.Metadata
		c.Metadata = &md
	}
	c.Replies = nil
	for _, r := range m.replies {
		c.Replies = append(c.Replies, r.snapshot())
	}
	return c
}

// nextTS returns a message timestamp like Slack's "1700000000.000100": seconds and
// microseconds of the clock, made strictly increasing so that two messages never
// share one.
func (s *Server) nextTS() string {
	micro := s.cfg.Now().UnixMicro()
	if micro <= s.lastMicro {
		micro = s.lastMicro + 1
	}
	s.lastMicro = micro
	return fmt.Sprintf("%d.%06d", micro/1e6, micro%1e6)
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%07d", prefix, s.seq)
}

// apiRequest is one decoded Web API request.
type apiRequest struct {
	method string
	form   url.Values
	json   map[string]json.RawMessage
	raw    []byte
	// blocks are the form's blocks once a handler decoded them, so recording
	// the call does not decode them a second time.
	blocks *slack.Blocks
}

func (r *apiRequest) get(name string) string {
	if r.form != nil {
		return r.form.Get(name)
	}
	if v, ok := r.json[name]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(v)
	}
	return ""
}

func (r *apiRequest) has(name string) bool {
	if r.form != nil {
		_, ok := r.form[name]
		return ok
	}
	_, ok := r.json[name]
	return ok
}

type apiHandler func(r *apiRequest) (map[string]any, string)

func (s *Server) handlers() map[string]apiHandler {
	return map[string]apiHandler{
		"auth.test":                    s.authTest,
		"chat.postMessage":             s.postMessage,
		"chat.update":                  s.update,
		"chat.postEphemeral":           s.postEphemeral,
		"conversations.history":        s.history,
		"conversations.replies":        s.replies,
		"views.open":                   s.viewsOpen,
		"views.update":                 s.viewsUpdate,
		"users.info":                   s.usersInfo,
		"usergroups.users.list":        s.userGroupsUsersList,
		"files.getUploadURLExternal":   s.getUploadURLExternal,
		"files.completeUploadExternal": s.completeUploadExternal,
		"conversations.info":           s.conversationsInfo,
		"conversations.list":           s.conversationsList,
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, req *http.Request) {
	method := strings.TrimPrefix(req.URL.Path, "/api/")
	h, ok := s.handlers()[method]
	if !ok {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 8<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	r := &apiRequest{method: method, raw: body}
	token := ""
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &r.json); err != nil {
			s.answer(w, r, http.StatusOK, map[string]any{"ok": false, "error": "invalid_json"}, "invalid_json", 0)
			return
		}
	} else {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			s.answer(w, r, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"}, "invalid_form_data", 0)
			return
		}
		for k, v := range req.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
		r.form = form
		token = form.Get("token")
	}
	if auth := req.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimPrefix(auth, "Bearer ")
	}

	s.mu.Lock()
	delay := s.latency[method]
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return
		}
	}

	switch {
	case token == "":
		s.answer(w, r, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"}, "not_authed", 0)
		return
	case token != s.cfg.Token:
		s.answer(w, r, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"}, "invalid_auth", 0)
		return
	}

	s.scopeHeader(w)
	if need := s.missingScope(method); need != "" {
		s.answer(w, r, http.StatusOK, map[string]any{"ok": false, "error": "missing_scope", "needed": need,
			"provided": strings.Join(s.cfg.Scopes, ",")}, "missing_scope", 0)
		return
	}

	s.mu.Lock()
	if q := s.faults[method]; len(q) > 0 {
		f := q[0]
		f.Times--
		if f.Times <= 0 {
			s.faults[method] = q[1:]
		} else {
			q[0] = f
		}
		s.mu.Unlock()
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		code := f.Error
		if code == "" {
			code = http.StatusText(status)
		}
		var retry time.Duration
		if status == http.StatusTooManyRequests {
			retry = f.RetryAfter
			if code == http.StatusText(status) {
				code = "ratelimited"
			}
		}
		s.answer(w, r, status, map[string]any{"ok": false, "error": code}, code, retry)
		return
	}
	resp, code := h(r)
	// Record in the same critical section as the effect, so a test that sees a
	// message also sees the call that made it.
	s.calls = append(s.calls, s.call(r, http.StatusOK, code))
	s.mu.Unlock()
	if code != "" {
		resp = map[string]any{"ok": false, "error": code}
	} else {
		resp["ok"] = true
	}
	s.write(w, http.StatusOK, resp, 0)
}

// answer records a call that had no effect and writes its reply.
func (s *Server) answer(w http.ResponseWriter, r *apiRequest, status int, body map[string]any, code string, retryAfter time.Duration) {
	c := s.call(r, status, code)
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	s.write(w, status, body, retryAfter)
}

func (s *Server) call(r *apiRequest, status int, code string) Call {
	c := Call{Method: r.method, At: s.cfg.Now(), Form: r.form, Status: status, Error: code}
	if r.json != nil {
		c.JSON = json.RawMessage(r.raw)
		if v, ok := r.json["view"]; ok {
			var view struct {
				Blocks slack.Blocks `json:"blocks"`
			}
			if json.Unmarshal(v, &view) == nil {
				c.Blocks = view.Blocks
			}
		}
	}
	if r.blocks != nil {
		c.Blocks = *r.blocks
	} else if b := r.form.Get("blocks"); b != "" {
		_ = json.Unmarshal([]byte(b), &c.Blocks)
	}
	return c
}

func (s *Server) write(w http.ResponseWriter, status int, body map[string]any, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) channelExists(ch string) bool {
	if ch == "" {
		return false
	}
	if len(s.cfg.Channels) == 0 {
		return true
	}
	for _, c := range s.cfg.Channels {
		if c == ch {
			return true
		}
	}
	return false
}
