package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/orderbot/orderbot/bot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/lookup"
	"github.com/orderbot/orderbot/tickets"
)

// workers are the long-running consumers started by serve.
type workers struct {
	stops []func(context.Context)
}

func (w *workers) stop(ctx context.Context) {
	for _, s := range w.stops {
		s(ctx)
	}
}

// buildBot creates the Slack bot when Slack is configured (nil otherwise).
func (a *app) buildBot() (*bot.Bot, error) {
	c := a.cfg
	if !c.Slack.Configured() {
		return nil, nil
	}
	depts := make(map[string]bot.Department, len(c.Departments))
	for name, d := range c.Departments {
		depts[name] = bot.Department{Channel: d.Channel, Leads: d.Leads, AllowedUsers: d.AllowedUsers, AllowedGroups: d.AllowedGroups}
	}
	steps := make([]bot.EscalationStep, 0, len(c.SLA.Escalation))
	for _, s := range c.SLA.Escalation {
		action := bot.EscalateMentionLeads
		if s.Action == config.EscalatePostEscalationChannel {
			action = bot.EscalatePostChannel
		}
		steps = append(steps, bot.EscalationStep{After: s.After.D(), Action: action})
	}
	dir := &lookup.Directory{Store: a.store, Sources: orderSources(a.poller.Sources)}
	for _, s := range a.poller.Sources {
		dir.Links = append(dir.Links, s.Links...)
		if s.Tracking != nil {
			dir.Trackers = append(dir.Trackers, s.Tracking)
		}
	}
	opener := &tickets.Manual{Engine: a.engine, Orders: dir}
	return bot.New(bot.Options{
		BotToken: c.Slack.BotToken.Value(), SigningSecret: c.Slack.SigningSecret.Value(), AppToken: c.Slack.AppToken.Value(),
		APIURL: c.Slack.APIURL, TeamID: c.Slack.TeamID, Departments: depts, EscalationChannel: c.Slack.EscalationChannel, Command: c.Slack.Command,
		PostsPerSecond: c.Slack.PostsPerSecond, UpdatesPerMinute: c.Slack.UpdatesPerMinute, StormThreshold: c.Tickets.StormThreshold, StormWindow: c.Tickets.StormWindow.D(),
		Escalation: steps, WarnBefore: c.SLA.WarnBefore.D(), Kinds: c.KindSettings(), Location: c.Location(),
		Clock: a.now, Logger: a.log /* the bot adds component=slack itself */, MaxBodyBytes: c.Server.MaxBodyBytes,
		Knowledge: &tickets.Knowledge{Store: a.store}, Stats: a.analytics, Notices: a.notifier,
	}, a.store, opener, dir)
}

// mountSlack adds the Slack endpoints when Slack is configured over HTTP.
func (a *app) mountSlack(mux *http.ServeMux) {
	if a.bot == nil {
		return
	}
	h := a.bot.Handler()
	mux.Handle("POST /slack/interactions", h)
	mux.Handle("POST /slack/commands", h)
	mux.Handle("POST /slack/events", h)
}

// connectSlack asks Slack who the bot token is and logs which workspace and
// bot user serve runs as, or exactly what is wrong. Slack being unreachable
// is logged, not fatal (/readyz reports it and requests are refused until
// it answers); a token of another workspace than slack.team_id is fatal.
func (a *app) connectSlack(ctx context.Context) error {
	if a.bot == nil {
		a.log.Info("slack: not configured (slack.bot_token is empty); tickets are kept in Redis but not posted")
		return nil
	}
	id, err := a.bot.Connect(ctx)
	bot.LogConnection(a.log.With("component", "slack"), id, err)
	if err != nil && id.TeamID != "" {
		return fmt.Errorf("slack.team_id: %w", err)
	}
	return nil
}

// slackReady checks Slack when it is configured.
func (a *app) slackReady(ctx context.Context) error {
	if a.bot == nil {
		return nil
	}
	return a.bot.Ready(ctx)
}

// startWorkers starts the Slack poster and click workers (and Socket Mode when an app token is
// set) and the customer notifier; they stop when serve shuts down.
func (a *app) startWorkers(ctx context.Context) (*workers, error) {
	w := &workers{}
	if a.bot == nil && a.notifier == nil {
		return w, nil
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(wctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("worker stopped", "worker", name, "err", err)
			}
		}()
	}
	if a.notifier != nil {
		run("notifier", a.notifier.Run)
	}
	if a.bot != nil {
		run("slack-poster", a.bot.Poster().Run)
		run("slack-clicks", a.bot.RunClicks)
		if a.cfg.Slack.SocketMode() {
			run("slack-socket-mode", a.bot.RunSocketMode)
		}
	}
	w.stops = append(w.stops, func(sctx context.Context) {
		cancel()
		wg.Wait()
		if a.bot != nil {
			a.bot.Close(sctx)
		}
	})
	return w, nil
}
