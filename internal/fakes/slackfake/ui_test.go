package slackfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// fakeBot is the bot's side of the page tests: it checks every request's
// signature as the real handler does and answers with a canned body.
type fakeBot struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []botRequest
	answer func(path string, form url.Values) string
}

type botRequest struct {
	Path        string
	ContentType string
	Form        url.Values
}

func (b *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sv, err := slack.NewSecretsVerifier(r.Header, b.secret)
	if err == nil {
		sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	form, _ := url.ParseQuery(string(body))
	b.mu.Lock()
	b.got = append(b.got, botRequest{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Form: form})
	b.mu.Unlock()
	if b.answer != nil {
		if a := b.answer(r.URL.Path, form); a != "" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, a)
		}
	}
}

func (b *fakeBot) last() botRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) == 0 {
		b.t.Fatal("the bot received nothing")
	}
	return b.got[len(b.got)-1]
}

type pageEnv struct {
	fake *slackfake.Server
	bot  *fakeBot
	page *httptest.Server
	api  *slack.Client
}

func newPage(t *testing.T, opts slackfake.UIOptions) *pageEnv {
	t.Helper()
	f := slackfake.New(slackfake.Config{Channels: []string{"C1", "C2"}})
	t.Cleanup(f.Close)
	bot := &fakeBot{t: t, secret: f.SigningSecret()}
	botSrv := httptest.NewServer(bot)
	t.Cleanup(botSrv.Close)
	opts.BotURL = botSrv.URL
	page := httptest.NewServer(slackfake.NewUI(f, opts))
	t.Cleanup(page.Close)
	return &pageEnv{fake: f, bot: bot, page: page, api: newClient(f, f.Token())}
}

func (e *pageEnv) postJSON(t *testing.T, path string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(e.page.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

type state struct {
	User     struct{ ID, Name string }
	Users    []struct{ ID, Name string }
	Channels []struct {
		ID, Name string
		Messages int
	}
	Channel  string
	Messages []struct {
		TS      string
		Text    string
		Blocks  json.RawMessage
		Updates int
		Replies []struct{ TS, Text string }
	}
	Ephemerals []struct{ Text, Via string }
	View       *struct {
		ID     string
		View   json.RawMessage
		Errors map[string]string
	}
	NoticesConfigured bool `json:"notices_configured"`
	Notices           []slackfake.Notice
}

func (e *pageEnv) state(t *testing.T, channel string) state {
	t.Helper()
	resp, err := http.Get(e.page.URL + "/api/state?channel=" + url.QueryEscape(channel))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st state
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// openView has the "bot" open a modal for user with a trigger the fake issued.
func (e *pageEnv) openView(t *testing.T, user string) string {
	t.Helper()
	p := e.fake.BlockActions(slackfake.Click{User: user, Channel: "C1", MessageTS: "1.1", ActionID: "a", BlockID: "b"})
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject("plain_text", "Pick", false, false), "code",
		slack.NewOptionBlockObject("refunded", slack.NewTextBlockObject("plain_text", "Refunded", false, false), nil))
	view := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "ob.resolve",
		Title:  slack.NewTextBlockObject("plain_text", "Resolve T1", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Resolve", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("code", slack.NewTextBlockObject("plain_text", "Resolution", false, false), nil, sel),
			slack.NewInputBlock("note", slack.NewTextBlockObject("plain_text", "Note", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "note").WithMultiline(true)),
		}}}
	v, err := e.api.OpenViewContext(context.Background(), p["trigger_id"].(string), view)
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func TestUIStateShowsWhatTheBotSent(t *testing.T) {
	env := newPage(t, slackfake.UIOptions{ChannelNames: map[string]string{"C1": "finance"},
		Users: []slackfake.User{{ID: "U0LEAD", RealName: "A Lead"}}})
	ctx := context.Background()
	_, ts, err := env.api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card <script>", false),
		slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "T1 · unpaid", false, false))))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.api.PostMessageContext(ctx, "C1", slack.MsgOptionText("claimed", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"U0DEMO", "U0OTHER"} {
		if _, err := env.api.PostEphemeralContext(ctx, "C1", user, slack.MsgOptionText("only "+user, false)); err != nil {
			t.Fatal(err)
		}
	}
	otherView := env.openView(t, "U0OTHER")
	myView := env.openView(t, "U0DEMO")

	st := env.state(t, "C1")
	if st.User.ID != "U0DEMO" || st.User.Name != "Demo User" || len(st.Users) != 2 {
		t.Fatalf("user %+v users %+v", st.User, st.Users)
	}
	if len(st.Channels) != 2 || st.Channels[0].Name != "c2" || st.Channels[1].Name != "finance" || st.Channels[1].Messages != 1 {
		t.Fatalf("channels = %+v", st.Channels)
	}
	if len(st.Messages) != 1 || st.Messages[0].Text != "card <script>" || !strings.Contains(string(st.Messages[0].Blocks), "T1 · unpaid") {
		t.Fatalf("messages = %+v", st.Messages)
	}
	if r := st.Messages[0].Replies; len(r) != 1 || r[0].Text != "claimed" {
		t.Fatalf("replies = %+v", r)
	}
	if len(st.Ephemerals) != 1 || st.Ephemerals[0].Text != "only U0DEMO" {
		t.Fatalf("ephemerals = %+v (another user's must not show)", st.Ephemerals)
	}
	if st.View == nil || st.View.ID != myView || st.View.ID == otherView {
		t.Fatalf("view = %+v, want %s", st.View, myView)
	}
	if st.NoticesConfigured {
		t.Fatal("notices configured without a source")
	}
	if other := env.state(t, "C2"); len(other.Messages) != 0 || len(other.Ephemerals) != 0 {
		t.Fatalf("C2 shows %+v", other)
	}
}

func TestUIForwardsSignedSlackRequests(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		botTo  string
		verify func(t *testing.T, form url.Values)
	}{
		{"button", "/api/action",
			map[string]any{"channel": "C1", "ts": "1.5", "action_id": "ob.claim", "block_id": "ob|T1|v1|a", "type": "button", "value": "T1|1"},
			"/slack/interactions", func(t *testing.T, form url.Values) {
				var p slack.InteractionCallback
				if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
					t.Fatal(err)
				}
				a := p.ActionCallback.BlockActions
				if p.Type != slack.InteractionTypeBlockActions || p.User.ID != "U0DEMO" || p.Container.ChannelID != "C1" ||
					p.Container.MessageTs != "1.5" || len(a) != 1 || a[0].ActionID != "ob.claim" || a[0].Value != "T1|1" ||
					p.TriggerID == "" || p.ResponseURL == "" {
					t.Fatalf("payload = %s", form.Get("payload"))
				}
			}},
		{"static select", "/api/action",
			map[string]any{"channel": "C1", "ts": "1.5", "action_id": "ob.snooze", "block_id": "ob|T1|v1|a", "type": "static_select", "selected": "2h"},
			"/slack/interactions", func(t *testing.T, form url.Values) {
				var p slack.InteractionCallback
				_ = json.Unmarshal([]byte(form.Get("payload")), &p)
				if a := p.ActionCallback.BlockActions; len(a) != 1 || a[0].SelectedOption.Value != "2h" || a[0].BlockID != "ob|T1|v1|a" {
					t.Fatalf("payload = %s", form.Get("payload"))
				}
			}},
		{"users select", "/api/action",
			map[string]any{"channel": "C1", "ts": "1.5", "action_id": "ob.reassign", "type": "users_select", "selected": "U0LEAD"},
			"/slack/interactions", func(t *testing.T, form url.Values) {
				var p slack.InteractionCallback
				_ = json.Unmarshal([]byte(form.Get("payload")), &p)
				if a := p.ActionCallback.BlockActions; len(a) != 1 || a[0].SelectedUser != "U0LEAD" {
					t.Fatalf("payload = %s", form.Get("payload"))
				}
			}},
		{"slash command", "/api/command", map[string]any{"channel": "C2", "text": "tickets open"},
			"/slack/commands", func(t *testing.T, form url.Values) {
				if form.Get("command") != "/ob" || form.Get("text") != "tickets open" || form.Get("user_id") != "U0DEMO" ||
					form.Get("channel_id") != "C2" || form.Get("response_url") == "" || form.Get("trigger_id") == "" {
					t.Fatalf("form = %v", form)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPage(t, slackfake.UIOptions{})
			status, out := env.postJSON(t, tc.path, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d %v", status, out)
			}
			got := env.bot.last()
			if got.Path != tc.botTo || got.ContentType != "application/x-www-form-urlencoded" {
				t.Fatalf("bot got %s %s", got.Path, got.ContentType)
			}
			tc.verify(t, got.Form)
		})
	}
}

func TestUIModalSubmission(t *testing.T) {
	tests := []struct {
		name      string
		answer    string
		wantOpen  bool
		wantError string
	}{
		{"accepted closes the modal", "", false, ""},
		{"clear closes the modal", `{"response_action":"clear"}`, false, ""},
		{"errors keep it open", `{"response_action":"errors","errors":{"code":"Choose one of the listed resolutions."}}`, true, "Choose one of the listed resolutions."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPage(t, slackfake.UIOptions{})
			env.bot.answer = func(string, url.Values) string { return tc.answer }
			id := env.openView(t, "U0DEMO")
			status, out := env.postJSON(t, "/api/submit", map[string]any{"view_id": id,
				"values": map[string]any{"code": map[string]any{"code": map[string]any{"type": "static_select", "value": "refunded"}}}})
			if status != http.StatusOK {
				t.Fatalf("status %d %v", status, out)
			}
			var p slack.InteractionCallback
			if err := json.Unmarshal([]byte(env.bot.last().Form.Get("payload")), &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != slack.InteractionTypeViewSubmission || p.View.ID != id || p.View.CallbackID != "ob.resolve" ||
				p.View.State.Values["code"]["code"].SelectedOption.Value != "refunded" {
				t.Fatalf("payload = %+v", p)
			}
			st := env.state(t, "C1")
			if (st.View != nil) != tc.wantOpen {
				t.Fatalf("view open = %v, want %v", st.View != nil, tc.wantOpen)
			}
			if tc.wantOpen && st.View.Errors["code"] != tc.wantError {
				t.Fatalf("errors = %v", st.View.Errors)
			}
		})
	}
}

func TestUICommandAckIsShown(t *testing.T) {
	tests := []struct {
		name, answer  string
		wantEphemeral string
		wantMessage   string
	}{
		{"ephemeral ack", `{"response_type":"ephemeral","text":"usage: /ob tickets"}`, "usage: /ob tickets", ""},
		{"in-channel ack", `{"response_type":"in_channel","text":"for everyone"}`, "", "for everyone"},
		{"empty ack", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPage(t, slackfake.UIOptions{})
			env.bot.answer = func(string, url.Values) string { return tc.answer }
			if status, out := env.postJSON(t, "/api/command", map[string]any{"channel": "C1", "text": "help"}); status != http.StatusOK {
				t.Fatalf("status %d %v", status, out)
			}
			st := env.state(t, "C1")
			gotE, gotM := "", ""
			if len(st.Ephemerals) > 0 {
				gotE = st.Ephemerals[0].Text
			}
			if len(st.Messages) > 0 {
				gotM = st.Messages[0].Text
			}
			if gotE != tc.wantEphemeral || gotM != tc.wantMessage {
				t.Fatalf("ephemeral %q message %q", gotE, gotM)
			}
		})
	}
}

func TestUIResponseURLReplyReachesThePage(t *testing.T) {
	env := newPage(t, slackfake.UIOptions{})
	// The bot answers the command later on its response URL, as orderbot does.
	env.bot.answer = func(path string, form url.Values) string {
		go func() {
			b, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "text": "3 open tickets"})
			resp, err := http.Post(form.Get("response_url"), "application/json", bytes.NewReader(b))
			if err == nil {
				resp.Body.Close()
			}
		}()
		return ""
	}
	env.postJSON(t, "/api/command", map[string]any{"channel": "C1", "text": "tickets open"})
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if st := env.state(t, "C1"); len(st.Ephemerals) == 1 && st.Ephemerals[0].Text == "3 open tickets" && st.Ephemerals[0].Via == "response_url" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the response_url reply never reached the page")
}

func TestUIRefusesBadRequests(t *testing.T) {
	env := newPage(t, slackfake.UIOptions{})
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		want        int
	}{
		{"form post from another site", "/api/action", "application/x-www-form-urlencoded", "channel=C1&action_id=ob.claim&type=button", http.StatusUnsupportedMediaType},
		{"text/plain post", "/api/command", "text/plain", `{"channel":"C1","text":"help"}`, http.StatusUnsupportedMediaType},
		{"malformed JSON", "/api/action", "application/json", `{`, http.StatusBadRequest},
		{"unknown element", "/api/action", "application/json", `{"channel":"C1","action_id":"x","type":"datepicker"}`, http.StatusBadRequest},
		{"no channel", "/api/command", "application/json", `{"text":"help"}`, http.StatusBadRequest},
		{"unknown view", "/api/submit", "application/json", `{"view_id":"V404","values":{}}`, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(env.page.URL+tc.path, tc.contentType, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	env.bot.mu.Lock()
	defer env.bot.mu.Unlock()
	if len(env.bot.got) != 0 {
		t.Fatalf("refused requests reached the bot: %+v", env.bot.got)
	}
}

func TestUIServesThePageWithAStrictPolicy(t *testing.T) {
	env := newPage(t, slackfake.UIOptions{})
	tests := []struct{ path, wantType, wantBody string }{
		{"/", "text/html", `<script src="ui.js">`},
		{"/ui.js", "javascript", "textContent"},
		{"/ui.css", "text/css", ".msg"},
	}
	for _, tc := range tests {
		resp, err := http.Get(env.page.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.wantBody) {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("%s: CSP %q", tc.path, csp)
		}
	}
	if strings.Contains(mustGet(t, env.page.URL+"/ui.js"), ".innerHTML") {
		t.Fatal("ui.js uses innerHTML; render through the escaping DOM builders")
	}
}

func mustGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestUINoticesTab(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env := newPage(t, slackfake.UIOptions{Notices: func() []slackfake.Notice {
		return []slackfake.Notice{
			{Medium: "sms", To: "+86 138****0000", Body: "older", At: at},
			{Medium: "email", To: "c***@example.com", Subject: "Your order", Body: "newer", At: at.Add(time.Minute)},
		}
	}})
	st := env.state(t, "")
	if !st.NoticesConfigured || len(st.Notices) != 2 || st.Notices[0].Body != "newer" {
		t.Fatalf("notices = %v %+v", st.NoticesConfigured, st.Notices)
	}
}

func TestUIShowsTheNewestMessages(t *testing.T) {
	simulated := time.Date(2026, 5, 4, 9, 15, 0, 0, time.UTC)
	env := newPage(t, slackfake.UIOptions{Now: func() time.Time { return simulated }, Speed: 10})
	ctx := context.Background()
	for i := 0; i < 105; i++ {
		if _, _, err := env.api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strconv.Itoa(i), false)); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		Older    int
		Messages []struct{ Text string }
		Now      time.Time
		Speed    float64
	}
	get := func(query string) page {
		t.Helper()
		resp, err := http.Get(env.page.URL + "/api/state?channel=C1" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st page
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := get("")
	if st.Older != 5 || len(st.Messages) != 100 || st.Messages[0].Text != "5" || st.Messages[99].Text != "104" {
		t.Fatalf("older %d, %d messages from %q", st.Older, len(st.Messages), st.Messages[0].Text)
	}
	if !st.Now.Equal(simulated) || st.Speed != 10 {
		t.Fatalf("page clock %s ×%g, want %s ×10", st.Now, st.Speed, simulated)
	}
	// "Load older" asks for more: the whole history is there to scroll back to.
	if st := get("&show=300"); st.Older != 0 || len(st.Messages) != 105 || st.Messages[0].Text != "0" {
		t.Fatalf("show=300: older %d, %d messages from %q", st.Older, len(st.Messages), st.Messages[0].Text)
	}
}

// TestHistoryIsBounded: a channel keeps its newest MaxMessages top-level
// messages; older ones and their threads are gone, as with a retention policy.
func TestHistoryIsBounded(t *testing.T) {
	s := slackfake.New(slackfake.Config{MaxMessages: 3})
	defer s.Close()
	api := slack.New(s.Token(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()
	var first string
	for i := 0; i < 5; i++ {
		_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strconv.Itoa(i), false))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = ts
		}
	}
	msgs := s.Messages("C1")
	if len(msgs) != 3 || msgs[0].Text != "2" {
		t.Fatalf("%d messages kept, first %q", len(msgs), msgs[0].Text)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("late reply", false), slack.MsgOptionTS(first)); err == nil {
		t.Fatal("a reply to a dropped message was accepted")
	}
}

func TestUIRefusesForeignHosts(t *testing.T) {
	env := newPage(t, slackfake.UIOptions{})
	tests := []struct {
		host string
		want int
	}{
		{"", http.StatusOK}, // the request's own 127.0.0.1:port
		{"localhost:8081", http.StatusOK},
		{"[::1]:8081", http.StatusOK},
		{"evil.example", http.StatusForbidden},
		{"evil.example:8081", http.StatusForbidden},
		{"192.0.2.1:8081", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, env.page.URL+"/api/state", nil)
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
