package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// eventEnvelope is the outer Events API body. It is decoded by hand rather
// than with slackevents.ParseEvent, which rejects a whole event when any inner
// block is malformed; the bot needs only these fields.
type eventEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	TeamID    string `json:"team_id"`
	// EnterpriseID is set for workspaces of an Enterprise Grid organisation.
	EnterpriseID string `json:"enterprise_id"`
	Event        struct {
		Type string `json:"type"`
	} `json:"event"`
	MinuteRateLimited int64 `json:"minute_rate_limited"`
}

// eventDedupTTL outlasts Slack's redelivery schedule (immediately, +1 min, +5 min).
const eventDedupTTL = time.Hour

// handleEvent answers one Events API request: the url_verification challenge,
// or an event callback, handled once per event id however often Slack
// redelivers it (x-slack-retry-num > 0 marks a redelivery).
func (b *Bot) handleEvent(ctx context.Context, body []byte, retryNum int) (int, any) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		b.log.Warn("malformed slack event", slog.String("error", err.Error()))
		return http.StatusBadRequest, nil
	}
	switch env.Type {
	case "url_verification":
		return http.StatusOK, map[string]string{"challenge": env.Challenge}
	case "app_rate_limited":
		b.log.Warn("slack is rate limiting our event subscriptions", slog.Int64("minute", env.MinuteRateLimited))
		return http.StatusOK, nil
	case "event_callback":
	default:
		return http.StatusOK, nil
	}
	if err := b.checkWorkspace(ctx, env.TeamID, env.EnterpriseID); err != nil {
		return refuseStatus(err), nil
	}
	if env.EventID == "" {
		return http.StatusBadRequest, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	first, err := b.st.FirstSlackDelivery(ctx, env.EventID, eventDedupTTL)
	if err != nil {
		// Without the de-dup record we cannot tell a redelivery apart; answer
		// 500 so Slack tries again later rather than risk handling it twice.
		b.log.Warn("slack event de-dup failed", slog.String("error", err.Error()))
		return http.StatusServiceUnavailable, nil
	}
	if !first {
		b.log.Debug("duplicate slack event ignored", slog.String("event_id", env.EventID), slog.Int("retry", retryNum))
		return http.StatusOK, nil
	}
	b.onEvent(env)
	return http.StatusOK, nil
}

// onEvent handles an event the first time it arrives. orderbot works through
// interactions and commands; events are logged so a subscription added in the
// app manifest is visible.
func (b *Bot) onEvent(env eventEnvelope) {
	b.eventsHandled.Add(1)
	b.log.Info("slack event", slog.String("type", env.Event.Type), slog.String("event_id", env.EventID))
}
