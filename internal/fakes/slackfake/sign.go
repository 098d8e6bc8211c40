package slackfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Sign returns Slack's v0 request signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + ts + ":" + body)).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Response is the bot's answer to a request the fake sent.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration // from sending the request to reading the whole answer
}

// SignedRequest builds a POST of body to target, signed with the fake's secret at
// time ts, with the headers Slack sends.
func (s *Server) SignedRequest(ctx context.Context, target, contentType string, body []byte, ts time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(s.cfg.SigningSecret, ts.Unix(), body))
	return req, nil
}

// Do sends a request and reads the whole answer.
func Do(client *http.Client, req *http.Request) (*Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Elapsed: time.Since(start)}, nil
}

// PostForm signs form-encoded values and posts them to target.
func (s *Server) PostForm(ctx context.Context, target string, form url.Values) (*Response, error) {
	req, err := s.SignedRequest(ctx, target, "application/x-www-form-urlencoded", []byte(form.Encode()), s.cfg.Now())
	if err != nil {
		return nil, err
	}
	return Do(nil, req)
}

// PostInteraction sends an interaction payload (any JSON-encodable value) as Slack
// does: form-encoded with a single payload field, signed.
func (s *Server) PostInteraction(ctx context.Context, target string, payload any) (*Response, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return s.PostForm(ctx, target, url.Values{"payload": {string(b)}})
}

// Command is a slash command invocation.
type Command struct {
	User      string
	Channel   string
	Command   string // default "/ob"
	Text      string
	TriggerID string // issued by the fake when empty
}

// CommandForm returns the form fields Slack posts for a slash command, with a
// fresh trigger id and a response URL served by the fake.
func (s *Server) CommandForm(c Command) url.Values {
	if c.Command == "" {
		c.Command = "/ob"
	}
	s.mu.Lock()
	if c.TriggerID == "" {
		c.TriggerID = s.issueTrigger(c.User)
	}
	resp := s.issueResponseURL(c.Channel, c.User, "")
	s.mu.Unlock()
	return url.Values{
		"token": {"deprecated-verification-token"}, "team_id": {s.cfg.TeamID}, "team_domain": {"fake"},
		"channel_id": {c.Channel}, "channel_name": {strings.ToLower(c.Channel)},
		"user_id": {c.User}, "user_name": {strings.ToLower(c.User)}, "command": {c.Command},
		"text": {c.Text}, "api_app_id": {"A0FAKE"}, "is_enterprise_install": {"false"},
		"response_url": {resp}, "trigger_id": {c.TriggerID},
	}
}

// PostCommand sends a signed slash command to target.
func (s *Server) PostCommand(ctx context.Context, target string, c Command) (*Response, error) {
	return s.PostForm(ctx, target, s.CommandForm(c))
}

// Click is one click on an interactive element of a message.
type Click struct {
	User      string
	Channel   string
	MessageTS string
	Ephemeral bool // the element sits on an ephemeral message
	ActionID  string
	BlockID   string
	Value     string // button value
	// Selected is the chosen option value of a static_select or overflow, or the
	// chosen user of a users_select.
	Selected string
	Type     string // element type; default "button"
}

// BlockActions builds a block_actions payload as Slack sends it, with a fresh
// trigger id (valid for three seconds, once) and a response URL served by the fake.
func (s *Server) BlockActions(c Click) map[string]any {
	if c.Type == "" {
		c.Type = "button"
	}
	s.mu.Lock()
	trig := s.issueTrigger(c.User)
	resp := s.issueResponseURL(c.Channel, c.User, c.MessageTS)
	s.mu.Unlock()
	now := s.cfg.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	action := map[string]any{"action_id": c.ActionID, "block_id": c.BlockID, "type": c.Type, "action_ts": actionTS}
	switch c.Type {
	case "button":
		action["value"] = c.Value
		action["text"] = map[string]any{"type": "plain_text", "text": c.ActionID}
	case "static_select", "overflow":
		action["selected_option"] = map[string]any{"text": map[string]any{"type": "plain_text", "text": c.Selected}, "value": c.Selected}
	case "users_select":
		action["selected_user"] = c.Selected
	}
	return map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": s.cfg.TeamID, "domain": "fake"},
		"user":       map[string]any{"id": c.User, "username": strings.ToLower(c.User), "team_id": s.cfg.TeamID},
		"api_app_id": "A0FAKE",
		"token":      "deprecated-verification-token",
		"container": map[string]any{
			"type": "message", "message_ts": c.MessageTS, "channel_id": c.Channel,
			"is_ephemeral": c.Ephemeral, "is_app_unfurl": false,
		},
		"trigger_id":   trig,
		"channel":      map[string]any{"id": c.Channel, "name": strings.ToLower(c.Channel)},
		"message":      map[string]any{"type": "message", "ts": c.MessageTS, "bot_id": s.cfg.BotID},
		"response_url": resp,
		"actions":      []any{action},
		"state":        map[string]any{"values": map[string]any{}},
	}
}

// PostClick sends a block_actions click to target.
func (s *Server) PostClick(ctx context.Context, target string, c Click) (*Response, error) {
	return s.PostInteraction(ctx, target, s.BlockActions(c))
}

// FindElement looks for the interactive element with actionID in a message and
// returns a Click for it (with its block id, value and type); the caller sets User
// and, for selects, Selected.
func (s *Server) FindElement(channel, ts, actionID string) (Click, bool) {
	m, ok := s.Message(channel, ts)
	if !ok || m.BlocksJSON == "" {
		return Click{}, false
	}
	c, ok := findElement([]byte(m.BlocksJSON), actionID)
	if !ok {
		return Click{}, false
	}
	c.Channel, c.MessageTS = channel, ts
	return c, true
}

// FindElementIn looks for an element in any blocks JSON (an ephemeral message).
func FindElementIn(blocksJSON, actionID string) (Click, bool) {
	return findElement([]byte(blocksJSON), actionID)
}

func findElement(blocksJSON []byte, actionID string) (Click, bool) {
	var blocks []obj
	if json.Unmarshal(blocksJSON, &blocks) != nil {
		return Click{}, false
	}
	for _, b := range blocks {
		var els []any
		if e, ok := b["elements"].([]any); ok {
			els = e
		}
		if a, ok := b["accessory"].(obj); ok {
			els = append(els, a)
		}
		for _, e := range els {
			eo, ok := e.(obj)
			if !ok || eo["action_id"] != actionID {
				continue
			}
			c := Click{ActionID: actionID}
			c.BlockID, _ = b["block_id"].(string)
			c.Value, _ = eo["value"].(string)
			c.Type, _ = eo["type"].(string)
			return c, true
		}
	}
	return Click{}, false
}

// ViewSubmission builds a view_submission payload for a view the bot opened, with
// state values given as block id → action id → value. A value is a plain string
// for text inputs; for selects pass Selected{Value}.
func (s *Server) ViewSubmission(user, viewID string, values map[string]map[string]any) (map[string]any, error) {
	s.mu.Lock()
	v, ok := s.views[viewID]
	var trig string
	if ok {
		trig = s.issueTrigger(user)
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("slackfake: no view %s", viewID)
	}
	state := map[string]any{}
	for bid, acts := range values {
		m := map[string]any{}
		for aid, val := range acts {
			switch x := val.(type) {
			case Selected:
				m[aid] = map[string]any{"type": "static_select", "selected_option": map[string]any{
					"text": map[string]any{"type": "plain_text", "text": string(x)}, "value": string(x)}}
			case SelectedUser:
				m[aid] = map[string]any{"type": "users_select", "selected_user": string(x)}
			default:
				m[aid] = map[string]any{"type": "plain_text_input", "value": fmt.Sprint(x)}
			}
		}
		state[bid] = m
	}
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": s.cfg.TeamID, "domain": "fake"},
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": s.cfg.TeamID},
		"api_app_id": "A0FAKE",
		"token":      "deprecated-verification-token",
		"trigger_id": trig,
		"view": map[string]any{
			"id": v.ID, "team_id": s.cfg.TeamID, "type": "modal", "callback_id": v.CallbackID,
			"private_metadata": v.PrivateMetadata, "hash": v.Hash, "state": map[string]any{"values": state},
		},
	}, nil
}

// Selected marks a static_select value in ViewSubmission state.
type Selected string

// SelectedUser marks a users_select value in ViewSubmission state.
type SelectedUser string

// PostViewSubmission submits a view the bot opened.
func (s *Server) PostViewSubmission(ctx context.Context, target, user, viewID string, values map[string]map[string]any) (*Response, error) {
	p, err := s.ViewSubmission(user, viewID, values)
	if err != nil {
		return nil, err
	}
	return s.PostInteraction(ctx, target, p)
}

// PostEvent sends an Events API body (JSON) to target, signed; retryNum > 0 adds
// the X-Slack-Retry-Num and X-Slack-Retry-Reason headers of a redelivery.
func (s *Server) PostEvent(ctx context.Context, target string, body []byte, retryNum int) (*Response, error) {
	req, err := s.SignedRequest(ctx, target, "application/json", body, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if retryNum > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retryNum))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	return Do(nil, req)
}

// issueResponseURL creates a response URL for one payload. Called with s.mu held.
func (s *Server) issueResponseURL(channel, user, messageTS string) string {
	id := s.nextID("r")
	s.responses[id] = &responseURL{channel: channel, user: user, messageTS: messageTS, issued: s.cfg.Now()}
	return s.srv.URL + "/response/" + id
}

// serveResponseURL answers a POST to a response URL like Slack: an ephemeral reply
// (the default), an in-channel message, or a replacement/deletion of the original.
func (s *Server) serveResponseURL(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimPrefix(req.URL.Path, "/response/")
	var msg slack.Msg
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &msg)
	}
	var raw struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(body, &raw)
	blocksJSON := ""
	if len(raw.Blocks) > 0 && string(raw.Blocks) != "null" {
		blocksJSON = string(raw.Blocks)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.responses[id]
	code := ""
	switch {
	case err != nil:
		code = "invalid_payload"
	case !ok:
		code = "no_such_url"
	case r.uses >= responseUses || s.cfg.Now().Sub(r.issued) > responseTTL:
		code = "expired_url"
	case blocksJSON != "" && ValidateMessageBlocks([]byte(blocksJSON)) != nil:
		code = "invalid_blocks"
	}
	call := Call{Method: "response_url", At: s.cfg.Now(), JSON: json.RawMessage(body), Status: http.StatusOK, Error: code}
	if code != "" {
		call.Status = http.StatusNotFound
		s.calls = append(s.calls, call)
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
		return
	}
	r.uses++
	s.calls = append(s.calls, call)
	switch {
	case msg.ReplaceOriginal || msg.DeleteOriginal:
		if m, ok := s.byTS[r.channel+"/"+r.messageTS]; ok && msg.ReplaceOriginal {
			m.Text, m.BlocksJSON = msg.Text, blocksJSON
			m.Blocks = msg.Blocks
			m.Updates++
		}
	case msg.ResponseType == slack.ResponseTypeInChannel:
		m := &msgState{Message: Message{Channel: r.channel, TS: s.nextTS(), User: s.cfg.BotUserID, Text: msg.Text,
			BlocksJSON: blocksJSON, Blocks: msg.Blocks, PostedAt: s.cfg.Now()}}
		s.channels[r.channel] = append(s.channels[r.channel], m)
		s.byTS[r.channel+"/"+m.TS] = m
		s.trim(r.channel)
	default:
		s.ephemerals = append(s.ephemerals, Ephemeral{Channel: r.channel, User: r.user, Text: msg.Text,
			BlocksJSON: blocksJSON, Blocks: msg.Blocks, Via: "response_url", At: s.cfg.Now()})
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}
