package slackfake

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Conversation describes a channel of the fake workspace beyond its id, for
// conversations.info and conversations.list.
type Conversation struct {
	Name     string // default: the id in lower case
	Private  bool
	Archived bool
	// NotMember: the bot has not been invited (is_member false). Posting
	// there still works in the fake; Slack answers not_in_channel.
	NotMember bool
}

// methodScopes are the bot token scopes Slack requires per method, for the
// methods the fake serves. Enforced only when Config.Scopes is set.
var methodScopes = map[string][]string{
	"chat.postMessage":      {"chat:write"},
	"chat.update":           {"chat:write"},
	"chat.postEphemeral":    {"chat:write"},
	"conversations.history": {"channels:history", "groups:history"},
	"conversations.replies": {"channels:history", "groups:history"},
	"conversations.info":    {"channels:read", "groups:read"},
	"conversations.list":    {"channels:read", "groups:read"},
	"usergroups.users.list": {"usergroups:read"},
	"users.info":            {"users:read"},
}

// scopeHeader is the X-OAuth-Scopes header Slack sends with every answer to
// a token-authenticated call: the scopes granted to the token.
func (s *Server) scopeHeader(w http.ResponseWriter) {
	if s.cfg.Scopes != nil {
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.cfg.Scopes, ","))
		return
	}
	w.Header().Set("X-OAuth-Scopes", strings.Join(AllScopes(), ","))
}

// AllScopes lists every scope the fake knows a method needs, sorted: what a
// token that may call everything is granted.
func AllScopes() []string {
	seen := map[string]bool{"commands": true}
	for _, ss := range methodScopes {
		for _, s := range ss {
			seen[s] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// missingScope returns the scope a call lacks, or "" when the token may make
// it (or scopes are not enforced). Slack accepts any one of a method's scopes
// for conversations.* (public or private channels); the fake does the same.
func (s *Server) missingScope(method string) string {
	need, ok := methodScopes[method]
	if s.cfg.Scopes == nil || !ok {
		return ""
	}
	for _, n := range need {
		for _, g := range s.cfg.Scopes {
			if g == n {
				return ""
			}
		}
	}
	return strings.Join(need, ",")
}

// conversation returns what the fake knows of a channel id.
func (s *Server) conversation(id string) Conversation {
	c := s.cfg.Conversations[id]
	if c.Name == "" {
		c.Name = strings.ToLower(id)
	}
	return c
}

func (s *Server) conversationWire(id string) map[string]any {
	c := s.conversation(id)
	return map[string]any{
		"id": id, "name": c.Name, "is_channel": !c.Private, "is_group": false, "is_private": c.Private,
		"is_archived": c.Archived, "is_member": !c.NotMember, "context_team_id": s.cfg.TeamID,
	}
}

func (s *Server) conversationsInfo(r *apiRequest) (map[string]any, string) {
	ch := r.get("channel")
	if !s.channelExists(ch) {
		return nil, "channel_not_found"
	}
	// Slack hides a private channel from a bot that is not in it.
	if c := s.conversation(ch); c.Private && c.NotMember {
		return nil, "channel_not_found"
	}
	return map[string]any{"channel": s.conversationWire(ch)}, ""
}

// conversationsList pages through Config.Channels (or the channels that hold
// messages when none are configured), filtered by types and exclude_archived.
func (s *Server) conversationsList(r *apiRequest) (map[string]any, string) {
	types := r.get("types")
	if types == "" {
		types = "public_channel"
	}
	ids := append([]string(nil), s.cfg.Channels...)
	if len(ids) == 0 {
		for ch := range s.channels {
			ids = append(ids, ch)
		}
	}
	sort.Strings(ids)
	var match []string
	for _, id := range ids {
		c := s.conversation(id)
		switch {
		case c.Private && (!strings.Contains(types, "private_channel") || c.NotMember):
		case !c.Private && !strings.Contains(types, "public_channel"):
		case c.Archived && (r.get("exclude_archived") == "true" || r.get("exclude_archived") == "1"):
		default:
			match = append(match, id)
		}
	}
	limit, offset := pageArgs(r)
	end := min(offset+limit, len(match))
	out := []map[string]any{}
	for _, id := range match[min(offset, end):end] {
		out = append(out, s.conversationWire(id))
	}
	next := ""
	if end < len(match) {
		next = "off:" + strconv.Itoa(end)
	}
	return map[string]any{"channels": out, "response_metadata": map[string]any{"next_cursor": next}}, ""
}
