package bot

import (
	"encoding/json"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// FuzzInteractionPayload feeds arbitrary request bodies through everything the
// handler does with an interaction before any I/O: form and JSON decoding, card
// action decoding and Resolve modal validation. None of it may panic, and what
// it accepts must be well formed.
func FuzzInteractionPayload(f *testing.F) {
	fake := slackfake.New(slackfake.Config{})
	defer fake.Close()
	seed := func(v any) {
		b, _ := json.Marshal(v)
		f.Add([]byte(url.Values{"payload": {string(b)}}.Encode()))
	}
	seed(fake.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: actClaim, BlockID: "ob|T1|v1|a", Value: "T1|1"}))
	seed(fake.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: actSnooze, BlockID: "ob|T1|v1|a", Type: "static_select", Selected: "2h"}))
	seed(fake.BlockActions(slackfake.Click{User: "U1", Channel: "C1", MessageTS: "1.1", ActionID: actReassign, BlockID: "ob|T9|v4|a", Type: "users_select", Selected: "U2"}))
	seed(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U1"}, "view": map[string]any{
		"callback_id": callbackResolve, "private_metadata": `{"t":"T1","v":1,"k":"payment.duplicate"}`,
		"state": map[string]any{"values": map[string]any{blockCode: map[string]any{actionCode: map[string]any{
			"type": "static_select", "selected_option": map[string]any{"value": "refunded"}}}}}}})
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%22block_id%22%3A1%7D%5D%7D"))
	f.Add([]byte("payload="))
	f.Add([]byte("%%%"))
	f.Fuzz(func(t *testing.T, body []byte) {
		ic, err := parseInteraction(body)
		if err != nil {
			return
		}
		for _, a := range ic.ActionCallback.BlockActions {
			c, ok := parseClick(a)
			if !ok {
				continue
			}
			if !ticketIDPattern.MatchString(c.ticket) {
				t.Fatalf("accepted a click on ticket %q", c.ticket)
			}
			if c.action == actReassign && !userIDPattern.MatchString(c.user) {
				t.Fatalf("accepted a reassign to %q", c.user)
			}
		}
		if ic.Type == slack.InteractionTypeViewSubmission {
			meta, code, note, problem := readResolve(&ic)
			if problem == "" && (!ticketIDPattern.MatchString(meta.Ticket) || code == "") {
				t.Fatalf("accepted a submission for %q with code %q", meta.Ticket, code)
			}
			_ = note
			if !utf8.ValidString(problem) {
				t.Fatal("problem text is not UTF-8")
			}
		}
	})
}
