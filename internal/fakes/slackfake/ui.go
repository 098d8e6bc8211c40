package slackfake

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// uiFiles are the page's static files; the page builds every element with DOM
// calls and textContent, so nothing the bot sent is ever parsed as HTML.
//
//go:embed ui/index.html ui/ui.js ui/ui.css
var uiFiles embed.FS

// DemoUser is the workspace member the page acts as when UIOptions.User is empty.
var DemoUser = User{ID: "U0DEMO", Name: "demo", RealName: "Demo User", TZ: "UTC"}

// Notice is one customer message a simulated SMS or email provider received, as
// the page's Notices tab lists it. To should already be masked by the provider
// that reports it.
type Notice struct {
	Medium  string    `json:"medium"` // "sms" or "email"
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// UIOptions configures the stand-in page.
type UIOptions struct {
	// BotURL is the base of the bot's HTTP server (e.g. "http://127.0.0.1:8080");
	// clicks go to BotURL+"/slack/interactions", commands to
	// BotURL+"/slack/commands".
	BotURL string
	// User is the member the page acts as; default DemoUser.
	User User
	// Users are offered by users_select elements besides User, and name mentions.
	Users []User
	// ChannelNames maps channel ids to the names the channel list shows.
	ChannelNames map[string]string
	// Notices lists what the simulated SMS and email providers received; nil
	// makes the Notices tab say that customer notices are not configured.
	Notices func() []Notice
	// Now, when set, is the clock the page shows as the simulated time (the
	// demo's accelerated clock), and Speed how many times faster than real
	// time it runs.
	Now   func() time.Time
	Speed float64
}

// The page shows a channel's newest uiShowDefault top-level messages and
// loads older ones on request, up to uiShowMax at once: it redraws the channel
// on every change, and a demo left running for hours must not make that a
// multi-megabyte poll.
const (
	uiShowDefault = 100
	uiShowMax     = 5000
)

// forwardTimeout bounds one signed request to the bot; Slack itself gives up
// after three seconds, but a demo on a busy laptop deserves some slack.
const forwardTimeout = 10 * time.Second

// UI is the web page of the Slack stand-in: channels, cards rendered from the
// Block Kit the bot sent, threads, the acting user's ephemeral messages, open
// modals and a slash-command box. The page polls GET /api/state; every click,
// modal submission and command it posts is turned into the payload Slack would
// send, signed with the fake's secret and forwarded to the bot.
type UI struct {
	s      *Server
	opts   UIOptions
	static http.Handler
	mux    *http.ServeMux

	mu     sync.Mutex
	closed map[string]bool              // view ids the user submitted or cancelled
	errs   map[string]map[string]string // view id → block id → error from response_action "errors"
}

// NewUI returns the page for s. It serves nothing until mounted on a listener.
func NewUI(s *Server, o UIOptions) *UI {
	if o.User.ID == "" {
		o.User = DemoUser
	}
	o.BotURL = strings.TrimRight(o.BotURL, "/")
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	u := &UI{s: s, opts: o, static: http.FileServerFS(sub), closed: map[string]bool{}, errs: map[string]map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", u.serveStatic)
	mux.HandleFunc("GET /ui.js", u.serveStatic)
	mux.HandleFunc("GET /ui.css", u.serveStatic)
	mux.HandleFunc("GET /api/state", u.serveState)
	mux.HandleFunc("POST /api/action", u.serveAction)
	mux.HandleFunc("POST /api/submit", u.serveSubmit)
	mux.HandleFunc("POST /api/close", u.serveClose)
	mux.HandleFunc("POST /api/command", u.serveCommand)
	u.mux = mux
	return u
}

// ServeHTTP serves the page, its state and its actions.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The page loads only its own files and talks only to its own origin; a
	// strict policy keeps any slip in rendering from running script.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !loopbackHost(r.Host) {
		// A site that rebinds its DNS name to 127.0.0.1 would otherwise be same
		// origin with the page and could click for the user.
		writeUIJSON(w, http.StatusForbidden, forwardResult{Error: "open the page at its loopback address"})
		return
	}
	u.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(h string) bool {
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	u.static.ServeHTTP(w, r)
}

type uiMessage struct {
	TS      string          `json:"ts"`
	Text    string          `json:"text"`
	Blocks  json.RawMessage `json:"blocks,omitempty"`
	Updates int             `json:"updates"`
	Replies []uiMessage     `json:"replies,omitempty"`
}

type uiEphemeral struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
	Via    string          `json:"via"`
	At     time.Time       `json:"at"`
}

type uiChannel struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Messages int    `json:"messages"`
}

type uiView struct {
	ID     string            `json:"id"`
	View   json.RawMessage   `json:"view"`
	Errors map[string]string `json:"errors,omitempty"`
}

type uiUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type uiState struct {
	User              uiUser        `json:"user"`
	Users             []uiUser      `json:"users"`
	Channels          []uiChannel   `json:"channels"`
	Channel           string        `json:"channel"`
	Messages          []uiMessage   `json:"messages"`
	Older             int           `json:"older"` // top-level messages left out, oldest first
	Ephemerals        []uiEphemeral `json:"ephemerals"`
	View              *uiView       `json:"view"`
	NoticesConfigured bool          `json:"notices_configured"`
	Notices           []Notice      `json:"notices"`
	Now               *time.Time    `json:"now,omitempty"` // the simulated time, when the page has a clock
	Speed             float64       `json:"speed,omitempty"`
}

func rawBlocks(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func toUIMessage(m Message) uiMessage {
	out := uiMessage{TS: m.TS, Text: m.Text, Blocks: rawBlocks(m.BlocksJSON), Updates: m.Updates}
	for _, r := range m.Replies {
		out.Replies = append(out.Replies, toUIMessage(r))
	}
	return out
}

// State is what the page shows for one channel, its newest show messages; the
// page polls it every second.
func (u *UI) state(channel string, show int) uiState {
	st := uiState{User: uiUser{u.opts.User.ID, displayName(u.opts.User)}, Messages: []uiMessage{}, Ephemerals: []uiEphemeral{}}
	st.Users = append(st.Users, st.User)
	for _, x := range u.opts.Users {
		if x.ID != u.opts.User.ID {
			st.Users = append(st.Users, uiUser{x.ID, displayName(x)})
		}
	}

	ids := map[string]bool{}
	for _, c := range u.s.cfg.Channels {
		ids[c] = true
	}
	for _, c := range u.s.Channels() {
		ids[c] = true
	}
	for id := range ids {
		name := u.opts.ChannelNames[id]
		if name == "" {
			name = strings.ToLower(id)
		}
		st.Channels = append(st.Channels, uiChannel{ID: id, Name: name, Messages: len(u.s.Messages(id))})
	}
	sort.Slice(st.Channels, func(i, j int) bool { return st.Channels[i].Name < st.Channels[j].Name })
	if channel == "" && len(st.Channels) > 0 {
		channel = st.Channels[0].ID
	}
	st.Channel = channel
	if u.opts.Now != nil {
		now := u.opts.Now().UTC()
		st.Now, st.Speed = &now, u.opts.Speed
	}
	show = min(max(show, 1), uiShowMax)
	msgs := u.s.Messages(channel)
	if len(msgs) > show {
		st.Older = len(msgs) - show
		msgs = msgs[st.Older:]
	}
	for _, m := range msgs {
		st.Messages = append(st.Messages, toUIMessage(m))
	}
	for _, e := range u.s.Ephemerals(u.opts.User.ID) {
		if e.Channel == channel {
			st.Ephemerals = append(st.Ephemerals, uiEphemeral{Text: e.Text, Blocks: rawBlocks(e.BlocksJSON), Via: e.Via, At: e.At})
		}
	}

	u.mu.Lock()
	defer u.mu.Unlock()
	views := u.s.Views()
	for i := len(views) - 1; i >= 0; i-- { // the newest open modal is on top
		v := views[i]
		if v.User == u.opts.User.ID && !u.closed[v.ID] {
			st.View = &uiView{ID: v.ID, View: json.RawMessage(v.JSON), Errors: u.errs[v.ID]}
			break
		}
	}
	if u.opts.Notices != nil {
		st.NoticesConfigured = true
		st.Notices = append([]Notice{}, u.opts.Notices()...)
		sort.SliceStable(st.Notices, func(i, j int) bool { return st.Notices[i].At.After(st.Notices[j].At) })
	}
	return st
}

func displayName(x User) string {
	if x.RealName != "" {
		return x.RealName
	}
	if x.Name != "" {
		return x.Name
	}
	return x.ID
}

func (u *UI) serveState(w http.ResponseWriter, r *http.Request) {
	show, err := strconv.Atoi(r.URL.Query().Get("show"))
	if err != nil {
		show = uiShowDefault
	}
	writeUIJSON(w, http.StatusOK, u.state(r.URL.Query().Get("channel"), show))
}

// readUIJSON decodes a page request. Requiring application/json means a page
// on another origin cannot post here without a CORS preflight, which this
// server never answers, so other sites cannot click buttons for the user.
func readUIJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeUIJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send application/json"})
		return false
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed request"})
		return false
	}
	return true
}

func writeUIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// forwardResult is what the page learns about a forwarded request.
type forwardResult struct {
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (u *UI) forward(w http.ResponseWriter, resp *Response, err error) (*Response, bool) {
	switch {
	case u.opts.BotURL == "":
		writeUIJSON(w, http.StatusServiceUnavailable, forwardResult{Error: "the page has no bot URL"})
		return nil, false
	case err != nil:
		writeUIJSON(w, http.StatusBadGateway, forwardResult{Error: "the bot did not answer: " + err.Error()})
		return nil, false
	case resp.Status != http.StatusOK:
		writeUIJSON(w, http.StatusBadGateway, forwardResult{Status: resp.Status, Error: fmt.Sprintf("the bot answered HTTP %d", resp.Status)})
		return nil, false
	}
	return resp, true
}

// uiAction is a click on a button or a choice in a select of a message.
type uiAction struct {
	Channel   string `json:"channel"`
	TS        string `json:"ts"`
	Ephemeral bool   `json:"ephemeral"`
	ActionID  string `json:"action_id"`
	BlockID   string `json:"block_id"`
	Type      string `json:"type"`
	Value     string `json:"value"`
	Selected  string `json:"selected"`
}

func (u *UI) serveAction(w http.ResponseWriter, r *http.Request) {
	var a uiAction
	if !readUIJSON(w, r, &a) {
		return
	}
	switch a.Type {
	case "button", "static_select", "overflow", "users_select":
	default:
		writeUIJSON(w, http.StatusBadRequest, forwardResult{Error: "unsupported element type"})
		return
	}
	if a.ActionID == "" || a.Channel == "" {
		writeUIJSON(w, http.StatusBadRequest, forwardResult{Error: "action_id and channel are required"})
		return
	}
	click := Click{User: u.opts.User.ID, Channel: a.Channel, MessageTS: a.TS, Ephemeral: a.Ephemeral,
		ActionID: a.ActionID, BlockID: a.BlockID, Value: a.Value, Selected: a.Selected, Type: a.Type}
	resp, err := u.post(r.Context(), func(ctx context.Context) (*Response, error) {
		return u.s.PostClick(ctx, u.opts.BotURL+"/slack/interactions", click)
	})
	if resp, ok := u.forward(w, resp, err); ok {
		writeUIJSON(w, http.StatusOK, forwardResult{Status: resp.Status})
	}
}

func (u *UI) post(ctx context.Context, f func(context.Context) (*Response, error)) (*Response, error) {
	if u.opts.BotURL == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	return f(ctx)
}

// uiSubmit is a modal submission: block id → action id → the element's state.
type uiSubmit struct {
	ViewID string                                 `json:"view_id"`
	Values map[string]map[string]uiSubmittedValue `json:"values"`
}

type uiSubmittedValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (u *UI) serveSubmit(w http.ResponseWriter, r *http.Request) {
	var sub uiSubmit
	if !readUIJSON(w, r, &sub) {
		return
	}
	values := map[string]map[string]any{}
	for bid, acts := range sub.Values {
		values[bid] = map[string]any{}
		for aid, v := range acts {
			switch v.Type {
			case "static_select", "radio_buttons":
				if v.Value == "" {
					// Slack sends an unchosen select as a null option.
					values[bid][aid] = Selected("")
					continue
				}
				values[bid][aid] = Selected(v.Value)
			case "users_select":
				values[bid][aid] = SelectedUser(v.Value)
			default:
				values[bid][aid] = v.Value
			}
		}
	}
	payload, err := u.s.ViewSubmission(u.opts.User.ID, sub.ViewID, values)
	if err != nil {
		writeUIJSON(w, http.StatusNotFound, forwardResult{Error: "no such view"})
		return
	}
	resp, err := u.post(r.Context(), func(ctx context.Context) (*Response, error) {
		return u.s.PostInteraction(ctx, u.opts.BotURL+"/slack/interactions", payload)
	})
	resp, ok := u.forward(w, resp, err)
	if !ok {
		return
	}
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if len(strings.TrimSpace(string(resp.Body))) > 0 {
		if err := json.Unmarshal(resp.Body, &ack); err != nil {
			writeUIJSON(w, http.StatusBadGateway, forwardResult{Status: resp.Status, Error: "the bot's answer is not JSON"})
			return
		}
	}
	u.mu.Lock()
	if ack.ResponseAction == "errors" {
		// Slack keeps the modal open and shows each error under its block.
		u.errs[sub.ViewID] = ack.Errors
	} else {
		u.closed[sub.ViewID] = true
		delete(u.errs, sub.ViewID)
	}
	u.mu.Unlock()
	writeUIJSON(w, http.StatusOK, forwardResult{Status: resp.Status})
}

func (u *UI) serveClose(w http.ResponseWriter, r *http.Request) {
	var c struct {
		ViewID string `json:"view_id"`
	}
	if !readUIJSON(w, r, &c) {
		return
	}
	u.mu.Lock()
	u.closed[c.ViewID] = true
	delete(u.errs, c.ViewID)
	u.mu.Unlock()
	writeUIJSON(w, http.StatusOK, forwardResult{Status: http.StatusOK})
}

// serveCommand sends "/ob <text>" from the page's channel. A reply in the
// command's ack body is shown the way Slack shows it: to the user alone, or in
// the channel when response_type is in_channel.
func (u *UI) serveCommand(w http.ResponseWriter, r *http.Request) {
	var c struct {
		Channel string `json:"channel"`
		Command string `json:"command"`
		Text    string `json:"text"`
	}
	if !readUIJSON(w, r, &c) {
		return
	}
	if c.Channel == "" {
		writeUIJSON(w, http.StatusBadRequest, forwardResult{Error: "channel is required"})
		return
	}
	if c.Command == "" {
		c.Command = "/ob"
	}
	cmd := Command{User: u.opts.User.ID, Channel: c.Channel, Command: c.Command, Text: c.Text}
	resp, err := u.post(r.Context(), func(ctx context.Context) (*Response, error) {
		return u.s.PostCommand(ctx, u.opts.BotURL+"/slack/commands", cmd)
	})
	resp, ok := u.forward(w, resp, err)
	if !ok {
		return
	}
	if len(strings.TrimSpace(string(resp.Body))) > 0 {
		if err := u.s.recordAck(c.Channel, u.opts.User.ID, resp.Body); err != nil {
			writeUIJSON(w, http.StatusBadGateway, forwardResult{Status: resp.Status, Error: err.Error()})
			return
		}
	}
	writeUIJSON(w, http.StatusOK, forwardResult{Status: resp.Status})
}

// recordAck shows a slash command's ack body: an ephemeral reply by default, a
// channel message for response_type in_channel.
func (s *Server) recordAck(channel, user string, body []byte) error {
	var msg struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return fmt.Errorf("slackfake: the command's ack is not JSON: %w", err)
	}
	blocksJSON := ""
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		blocksJSON = string(msg.Blocks)
		if err := ValidateMessageBlocks(msg.Blocks); err != nil {
			return fmt.Errorf("slackfake: the command's ack has invalid blocks: %w", err)
		}
	}
	var m Message
	if blocksJSON != "" {
		if err := json.Unmarshal(msg.Blocks, &m.Blocks); err != nil {
			return fmt.Errorf("slackfake: the command's ack has invalid blocks: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg.ResponseType == "in_channel" {
		ms := &msgState{Message: Message{Channel: channel, TS: s.nextTS(), User: s.cfg.BotUserID, Text: msg.Text,
			BlocksJSON: blocksJSON, Blocks: m.Blocks, PostedAt: s.cfg.Now()}}
		s.channels[channel] = append(s.channels[channel], ms)
		s.byTS[channel+"/"+ms.TS] = ms
		s.trim(channel)
		return nil
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{Channel: channel, User: user, Text: msg.Text,
		BlocksJSON: blocksJSON, Blocks: m.Blocks, Via: "command_ack", At: s.cfg.Now()})
	return nil
}
