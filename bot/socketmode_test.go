package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/orderbot/orderbot"
)

type recordingAcker struct {
	mu   sync.Mutex
	acks []ackRecord
}

type ackRecord struct {
	envelope string
	payload  []any
}

func (r *recordingAcker) Ack(req socketmode.Request, payload ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, ackRecord{envelope: req.EnvelopeID, payload: payload})
	return nil
}

func TestSocketModeUsesTheSameDispatch(t *testing.T) {
	h := newHarness(t, nil)
	tk := h.open(anomaly(orderbot.PaymentUnrecorded, "9401"))[0]
	ctx := context.Background()
	acker := &recordingAcker{}

	// A slash command is acked with the same usage reply as over HTTP.
	h.bot.handleSocketEvent(ctx, socketmode.Event{
		Type:    socketmode.EventTypeSlashCommand,
		Data:    slack.SlashCommand{TeamID: "T0FAKE", UserID: "U0ALICE", ChannelID: chFinance, Command: "/ob", Text: "nonsense"},
		Request: &socketmode.Request{EnvelopeID: "env-1"},
	}, acker)
	// A Claim click is acked empty and applied after the ack.
	ic := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U0ALICE"}, Team: slack.Team{ID: "T0FAKE"},
		Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: chFinance}}}}
	ic.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: actClaim, BlockID: "ob|" + tk.ID + "|v1|a", Value: actionValue(tk)}}
	h.bot.handleSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic,
		Request: &socketmode.Request{EnvelopeID: "env-2"}}, acker)
	// A Resolve submission with a bad code is acked with the form errors.
	sub := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U0ALICE"}, Team: slack.Team{ID: "T0FAKE"}}
	sub.View.CallbackID = callbackResolve
	meta, _ := json.Marshal(resolveMeta{Ticket: tk.ID, Version: 1, Kind: string(tk.Kind)})
	sub.View.PrivateMetadata = string(meta)
	sub.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{blockCode: {actionCode: {SelectedOption: slack.OptionBlockObject{Value: "bogus"}}}}}
	h.bot.handleSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: sub,
		Request: &socketmode.Request{EnvelopeID: "env-3"}}, acker)
	// An event is acked, then handled once per event id.
	raw := json.RawMessage(`{"type":"event_callback","team_id":"T0FAKE","event_id":"EvSock1","event":{"type":"app_mention"}}`)
	for i := 0; i < 2; i++ {
		h.bot.handleSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeEventsAPI,
			Request: &socketmode.Request{EnvelopeID: "env-ev", Payload: raw, RetryAttempt: i}}, acker)
	}

	if len(acker.acks) != 5 {
		t.Fatalf("%d acks, want 5", len(acker.acks))
	}
	b, _ := json.Marshal(acker.acks[0].payload[0])
	if !strings.Contains(string(b), "I don't know `nonsense`") {
		t.Fatalf("command ack = %s", b)
	}
	if len(acker.acks[1].payload) != 0 {
		t.Fatalf("click ack carries %v", acker.acks[1].payload)
	}
	b, _ = json.Marshal(acker.acks[2].payload[0])
	if !strings.Contains(string(b), `"response_action":"errors"`) {
		t.Fatalf("submission ack = %s", b)
	}
	if n := h.bot.eventsHandled.Load(); n != 1 {
		t.Fatalf("event handled %d times", n)
	}
	waitFor(t, 5*time.Second, "the claim", func() bool {
		got, _ := h.st.Get(ctx, tk.ID)
		return got.Owner == "U0ALICE"
	})
}
