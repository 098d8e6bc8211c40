package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// The handlers below run with s.mu held. Each returns the response fields, or a
// Slack error code.

const (
	maxTextChars  = 4000 // chat.update answers msg_too_long above this; we hold postMessage to it too
	triggerTTL    = 3 * time.Second
	responseTTL   = 30 * time.Minute
	responseUses  = 5
	historyMax    = 999
	historyDefLim = 100
)

func (s *Server) authTest(r *apiRequest) (map[string]any, string) {
	return map[string]any{
		"url": "https://fake.slack.test/", "team": "Fake", "user": "orderbot",
		"team_id": s.cfg.TeamID, "user_id": s.cfg.BotUserID, "bot_id": s.cfg.BotID,
	}, ""
}

// decodeMessageParts validates text, blocks and metadata of a chat.* call.
func decodeMessageParts(r *apiRequest) (text, blocksJSON string, blocks slack.Blocks, md *slack.SlackMetadata, code string) {
	text = r.get("text")
	if utf8.RuneCountInString(text) > maxTextChars {
		return "", "", slack.Blocks{}, nil, "msg_too_long"
	}
	if r.has("blocks") {
		blocksJSON = r.get("blocks")
		if err := ValidateMessageBlocks([]byte(blocksJSON)); err != nil {
			return "", "", slack.Blocks{}, nil, "invalid_blocks"
		}
		if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
			return "", "", slack.Blocks{}, nil, "invalid_blocks"
		}
		r.blocks = &blocks
	}
	if r.has("metadata") {
		var m slack.SlackMetadata
		if err := json.Unmarshal([]byte(r.get("metadata")), &m); err != nil || m.EventType == "" {
			return "", "", slack.Blocks{}, nil, "invalid_metadata_format"
		}
		md = &m
	}
	return text, blocksJSON, blocks, md, ""
}

func (s *Server) postMessage(r *apiRequest) (map[string]any, string) {
	ch := r.get("channel")
	if !s.channelExists(ch) {
		return nil, "channel_not_found"
	}
	text, blocksJSON, blocks, md, code := decodeMessageParts(r)
	if code != "" {
		return nil, code
	}
	if text == "" && len(blocks.BlockSet) == 0 {
		return nil, "no_text"
	}
	m := &msgState{Message: Message{
		Channel: ch, TS: s.nextTS(), User: s.cfg.BotUserID, Text: text,
		BlocksJSON: blocksJSON, Blocks: blocks, Metadata: md, PostedAt: s.cfg.Now(),
	}}
	if parent := r.get("thread_ts"); parent != "" {
		p, ok := s.byTS[ch+"/"+parent]
		if !ok {
			return nil, "thread_not_found"
		}
		if p.ThreadTS != "" { // a reply to a reply lands in the same thread
			p = s.byTS[ch+"/"+p.ThreadTS]
		}
		m.ThreadTS = p.TS
		p.replies = append(p.replies, m)
	} else {
		s.channels[ch] = append(s.channels[ch], m)
	}
	s.byTS[ch+"/"+m.TS] = m
	s.trim(ch)
	return map[string]any{"channel": ch, "ts": m.TS, "message": s.wire(m, true)}, ""
}

func (s *Server) update(r *apiRequest) (map[string]any, string) {
	ch, ts := r.get("channel"), r.get("ts")
	m, ok := s.byTS[ch+"/"+ts]
	if !ok {
		return nil, "message_not_found"
	}
	text, blocksJSON, blocks, md, code := decodeMessageParts(r)
	if code != "" {
		return nil, code
	}
	// Slack: without blocks, the old blocks survive only when no text is given.
	switch {
	case r.has("blocks"):
		m.BlocksJSON, m.Blocks = blocksJSON, blocks
	case r.has("text"):
		m.BlocksJSON, m.Blocks = "", slack.Blocks{}
	}
	if r.has("text") {
		m.Text = text
	}
	if md != nil {
		m.Metadata = md
	} else if r.has("metadata") {
		m.Metadata = nil
	}
	m.Updates++
	return map[string]any{"channel": ch, "ts": ts, "text": m.Text}, ""
}

func (s *Server) postEphemeral(r *apiRequest) (map[string]any, string) {
	ch, user := r.get("channel"), r.get("user")
	if !s.channelExists(ch) {
		return nil, "channel_not_found"
	}
	if user == "" {
		return nil, "user_not_found"
	}
	text, blocksJSON, blocks, _, code := decodeMessageParts(r)
	if code != "" {
		return nil, code
	}
	if text == "" && len(blocks.BlockSet) == 0 {
		return nil, "no_text"
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{
		Channel: ch, User: user, Text: text, BlocksJSON: blocksJSON, Blocks: blocks,
		Via: "chat.postEphemeral", At: s.cfg.Now(),
	})
	return map[string]any{"message_ts": s.nextTS()}, ""
}

// wire renders a message as the Web API returns it.
func (s *Server) wire(m *msgState, withMetadata bool) map[string]any {
	w := map[string]any{
		"type": "message", "user": m.User, "bot_id": s.cfg.BotID, "text": m.Text, "ts": m.TS,
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if len(m.replies) > 0 {
		w["thread_ts"] = m.TS
		w["reply_count"] = len(m.replies)
	}
	if m.BlocksJSON != "" {
		w["blocks"] = json.RawMessage(m.BlocksJSON)
	}
	if m.Metadata != nil {
		if withMetadata {
			w["metadata"] = m.Metadata
		} else {
			w["metadata"] = map[string]any{"event_type": m.Metadata.EventType}
		}
	}
	return w
}

// tsBounds applies conversations.history's oldest/latest/inclusive filters.
func tsBounds(r *apiRequest) func(ts string) bool {
	oldest, _ := strconv.ParseFloat(r.get("oldest"), 64)
	latest := 0.0
	if l := r.get("latest"); l != "" {
		latest, _ = strconv.ParseFloat(l, 64)
	}
	inclusive := r.get("inclusive") == "1" || r.get("inclusive") == "true"
	return func(ts string) bool {
		v, _ := strconv.ParseFloat(ts, 64)
		if inclusive {
			return v >= oldest && (latest == 0 || v <= latest)
		}
		return v > oldest && (latest == 0 || v < latest)
	}
}

func pageArgs(r *apiRequest) (limit, offset int) {
	limit, _ = strconv.Atoi(r.get("limit"))
	if limit <= 0 {
		limit = historyDefLim
	}
	if limit > historyMax {
		limit = historyMax
	}
	if c := r.get("cursor"); strings.HasPrefix(c, "off:") {
		offset, _ = strconv.Atoi(strings.TrimPrefix(c, "off:"))
	}
	return limit, offset
}

func (s *Server) page(r *apiRequest, msgs []*msgState) map[string]any {
	limit, offset := pageArgs(r)
	full := r.get("include_all_metadata") == "1" || r.get("include_all_metadata") == "true"
	out := []map[string]any{}
	end := offset + limit
	if end > len(msgs) {
		end = len(msgs)
	}
	for i := offset; i < end; i++ {
		out = append(out, s.wire(msgs[i], full))
	}
	resp := map[string]any{"messages": out, "has_more": end < len(msgs)}
	if end < len(msgs) {
		resp["response_metadata"] = map[string]any{"next_cursor": fmt.Sprintf("off:%d", end)}
	}
	return resp
}

func (s *Server) history(r *apiRequest) (map[string]any, string) {
	ch := r.get("channel")
	if !s.channelExists(ch) {
		return nil, "channel_not_found"
	}
	in := tsBounds(r)
	var msgs []*msgState
	all := s.channels[ch]
	for i := len(all) - 1; i >= 0; i-- { // newest first
		if in(all[i].TS) {
			msgs = append(msgs, all[i])
		}
	}
	return s.page(r, msgs), ""
}

func (s *Server) replies(r *apiRequest) (map[string]any, string) {
	ch, ts := r.get("channel"), r.get("ts")
	p, ok := s.byTS[ch+"/"+ts]
	if !ok {
		return nil, "thread_not_found"
	}
	if p.ThreadTS != "" {
		p = s.byTS[ch+"/"+p.ThreadTS]
	}
	in := tsBounds(r)
	msgs := []*msgState{p}
	for _, m := range p.replies {
		if in(m.TS) {
			msgs = append(msgs, m)
		}
	}
	return s.page(r, msgs), ""
}

func (s *Server) usersInfo(r *apiRequest) (map[string]any, string) {
	id := r.get("user")
	u, ok := s.cfg.Users[id]
	if !ok {
		if !strings.HasPrefix(id, "U") && !strings.HasPrefix(id, "W") {
			return nil, "user_not_found"
		}
		u = User{ID: id, Name: strings.ToLower(id), RealName: "User " + id, TZ: "UTC"}
	}
	if u.ID == "" {
		u.ID = id
	}
	return map[string]any{"user": map[string]any{
		"id": u.ID, "team_id": s.cfg.TeamID, "name": u.Name, "real_name": u.RealName,
		"tz": u.TZ, "is_bot": u.IsBot, "profile": map[string]any{"real_name": u.RealName, "display_name": u.Name},
	}}, ""
}

func (s *Server) userGroupsUsersList(r *apiRequest) (map[string]any, string) {
	members, ok := s.userGroups[r.get("usergroup")]
	if !ok {
		return nil, "no_such_subteam"
	}
	return map[string]any{"users": append([]string{}, members...)}, ""
}

// issueTrigger creates a trigger id that views.open accepts once within three
// seconds. Called with s.mu held.
func (s *Server) issueTrigger(user string) string {
	id := fmt.Sprintf("%d.%s.%s", s.cfg.Now().UnixNano(), strings.TrimPrefix(s.cfg.TeamID, "T"), s.nextID("tr"))
	s.triggers[id] = &trigger{user: user, issued: s.cfg.Now()}
	return id
}

func (s *Server) viewsOpen(r *apiRequest) (map[string]any, string) {
	tid := r.get("trigger_id")
	t, ok := s.triggers[tid]
	switch {
	case tid == "" || !ok:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case s.cfg.Now().Sub(t.issued) > triggerTTL:
		return nil, "expired_trigger_id"
	}
	raw := r.json["view"]
	if err := ValidateView(raw); err != nil {
		return nil, "invalid_arguments"
	}
	var v slack.ModalViewRequest
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, "invalid_arguments"
	}
	t.used = true
	view := &View{
		ID: s.nextID("V"), TriggerID: tid, User: t.user, CallbackID: v.CallbackID,
		PrivateMetadata: v.PrivateMetadata, Hash: s.nextID("h"), JSON: string(raw),
	}
	s.views[view.ID] = view
	return map[string]any{"view": map[string]any{"id": view.ID, "hash": view.Hash, "callback_id": view.CallbackID}}, ""
}

func (s *Server) viewsUpdate(r *apiRequest) (map[string]any, string) {
	view, ok := s.views[r.get("view_id")]
	if !ok {
		return nil, "not_found"
	}
	if h := r.get("hash"); h != "" && h != view.Hash {
		return nil, "hash_conflict"
	}
	raw := r.json["view"]
	if err := ValidateView(raw); err != nil {
		return nil, "invalid_arguments"
	}
	var v slack.ModalViewRequest
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, "invalid_arguments"
	}
	view.JSON, view.CallbackID, view.PrivateMetadata = string(raw), v.CallbackID, v.PrivateMetadata
	view.Hash = s.nextID("h")
	view.Updates++
	return map[string]any{"view": map[string]any{"id": view.ID, "hash": view.Hash}}, ""
}
