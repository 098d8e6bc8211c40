package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// A request signed with the app's secret but sent from another workspace (an
// app installed in several workspaces shares one signing secret) is refused
// before anything runs: the ticket, the outbox and Slack stay untouched.
func TestRequestsFromAnotherWorkspaceAreRefused(t *testing.T) {
	for _, configured := range []bool{false, true} {
		name := "workspace from auth.test"
		if configured {
			name = "workspace from slack.team_id"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) {
				if configured {
					o.TeamID = "T0FAKE"
				}
			})
			tk := h.open(anomaly(orderbot.PaymentUnrecorded, "8101"))[0]
			ctx := context.Background()
			claim := h.fake.BlockActions(slackfake.Click{User: "U0EVE", Channel: chFinance, MessageTS: "1.1",
				ActionID: actClaim, BlockID: "ob|" + tk.ID + "|v1|a", Value: actionValue(tk)})
			foreign := func(team, enterprise string) map[string]any {
				p := map[string]any{}
				for k, v := range claim {
					p[k] = v
				}
				p["team"] = map[string]any{"id": team, "domain": "other"}
				p["user"] = map[string]any{"id": "U0EVE", "team_id": team}
				if enterprise != "" {
					p["enterprise"] = map[string]any{"id": enterprise, "name": "Other Org"}
				}
				return p
			}
			before := h.outboxLen()
			target := h.srv.URL + PathInteractions
			for _, p := range []map[string]any{foreign("T0OTHER", ""), foreign("T0OTHER", "E0OTHER"), foreign("", "")} {
				resp, err := h.fake.PostInteraction(ctx, target, p)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != http.StatusForbidden {
					t.Fatalf("foreign claim: status %d, want 403 (%s)", resp.Status, resp.Body)
				}
			}
			form := h.fake.CommandForm(slackfake.Command{User: "U0EVE", Channel: chFinance, Text: "ticket " + tk.ID})
			form.Set("team_id", "T0OTHER")
			if resp, err := h.fake.PostForm(ctx, h.srv.URL+PathCommands, form); err != nil || resp.Status != http.StatusForbidden {
				t.Fatalf("foreign command: %+v %v", resp, err)
			}
			ev := []byte(`{"type":"event_callback","team_id":"T0OTHER","event_id":"EvForeign1","event":{"type":"app_mention"}}`)
			if resp, err := h.fake.PostEvent(ctx, h.srv.URL+PathEvents, ev, 0); err != nil || resp.Status != http.StatusForbidden {
				t.Fatalf("foreign event: %+v %v", resp, err)
			}
			// Over Socket Mode the same refusal: an empty ack, nothing run.
			acker := &recordingAcker{}
			ic := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U0EVE"},
				Team: slack.Team{ID: "T0OTHER"}}
			ic.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: actClaim, BlockID: "ob|" + tk.ID + "|v1|a", Value: actionValue(tk)}}
			h.bot.handleSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic,
				Request: &socketmode.Request{EnvelopeID: "env-foreign"}}, acker)
			if len(acker.acks) != 1 || len(acker.acks[0].payload) != 0 {
				t.Fatalf("socket mode acks = %+v", acker.acks)
			}
			h.bot.handleSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeSlashCommand,
				Data:    slack.SlashCommand{TeamID: "T0OTHER", UserID: "U0EVE", ChannelID: chFinance, Command: "/ob", Text: "ticket " + tk.ID},
				Request: &socketmode.Request{EnvelopeID: "env-foreign-cmd"}}, acker)
			if len(acker.acks) != 2 || !strings.Contains(toJSON(t, acker.acks[1].payload), "its own Slack workspace") {
				t.Fatalf("socket mode command ack = %+v", acker.acks)
			}

			// Refused synchronously, before any work was spawned: nothing can
			// still be running, so the state can be checked at once.
			after, err := h.st.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Version != tk.Version || after.Owner != "" {
				t.Fatalf("the ticket changed: %+v", after)
			}
			if h.outboxLen() != before {
				t.Fatal("refused requests wrote to the outbox")
			}
			for _, c := range h.fake.Calls("") {
				if c.Method != "auth.test" {
					t.Fatalf("refused requests called Slack: %s", c.Method)
				}
			}
			if h.bot.eventsHandled.Load() != 0 {
				t.Fatal("a foreign event was handled")
			}

			// The same claim from our workspace goes through.
			resp, err := h.fake.PostInteraction(ctx, target, claim)
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("own workspace: %+v %v", resp, err)
			}
			waitFor(t, 5*time.Second, "the claim", func() bool {
				got, _ := h.st.Get(ctx, tk.ID)
				return got.Owner == "U0EVE"
			})
		})
	}
}

// A bot token of another workspace than slack.team_id is a start-up error
// naming both.
func TestConnectRefusesATokenOfAnotherWorkspace(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.TeamID = "T0ELSEWHERE" })
	_, err := h.bot.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "T0FAKE") || !strings.Contains(err.Error(), "T0ELSEWHERE") {
		t.Fatalf("Connect = %v", err)
	}
	// And the bot still refuses the token's own workspace: slack.team_id decides.
	if err := h.bot.checkWorkspace(context.Background(), "T0FAKE", ""); err == nil {
		t.Fatal("a request from the token's workspace was accepted against slack.team_id")
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
