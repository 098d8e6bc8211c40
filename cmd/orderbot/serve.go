package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/dashboard"
	"github.com/orderbot/orderbot/jobs"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--config FILE]", `Serves the Slack endpoints (POST /slack/commands, /slack/interactions, /slack/events),
GET /healthz, /readyz and /metrics; runs one poll job per enabled source on its
schedule, the SLA sweeper, the Slack poster and the customer notifier. Needs a Redis
(redis.url or REDIS_URL). Stops gracefully on SIGTERM or Ctrl-C.`, stderr)
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	cfg, a, err := openApp(ctx, *cfgPath, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr %s: %w", cfg.Server.Addr, err)
	}
	return a.serve(ctx, ln)
}

// serve runs the HTTP endpoints, the schedules and the workers until ctx ends,
// then shuts down gracefully within server.shutdown_timeout.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	log := a.log
	if err := a.connectSlack(ctx); err != nil {
		return err
	}
	sched, err := a.scheduler()
	if err != nil {
		return err
	}
	workers, err := a.startWorkers(ctx)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.ready(rctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	if d := a.cfg.Dashboard; d.Enabled {
		h := dashboard.Handler(dashboard.Options{Reports: a.analytics, Location: a.cfg.Location(), Now: a.now,
			Token: d.Token.Value(), TrustedHeader: d.TrustedHeader, Logger: a.log.With("component", "dashboard")})
		mux.Handle("GET "+dashboard.PathPage, h)
		mux.Handle("GET "+dashboard.PathCSV, h)
	}
	a.mountSlack(mux)

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sched.Start()
	log.Info("orderbot serving", "addr", ln.Addr().String(), "sources", sourceNames(a.poller.Sources), "version", version)

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.Server.ShutdownTimeout.D())
	defer cancel()
	srv.Shutdown(sctx)
	sched.Stop(sctx)
	workers.stop(sctx)
	return nil
}

// ready reports whether the process can do its work: Redis answers and, when
// Slack is configured, Slack answers.
func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return a.slackReady(ctx)
}

// scheduler registers one poll job per enabled source, the SLA sweeper, the
// daily digest, spike alerts and oversell forecasts (when Slack and
// slack.digest_channel are set) and the hourly retention job.
func (a *app) scheduler() (*jobs.Scheduler, error) {
	host, _ := os.Hostname()
	s := jobs.NewScheduler(jobs.SchedulerOptions{
		Coordinator: a.store, Holder: fmt.Sprintf("%s/%d", host, os.Getpid()),
		Location: a.cfg.Location(), Logger: a.log, Metrics: a.metrics,
	})
	for _, src := range a.poller.Sources {
		name := src.Name
		if err := s.Add(jobs.Job{Name: "poll:" + name, Spec: a.schedules[name], Run: func(ctx context.Context) error {
			_, err := a.poller.Poll(ctx, name)
			return err
		}}); err != nil {
			return nil, err
		}
	}
	sweep := fmt.Sprintf("@every %s", a.cfg.SLA.SweepEvery.D())
	if err := s.Add(jobs.Job{Name: "sla", Spec: sweep, Run: func(ctx context.Context) error {
		_, err := a.sweeper.Sweep(ctx)
		return err
	}}); err != nil {
		return nil, err
	}
	if a.bot != nil && a.cfg.Slack.DigestChannel != "" {
		at, _ := a.cfg.Slack.DigestAt() // validated by config
		digest := &jobs.Digest{Store: a.store, Model: a.analytics, Poster: a.bot, Channel: a.cfg.Slack.DigestChannel,
			At: at, Location: a.cfg.Location(), Holder: fmt.Sprintf("%s/%d", host, os.Getpid()), Now: a.now, Log: a.log}
		// Every minute, so the digest goes out at its time and a deployment
		// that was down posts the one it missed within a minute of starting.
		if err := s.Add(jobs.Job{Name: "digest", Spec: "@every 1m", Run: func(ctx context.Context) error {
			_, err := digest.Run(ctx)
			return err
		}}); err != nil {
			return nil, err
		}
		ac := a.cfg.Analytics
		spikes := &jobs.SpikeWatch{Store: a.store, Poster: a.bot, Channel: a.cfg.Slack.DigestChannel,
			Rule:   analytics.SpikeRule{Factor: ac.SpikeFactor, MinCount: int64(ac.SpikeMinCount), Weeks: ac.SpikeWeeks},
			Holder: digest.Holder, Now: a.now, Log: a.log}
		if err := s.Add(jobs.Job{Name: "spikes", Spec: "@every 5m", Run: func(ctx context.Context) error {
			_, err := spikes.Run(ctx)
			return err
		}}); err != nil {
			return nil, err
		}
		// Hourly: the scorecard reads whole local days, so an hour's delay
		// costs nothing, and each run costs a few reads per week looked at.
		scorecard := &jobs.ScorecardWatch{Store: a.store, Poster: a.bot, Channel: a.cfg.Slack.DigestChannel,
			Rule:     analytics.ScoreRule{Factor: ac.ScorecardFactor, MinVolume: int64(ac.ScorecardMinVolume), Weeks: ac.ScorecardWeeks},
			Location: a.cfg.Location(), Holder: digest.Holder, Now: a.now, Log: a.log}
		if err := s.Add(jobs.Job{Name: "scorecard", Spec: "@every 1h", Run: func(ctx context.Context) error {
			_, err := scorecard.Run(ctx)
			return err
		}}); err != nil {
			return nil, err
		}
		// Every five minutes: the forecast keeps an hour of looks per SKU.
		oversell := &jobs.OversellWatch{Store: a.store, Poster: a.bot, Channel: a.cfg.Slack.DigestChannel,
			Location: a.cfg.Location(), Holder: digest.Holder, Now: a.now, Log: a.log}
		if err := s.Add(jobs.Job{Name: "oversell", Spec: "@every 5m", Run: func(ctx context.Context) error {
			_, err := oversell.Run(ctx)
			return err
		}}); err != nil {
			return nil, err
		}
	}
	retention := &jobs.Retention{Store: a.store, Resolved: a.cfg.Tickets.Retention.D(), Now: a.now, Log: a.log}
	if err := s.Add(jobs.Job{Name: "retention", Spec: "@every 1h", Run: func(ctx context.Context) error {
		_, _, err := retention.Run(ctx)
		return err
	}}); err != nil {
		return nil, err
	}
	return s, nil
}
