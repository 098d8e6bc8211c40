package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// Slack's documented signing example (docs.slack.dev/authentication/verifying-requests-from-slack).
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = 1531420618
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSignMatchesSlacksExample(t *testing.T) {
	if got := slackfake.Sign(docSecret, docTimestamp, []byte(docBody)); got != docSignature {
		t.Fatalf("Sign = %s, want %s", got, docSignature)
	}
	// slack-go's verifier accepts what Sign produces (with a fresh timestamp).
	now := time.Now().Unix()
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", itoa(now))
	h.Set("X-Slack-Signature", slackfake.Sign(docSecret, now, []byte(docBody)))
	sv, err := slack.NewSecretsVerifier(h, docSecret)
	if err != nil {
		t.Fatal(err)
	}
	sv.Write([]byte(docBody))
	if err := sv.Ensure(); err != nil {
		t.Fatalf("verifier rejected the fake's signature: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func newClient(f *slackfake.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(f.APIURL()))
}

func TestTokenIsChecked(t *testing.T) {
	f := slackfake.New(slackfake.Config{})
	defer f.Close()
	ctx := context.Background()
	tests := []struct {
		name, token, wantErr string
	}{
		{"right token", f.Token(), ""},
		{"wrong token", "xoxb-wrong", "invalid_auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := newClient(f, tc.token).PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("post: %v", err)
			}
			if tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("post error = %v, want %s", err, tc.wantErr)
			}
		})
	}
	// JSON methods carry the token as a Bearer header.
	_, err := newClient(f, "xoxb-wrong").OpenViewContext(ctx, "x", slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "t", false, false)})
	if err == nil || err.Error() != "invalid_auth" {
		t.Fatalf("views.open with a wrong bearer token: %v", err)
	}
	if n := len(f.Messages("C1")); n != 1 {
		t.Fatalf("channel has %d messages, want 1", n)
	}
}

func TestFaultsAnd429(t *testing.T) {
	f := slackfake.New(slackfake.Config{})
	defer f.Close()
	c := newClient(f, f.Token())
	ctx := context.Background()
	f.FailNext("chat.postMessage", slackfake.Fault{Status: 429, RetryAfter: 2 * time.Second})
	f.FailNext("chat.postMessage", slackfake.Fault{Status: 503, Times: 2})
	_, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("first post: %v, want a rate limit of 2s", err)
	}
	for i := 0; i < 2; i++ {
		_, _, err = c.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != 503 {
			t.Fatalf("post %d: %v, want 503", i+2, err)
		}
	}
	if _, _, err = c.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false)); err != nil {
		t.Fatalf("post after faults: %v", err)
	}
	if got := f.CallCount("chat.postMessage"); got != 1 {
		t.Fatalf("accepted posts = %d, want 1", got)
	}
	if got := len(f.Calls("chat.postMessage")); got != 4 {
		t.Fatalf("recorded posts = %d, want 4", got)
	}
}

func TestThreadsUpdatesAndHistory(t *testing.T) {
	f := slackfake.New(slackfake.Config{Channels: []string{"C1"}})
	defer f.Close()
	c := newClient(f, f.Token())
	ctx := context.Background()
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "card", false, false), nil, nil))
	md := slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "orderbot_post", EventPayload: map[string]any{"key": "card:T1"}})
	_, ts, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false), blocks, md)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.PostMessageContext(ctx, "C2", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("post to unknown channel: %v", err)
	}
	// Text without blocks drops the blocks (Slack's documented behaviour).
	if _, _, _, err := c.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("v2", false)); err != nil {
		t.Fatal(err)
	}
	m, ok := f.Message("C1", ts)
	if !ok || m.Updates != 1 || len(m.Replies) != 3 || m.BlocksJSON != "" || m.Text != "v2" {
		t.Fatalf("message = %+v", m)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, "C1", "1.000001", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Fatalf("update of a missing message: %v", err)
	}
	// Metadata comes back only with include_all_metadata.
	for _, all := range []bool{false, true} {
		r, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: all})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) != 1 || r.Messages[0].Metadata.EventType != "orderbot_post" {
			t.Fatalf("history = %+v", r.Messages)
		}
		_, hasKey := r.Messages[0].Metadata.EventPayload["key"]
		if hasKey != all {
			t.Fatalf("include_all_metadata=%v: payload key present = %v", all, hasKey)
		}
	}
	msgs, _, _, err := c.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: ts})
	if err != nil || len(msgs) != 4 {
		t.Fatalf("replies = %d, %v", len(msgs), err)
	}
}

func TestBlockKitLimitsAreEnforced(t *testing.T) {
	f := slackfake.New(slackfake.Config{})
	defer f.Close()
	c := newClient(f, f.Token())
	ctx := context.Background()
	sec := func(s string) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", s, false, false), nil, nil)
	}
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = sec("x")
	}
	tests := []struct {
		name   string
		blocks []slack.Block
		ok     bool
	}{
		{"fine", []slack.Block{sec("ok")}, true},
		{"51 blocks", many, false},
		{"3001-char section", []slack.Block{sec(strings.Repeat("é", 3001))}, false},
		{"3000-char section", []slack.Block{sec(strings.Repeat("é", 3000))}, true},
		{"151-char header", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", strings.Repeat("h", 151), false, false))}, false},
		{"76-char button", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("x", "v", slack.NewTextBlockObject("plain_text", strings.Repeat("b", 76), false, false)))}, false},
		{"11 fields", []slack.Block{slack.NewSectionBlock(nil, func() []*slack.TextBlockObject {
			out := make([]*slack.TextBlockObject, 11)
			for i := range out {
				out[i] = slack.NewTextBlockObject("mrkdwn", "f", false, false)
			}
			return out
		}(), nil)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("t", false), slack.MsgOptionBlocks(tc.blocks...))
			if tc.ok != (err == nil) {
				t.Fatalf("post err = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && err.Error() != "invalid_blocks" {
				t.Fatalf("error %v, want invalid_blocks", err)
			}
		})
	}
}

func TestTriggersExpireAndWorkOnce(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	f := slackfake.New(slackfake.Config{Now: clock})
	defer f.Close()
	c := newClient(f, f.Token())
	ctx := context.Background()
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Title", false, false)}
	p := f.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "a", BlockID: "b"})
	trig := p["trigger_id"].(string)
	if _, err := c.OpenViewContext(ctx, trig, view); err != nil {
		t.Fatalf("first open: %v", err)
	}
	if _, err := c.OpenViewContext(ctx, trig, view); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Fatalf("second open: %v", err)
	}
	p = f.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: "a", BlockID: "b"})
	now = now.Add(4 * time.Second)
	if _, err := c.OpenViewContext(ctx, p["trigger_id"].(string), view); err == nil || err.Error() != "expired_trigger_id" {
		t.Fatalf("late open: %v", err)
	}
	if len(f.Views()) != 1 {
		t.Fatalf("views = %d, want 1", len(f.Views()))
	}
}

func TestResponseURL(t *testing.T) {
	f := slackfake.New(slackfake.Config{})
	defer f.Close()
	c := newClient(f, f.Token())
	ctx := context.Background()
	_, ts, _ := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("orig", false))
	p := f.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: ts, ActionID: "a", BlockID: "b"})
	url := p["response_url"].(string)
	for i := 0; i < 5; i++ {
		if _, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("only you", false)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	if _, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false)); err == nil {
		t.Fatal("a sixth use of a response URL worked")
	}
	if got := len(f.Ephemerals("U1")); got != 5 {
		t.Fatalf("ephemerals = %d, want 5", got)
	}
	p = f.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: ts, ActionID: "a", BlockID: "b"})
	if _, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(p["response_url"].(string)), slack.MsgOptionText("replaced", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Message("C1", ts); m.Text != "replaced" || m.Updates != 1 {
		t.Fatalf("original = %+v", m)
	}
}

func TestSignedRequestsReachTheTarget(t *testing.T) {
	f := slackfake.New(slackfake.Config{SigningSecret: "s3cret"})
	defer f.Close()
	var got http.Header
	var form string
	target := newEcho(t, func(r *http.Request, body []byte) { got, form = r.Header, string(body) })
	resp, err := f.PostCommand(context.Background(), target, slackfake.Command{User: "U1", Channel: "C1", Text: "help"})
	if err != nil || resp.Status != 200 {
		t.Fatalf("post: %v %v", resp, err)
	}
	sv, err := slack.NewSecretsVerifier(got, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	sv.Write([]byte(form))
	if err := sv.Ensure(); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if !strings.Contains(form, "command=%2Fob") || !strings.Contains(form, "text=help") {
		t.Fatalf("form = %s", form)
	}
}

func newEcho(t *testing.T, f func(r *http.Request, body []byte)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f(r, b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
