package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
)

// Identity is who the bot token says the bot is (auth.test): the workspace it
// belongs to and the bot user, plus the OAuth scopes Slack granted the token
// (the X-OAuth-Scopes header of the answer).
type Identity struct {
	URL          string
	Team         string
	TeamID       string
	EnterpriseID string
	User         string
	UserID       string
	BotID        string
	Scopes       []string
}

// workspace is the one Slack workspace whose requests the bot acts on. One
// signing secret signs the requests of every workspace an app is installed in,
// so a valid signature alone does not say the request came from ours.
type workspace struct {
	mu sync.Mutex
	id *Identity // from auth.test; nil until it answered

	lookup sync.Mutex // held by the one request-time lookup running
	failed time.Time  // when that lookup last failed (guarded by lookup)
}

// Connect asks Slack who the bot token belongs to (auth.test) and remembers the
// workspace, so requests from other workspaces can be refused. With
// Options.TeamID set, a token of another workspace is an error. serve calls it
// at start and logs the answer; requests arriving before it succeeded trigger
// the lookup themselves.
func (b *Bot) Connect(ctx context.Context) (Identity, error) {
	const op = "slack.auth.test"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := b.api.c.AuthTestContext(ctx)
	if err != nil {
		return Identity{}, classify(op, err).err
	}
	id := Identity{URL: r.URL, Team: r.Team, TeamID: r.TeamID, EnterpriseID: r.EnterpriseID,
		User: r.User, UserID: r.UserID, BotID: r.BotID, Scopes: parseScopes(r.Header.Get("X-OAuth-Scopes"))}
	if want := b.opts.TeamID; want != "" && id.TeamID != want {
		return id, orderbot.Errorf(orderbot.KindInvalid, op,
			"the bot token belongs to workspace %s (%s), not to slack.team_id %s", id.Team, id.TeamID, want)
	}
	b.ws.mu.Lock()
	b.ws.id = &id
	b.ws.mu.Unlock()
	return id, nil
}

// parseScopes splits Slack's comma-separated X-OAuth-Scopes header.
func parseScopes(h string) []string {
	var out []string
	for _, s := range strings.Split(h, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// errForeignWorkspace is the refusal of a request from another workspace.
var errForeignWorkspace = orderbot.Errorf(orderbot.KindUnauthorized, "slack.workspace", "the request comes from another Slack workspace")

// checkWorkspace refuses a request whose team (or enterprise) id is not the
// bot's workspace. The configured slack.team_id decides when set; otherwise
// the workspace auth.test named. While neither is known the request is refused
// (fail closed): the lookup is retried at most every few seconds.
func (b *Bot) checkWorkspace(ctx context.Context, teamID, enterpriseID string) error {
	want, wantEnt := b.opts.TeamID, ""
	id := b.identity()
	if id == nil && want == "" {
		id = b.lookupIdentity(ctx)
	}
	if id != nil {
		if want == "" {
			want = id.TeamID
		}
		wantEnt = id.EnterpriseID
	}
	switch {
	case want == "":
		return orderbot.Errorf(orderbot.KindTransient, "slack.workspace", "the bot does not know its Slack workspace yet")
	case teamID == want && (enterpriseID == "" || wantEnt == "" || enterpriseID == wantEnt):
		return nil
	}
	b.log.Warn("slack request from another workspace refused",
		slog.String("team_id", teamID), slog.String("enterprise_id", enterpriseID), slog.String("workspace", want))
	return errForeignWorkspace
}

// identity is the workspace auth.test named, or nil.
func (b *Bot) identity() *Identity {
	b.ws.mu.Lock()
	defer b.ws.mu.Unlock()
	return b.ws.id
}

// lookupIdentity runs auth.test for a request that arrived before Connect
// succeeded. Concurrent requests wait for one lookup; after a failure the next
// attempt waits a few seconds, so a Slack outage is not hammered per request.
func (b *Bot) lookupIdentity(ctx context.Context) *Identity {
	b.ws.lookup.Lock()
	defer b.ws.lookup.Unlock()
	if id := b.identity(); id != nil {
		return id
	}
	if !b.ws.failed.IsZero() && time.Since(b.ws.failed) < 5*time.Second {
		return nil
	}
	// Bounded well inside Slack's three-second ack.
	cctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	got, err := b.Connect(cctx)
	if err != nil {
		b.ws.failed = time.Now()
		b.log.Warn("slack workspace unknown; refusing requests until auth.test answers", slog.String("error", err.Error()))
		return nil
	}
	return &got
}

// refuseStatus is the HTTP status of a refused request: 403 for another
// workspace, 503 while our own is unknown (Slack may retry events then).
func refuseStatus(err error) int {
	if err == errForeignWorkspace {
		return http.StatusForbidden
	}
	return http.StatusServiceUnavailable
}

// refuseText is what the sender of a refused request is told.
func refuseText(err error) string {
	if err == errForeignWorkspace {
		return "This orderbot only answers requests from its own Slack workspace."
	}
	return "orderbot cannot reach Slack to check where this request comes from; try again shortly."
}

// String renders an identity for the startup log line.
func (id Identity) String() string {
	s := fmt.Sprintf("workspace %q (%s) as @%s (%s)", id.Team, id.TeamID, id.User, id.UserID)
	if id.EnterpriseID != "" {
		s += ", enterprise " + id.EnterpriseID
	}
	return s
}
