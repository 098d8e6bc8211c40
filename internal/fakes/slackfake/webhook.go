package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Incoming webhooks: POST /hooks/<channel> with a JSON message (text, blocks,
// attachments), answered like Slack with 200 and the body "ok". Orderbot does
// not use them; they let tools that speak only webhooks (Prometheus
// Alertmanager's Slack receiver with api_url) post to the same fake, so their
// delivery rate can be compared with the bot's on one sink. A webhook message
// is recorded in the channel like a posted one and counted as a call of method
// "webhook".

// WebhookURL is the incoming-webhook URL that posts to channel.
func (s *Server) WebhookURL(channel string) string { return s.srv.URL + "/hooks/" + channel }

func (s *Server) serveWebhook(w http.ResponseWriter, req *http.Request) {
	ch := strings.TrimPrefix(req.URL.Path, "/hooks/")
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var msg slack.WebhookMessage
	if err == nil {
		err = json.Unmarshal(body, &msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: "webhook", At: s.cfg.Now(), JSON: json.RawMessage(body), Status: http.StatusOK}
	switch {
	case req.Method != http.MethodPost:
		call.Status, call.Error = http.StatusMethodNotAllowed, "invalid_method"
	case err != nil:
		call.Status, call.Error = http.StatusBadRequest, "invalid_payload"
	case ch == "" || !s.channelExists(ch):
		call.Status, call.Error = http.StatusNotFound, "channel_not_found"
	case msg.Text == "" && len(msg.Attachments) == 0 && (msg.Blocks == nil || len(msg.Blocks.BlockSet) == 0):
		call.Status, call.Error = http.StatusBadRequest, "no_text"
	}
	s.calls = append(s.calls, call)
	if call.Error != "" {
		w.WriteHeader(call.Status)
		io.WriteString(w, call.Error)
		return
	}
	text := msg.Text
	if text == "" && len(msg.Attachments) > 0 {
		text = msg.Attachments[0].Fallback
		if text == "" {
			text = msg.Attachments[0].Title
		}
	}
	m := &msgState{Message: Message{Channel: ch, TS: s.nextTS(), User: s.cfg.BotUserID, Text: text, PostedAt: s.cfg.Now()}}
	s.channels[ch] = append(s.channels[ch], m)
	s.byTS[ch+"/"+m.TS] = m
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

// WebhookCount counts webhook messages accepted since the fake started, and
// when the last one came.
func (s *Server) WebhookCount() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, last := 0, time.Time{}
	for i := range s.calls {
		if c := &s.calls[i]; c.Method == "webhook" && c.Error == "" {
			n++
			last = c.At
		}
	}
	return n, last
}
