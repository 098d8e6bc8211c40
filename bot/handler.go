package bot

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Paths the Handler serves.
const (
	PathInteractions = "/slack/interactions"
	PathCommands     = "/slack/commands"
	PathEvents       = "/slack/events"
)

// Handler serves Slack's HTTP requests: POST /slack/interactions,
// /slack/commands and /slack/events. Every request is size-limited and its
// signature and timestamp are verified on the raw body before anything is
// parsed; a forged, stale or oversized request changes nothing. Valid requests
// are acknowledged at once and the work runs after the ack.
type Handler struct {
	b *Bot
}

// Handler returns the bot's HTTP handler.
func (b *Bot) Handler() *Handler { return &Handler{b: b} }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path != PathInteractions && path != PathCommands && path != PathEvents {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	switch path {
	case PathInteractions:
		h.interaction(w, r, body)
	case PathCommands:
		h.command(w, r, body)
	case PathEvents:
		h.event(w, r, body)
	}
}

// verified reads the body within MaxBodyBytes and checks Slack's signature and
// the five-minute timestamp window on the raw bytes. It writes the rejection
// itself and reports false when the request must go no further.
func (h *Handler) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	log := h.b.log
	r.Body = http.MaxBytesReader(w, r.Body, h.b.opts.MaxBodyBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			log.Warn("slack request too large", slog.String("path", r.URL.Path), slog.Int64("limit", mbe.Limit))
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, h.b.opts.SigningSecret)
	if err == nil {
		_, err = sv.Write(body)
	}
	if err == nil {
		err = sv.Ensure()
	}
	if err != nil {
		// The error names the reason (missing headers, expired timestamp, bad
		// signature) but never a signature or the secret.
		log.Warn("slack request rejected", slog.String("path", r.URL.Path), slog.String("reason", err.Error()))
		http.Error(w, "invalid Slack signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Write(b)
}

// parseInteraction decodes an interaction request body: form-encoded with one
// payload field holding JSON.
func parseInteraction(body []byte) (slack.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	payload := form.Get("payload")
	if payload == "" {
		return slack.InteractionCallback{}, errors.New("payload is empty")
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &ic); err != nil {
		return slack.InteractionCallback{}, err
	}
	return ic, nil
}

func (h *Handler) interaction(w http.ResponseWriter, r *http.Request, body []byte) {
	ic, err := parseInteraction(body)
	if err != nil {
		h.b.log.Warn("malformed slack interaction", slog.String("error", err.Error()))
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	if err := h.b.checkWorkspace(r.Context(), ic.Team.ID, ic.Enterprise.ID); err != nil {
		http.Error(w, refuseText(err), refuseStatus(err))
		return
	}
	resp := h.b.dispatchInteraction(&ic)
	if nq, ok := resp.(notQueued); ok {
		// Neither queued nor answered: a non-200 makes Slack show the user an
		// error rather than accept a click that will never happen.
		h.b.log.Error("slack click refused", slog.String("error", nq.Error()))
		http.Error(w, "orderbot is busy; try again", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, resp)
}

// parseCommand decodes a slash command body.
func parseCommand(body []byte) (slack.SlashCommand, bool, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, false, err
	}
	if form.Get("ssl_check") == "1" {
		return slack.SlashCommand{}, true, nil
	}
	c := slack.SlashCommand{
		TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"), EnterpriseID: form.Get("enterprise_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"), UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	if c.UserID == "" || c.Command == "" {
		return c, false, errors.New("slash command without user or command")
	}
	return c, false, nil
}

func (h *Handler) command(w http.ResponseWriter, r *http.Request, body []byte) {
	c, sslCheck, err := parseCommand(body)
	if sslCheck {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		h.b.log.Warn("malformed slash command", slog.String("error", err.Error()))
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	if err := h.b.checkWorkspace(r.Context(), c.TeamID, c.EnterpriseID); err != nil {
		http.Error(w, refuseText(err), refuseStatus(err))
		return
	}
	writeJSON(w, h.b.dispatchCommand(c))
}

func (h *Handler) event(w http.ResponseWriter, r *http.Request, body []byte) {
	retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	status, resp := h.b.handleEvent(r.Context(), body, retry)
	if status != http.StatusOK {
		if status < 500 {
			// A malformed request: Slack should not send it again as is.
			w.Header().Set("X-Slack-No-Retry", "1")
		}
		http.Error(w, strings.ToLower(http.StatusText(status)), status)
		return
	}
	writeJSON(w, resp)
}
