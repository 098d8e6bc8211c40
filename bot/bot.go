package bot

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// Bot is orderbot's Slack side. Its Handler serves Slack's HTTP requests, its
// Poster delivers the Slack outbox, and RunSocketMode is the development
// alternative to the HTTP endpoints. It is safe for concurrent use.
type Bot struct {
	opts   Options
	st     *store.Store
	life   *tickets.Lifecycle // every ticket change from a click goes through it
	api    *slackAPI
	cards  *cards
	opener TicketOpener
	dir    OrderDirectory
	authz  *authorizer
	log    *slog.Logger
	ws     workspace

	// Work that follows an ack runs under ctx, which Close cancels once the
	// grace period is over: at most Workers at a time (run), with at most
	// Workers+QueueSize admitted (admitted) so a flood cannot grow without bound.
	ctx      context.Context
	cancel   context.CancelFunc
	run      chan struct{}
	admitted atomic.Int64
	wg       sync.WaitGroup
	closed   atomic.Bool

	// eventsHandled counts Events API deliveries handled (not duplicates).
	eventsHandled atomic.Int64
}

// New builds the bot. opener and dir may be nil; the commands that need them
// then tell the user they are not available.
func New(opts Options, st *store.Store, opener TicketOpener, dir OrderDirectory) (*Bot, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "bot.new", "the bot needs the ticket store")
	}
	b := &Bot{
		opts: o, st: st, life: tickets.NewLifecycle(st), api: newSlackAPI(&o), cards: newCards(&o),
		opener: opener, dir: dir, log: o.Logger.With(slog.String("component", "slack")),
		run: make(chan struct{}, o.Workers),
	}
	b.authz = newAuthorizer(&b.opts, b.api)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// Options returns the effective options (defaults applied).
func (b *Bot) Options() Options { return b.opts }

// spawn runs fn after the ack. It reports false when the bot is closing or
// saturated (Workers busy and QueueSize waiting); the caller then tells the user
// to try again rather than queueing without bound.
func (b *Bot) spawn(op string, fn func(ctx context.Context)) bool {
	if b.closed.Load() {
		return false
	}
	if b.admitted.Add(1) > int64(b.opts.Workers+b.opts.QueueSize) {
		b.admitted.Add(-1)
		b.log.Warn("slack work queue full; rejecting", slog.String("op", op))
		return false
	}
	b.wg.Add(1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("slack work panicked", slog.String("op", op), slog.Any("panic", r))
			}
			b.admitted.Add(-1)
			b.wg.Done()
		}()
		select {
		case b.run <- struct{}{}:
			defer func() { <-b.run }()
		case <-b.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
		defer cancel()
		fn(ctx)
	}()
	return true
}

// Close stops accepting work and waits for work in flight until ctx ends, then
// cancels what is left.
func (b *Bot) Close(ctx context.Context) error {
	b.closed.Store(true)
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		b.cancel()
		<-done
	}
	b.cancel()
	return nil
}

// Ready checks that Slack answers and accepts the bot token (auth.test), for
// /readyz.
func (b *Bot) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := b.Connect(ctx)
	return err
}
