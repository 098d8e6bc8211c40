package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/slack-go/slack"
)

// Scope is an OAuth scope the bot token needs, and why.
type Scope struct {
	Name string
	Why  string
}

// RequiredScopes are the bot token scopes orderbot uses. The app manifests in
// deploy/slack request exactly these; `orderbot slack check` compares them
// with the scopes Slack granted.
var RequiredScopes = []Scope{
	{"chat:write", "post ticket cards, update them, reply in their threads and to the clicking user"},
	{"commands", "the slash command"},
	{"channels:read", "check the configured public channels and list them (`orderbot slack channels`)"},
	{"groups:read", "the same for private channels"},
	{"channels:history", "find cards posted before a crash again (conversations.history/replies) in public channels"},
	{"groups:history", "the same in private channels"},
	{"usergroups:read", "resolve departments' allowed_groups"},
}

// NamedID is an id from the configuration with the key that holds it, so a
// problem names the key to fix.
type NamedID struct {
	Key string
	ID  string
}

// CheckTargets are the channels and user groups the configuration names.
type CheckTargets struct {
	Channels   []NamedID
	UserGroups []NamedID
}

// CheckReport is the outcome of Check: who the token is and every problem
// found, each a sentence naming what to change.
type CheckReport struct {
	Identity Identity
	// Connected is false when auth.test failed; nothing else was checked then.
	Connected bool
	Problems  []string
	// Channels are the configured channels that exist, with their names.
	Channels []ChannelInfo
}

// ChannelInfo is a conversation as conversations.info / .list describe it.
type ChannelInfo struct {
	ID       string
	Name     string
	Private  bool
	Archived bool
	Member   bool
}

// checkAPI builds a Slack client from opts without a store: checks and
// listings must work before Redis is set up.
func checkAPI(opts Options) (*slackAPI, Options, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, o, err
	}
	return newSlackAPI(&o), o, nil
}

// Check verifies what serve needs from Slack: the token works (auth.test) and
// belongs to Options.TeamID when set; it was granted every RequiredScopes;
// each target channel exists, is not archived and has the bot as a member;
// each user group resolves. It returns an error only when opts are unusable.
func Check(ctx context.Context, opts Options, t CheckTargets) (*CheckReport, error) {
	api, o, err := checkAPI(opts)
	if err != nil {
		return nil, err
	}
	b := &Bot{opts: o, api: api, log: o.Logger}
	rep := &CheckReport{}
	id, err := b.Connect(ctx)
	rep.Identity = id
	if id.TeamID == "" {
		rep.Problems = append(rep.Problems, "auth.test failed: "+slackReason(err)+" (check slack.bot_token and slack.api_url)")
		return rep, nil
	}
	rep.Connected = true
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("slack.team_id: %s", slackReason(err)))
	}
	granted := map[string]bool{}
	for _, s := range id.Scopes {
		granted[s] = true
	}
	for _, s := range RequiredScopes {
		if !granted[s.Name] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("the bot token lacks the scope %s (needed to %s): add it under OAuth & Permissions → Bot Token Scopes and reinstall the app", s.Name, s.Why))
		}
	}
	seen := map[string]bool{}
	for _, c := range t.Channels {
		if c.ID == "" || seen[c.Key] {
			continue
		}
		seen[c.Key] = true
		ch, err := b.channelInfo(ctx, c.ID)
		switch {
		case err != nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: channel %s: %s", c.Key, c.ID, channelReason(err)))
			continue
		case ch.Archived:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: channel #%s (%s) is archived", c.Key, ch.Name, ch.ID))
		case !ch.Member:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the bot is not a member of #%s (%s): type /invite @%s in that channel", c.Key, ch.Name, ch.ID, id.User))
		}
		rep.Channels = append(rep.Channels, ch)
	}
	for _, g := range t.UserGroups {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := b.api.c.GetUserGroupMembersContext(cctx, g.ID)
		cancel()
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: user group %s: %s", g.Key, g.ID, slackReason(err)))
		}
	}
	return rep, nil
}

func (b *Bot) channelInfo(ctx context.Context, id string) (ChannelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ch, err := b.api.c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		return ChannelInfo{}, err
	}
	return toChannelInfo(ch), nil
}

func toChannelInfo(ch *slack.Channel) ChannelInfo {
	return ChannelInfo{ID: ch.ID, Name: ch.Name, Private: ch.IsPrivate, Archived: ch.IsArchived, Member: ch.IsMember}
}

// ListChannels lists the workspace's unarchived public channels and the
// private channels the bot is in, sorted by name, so an operator can copy
// their ids into the configuration.
func ListChannels(ctx context.Context, opts Options) ([]ChannelInfo, error) {
	api, _, err := checkAPI(opts)
	if err != nil {
		return nil, err
	}
	var out []ChannelInfo
	cursor := ""
	for page := 0; page < 1000; page++ {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		chans, next, err := api.c.GetConversationsContext(cctx, &slack.GetConversationsParameters{
			Cursor: cursor, ExcludeArchived: true, Limit: 200, Types: []string{"public_channel", "private_channel"}})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %s", slackReason(err))
		}
		for i := range chans {
			out = append(out, toChannelInfo(&chans[i]))
		}
		if next == "" {
			break
		}
		cursor = next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// slackReason turns a Slack error into a short explanation for an operator.
func slackReason(err error) string {
	if err == nil {
		return ""
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed":
			return se.Err + ": Slack does not accept the bot token"
		case "token_revoked", "account_inactive":
			return se.Err + ": the token was revoked or the app uninstalled; reinstall it and copy the new token"
		case "missing_scope":
			return fmt.Sprintf("missing_scope: the token lacks %s", se.Needed)
		case "no_such_subteam":
			return "no_such_subteam: no such user group (ids start with S; find them in the group's profile)"
		}
		return se.Err
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Sprintf("Slack answered HTTP %d", sc.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Slack did not answer in time"
	}
	return err.Error()
}

// channelReason explains a failed conversations.info.
func channelReason(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "channel_not_found" {
		return "channel_not_found: no such channel, or a private channel the bot was not invited to (invite it, or use `orderbot slack channels` to find the id)"
	}
	return slackReason(err)
}

// LogConnection logs which workspace and bot user the token connected as, or
// exactly what is wrong, once at start.
func LogConnection(log *slog.Logger, id Identity, err error) {
	if err != nil {
		log.Error("slack: not connected; requests will be refused until auth.test succeeds", slog.String("reason", slackReason(err)))
		return
	}
	log.Info("slack: connected", slog.String("workspace", id.Team), slog.String("team_id", id.TeamID),
		slog.String("bot_user", id.User), slog.String("bot_user_id", id.UserID), slog.String("url", id.URL))
	var missing []string
	granted := map[string]bool{}
	for _, s := range id.Scopes {
		granted[s] = true
	}
	for _, s := range RequiredScopes {
		if !granted[s.Name] {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) > 0 && len(id.Scopes) > 0 {
		log.Warn("slack: the bot token lacks scopes; run `orderbot slack check`", slog.Any("missing", missing))
	}
}
