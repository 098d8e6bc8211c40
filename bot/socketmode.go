package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/orderbot/orderbot"
)

// socketAcker is the part of socketmode.Client the dispatch needs; tests give
// their own.
type socketAcker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// RunSocketMode receives interactions, slash commands and events over a Socket
// Mode connection (Options.AppToken) instead of the HTTP endpoints, for
// development behind a firewall. It runs the same dispatch as the Handler and
// acks each envelope before the work starts. It returns when ctx ends, or with
// an error when Slack refuses the app token.
func (b *Bot) RunSocketMode(ctx context.Context) error {
	if b.opts.AppToken == "" {
		return orderbot.Errorf(orderbot.KindInvalid, "bot.socket_mode", "Socket Mode needs an app-level token (xapp-…)")
	}
	api := slack.New(b.opts.BotToken, slack.OptionAppLevelToken(b.opts.AppToken),
		slack.OptionAPIURL(b.opts.APIURL), slack.OptionHTTPClient(b.opts.HTTPClient))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return orderbot.Wrap(orderbot.KindUnauthorized, "bot.socket_mode", err, "the Socket Mode connection ended")
		case evt := <-client.Events:
			b.handleSocketEvent(ctx, evt, client)
		}
	}
}

// handleSocketEvent acks one envelope with the same answer the HTTP handler
// would give in its response body.
func (b *Bot) handleSocketEvent(ctx context.Context, evt socketmode.Event, acker socketAcker) {
	ack := func(payload any) {
		if evt.Request == nil {
			return
		}
		var err error
		if payload == nil {
			err = acker.Ack(*evt.Request)
		} else {
			err = acker.Ack(*evt.Request, payload)
		}
		if err != nil {
			b.log.Warn("socket mode ack failed", slog.String("error", err.Error()))
		}
	}
	switch evt.Type {
	case socketmode.EventTypeInteractive:
		ic, ok := evt.Data.(slack.InteractionCallback)
		if !ok || b.checkWorkspace(ctx, ic.Team.ID, ic.Enterprise.ID) != nil {
			ack(nil)
			return
		}
		resp := b.dispatchInteraction(&ic)
		if nq, ok := resp.(notQueued); ok {
			// Unacknowledged, Slack delivers the envelope again.
			b.log.Error("slack click left unacknowledged", slog.String("error", nq.Error()))
			return
		}
		ack(resp)
	case socketmode.EventTypeSlashCommand:
		c, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			ack(nil)
			return
		}
		if err := b.checkWorkspace(ctx, c.TeamID, c.EnterpriseID); err != nil {
			ack(ephemeralReply(note(refuseText(err))))
			return
		}
		ack(b.dispatchCommand(c))
	case socketmode.EventTypeEventsAPI:
		// Ack first: a late ack makes Slack deliver the event again.
		ack(nil)
		if evt.Request != nil {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			b.handleEvent(ctx, evt.Request.Payload, evt.Request.RetryAttempt)
		}
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app token for Socket Mode")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		b.log.Warn("socket mode connection trouble", slog.String("type", string(evt.Type)))
	}
}
