package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// slackAPI wraps the slack-go client with the one retry policy of the bot:
// a 429 waits for Retry-After, 5xx and network errors back off exponentially
// (bounded), anything else fails at once. slack-go's own opt-in retries stay off
// so that there is exactly one policy, and so the poster can tell whether a
// failed post may have reached Slack.
type slackAPI struct {
	c           *slack.Client
	log         *slog.Logger
	maxAttempts int
	// baseDelay and maxDelay bound the backoff of 5xx and network errors.
	baseDelay time.Duration
	maxDelay  time.Duration
	// maxRetryAfter caps how long one 429 may make a call wait; a longer
	// Retry-After fails the call as rate limited and the caller retries later.
	maxRetryAfter time.Duration
}

func newSlackAPI(o *Options) *slackAPI {
	c := slack.New(o.BotToken, slack.OptionAPIURL(o.APIURL), slack.OptionHTTPClient(o.HTTPClient))
	return &slackAPI{c: c, log: o.Logger, maxAttempts: o.MaxAttempts,
		baseDelay: 250 * time.Millisecond, maxDelay: 8 * time.Second, maxRetryAfter: 2 * time.Minute}
}

// callError is a failed Slack call: the *orderbot.Error to return and whether the
// request may have reached Slack and taken effect (a post that timed out may have
// been posted; a 429 or an ok:false answer certainly was not).
type callError struct {
	err     *orderbot.Error
	reached bool
}

// classify maps a slack-go error to an *orderbot.Error of the right kind.
func classify(op string, err error) callError {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		e := orderbot.Wrap(orderbot.KindRateLimited, op, err, "Slack is rate limiting us; retrying shortly")
		e.RetryAfter = rl.RetryAfter
		return callError{err: e}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return callError{err: orderbot.Wrap(orderbot.KindRateLimited, op, err, "Slack is rate limiting us; retrying shortly")}
		case sc.Code >= 500:
			return callError{err: orderbot.Wrap(orderbot.KindTransient, op, err, "Slack had a server error"), reached: true}
		case sc.Code == http.StatusUnauthorized || sc.Code == http.StatusForbidden:
			return callError{err: orderbot.Wrap(orderbot.KindUnauthorized, op, err, "Slack refused the bot's credentials")}
		case sc.Code == http.StatusNotFound:
			return callError{err: orderbot.Wrap(orderbot.KindNotFound, op, err, "Slack does not know that method or URL")}
		}
		return callError{err: orderbot.Wrap(orderbot.KindPermanent, op, err, "Slack refused the request")}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "rate_limited":
			return callError{err: orderbot.Wrap(orderbot.KindRateLimited, op, err, "Slack is rate limiting us; retrying shortly")}
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return callError{err: orderbot.Wrap(orderbot.KindTransient, op, err, "Slack had a server error"), reached: true}
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope", "no_permission":
			return callError{err: orderbot.Wrap(orderbot.KindUnauthorized, op, err, "Slack refused the bot's credentials")}
		case "channel_not_found", "message_not_found", "thread_not_found", "user_not_found", "no_such_subteam", "not_found":
			return callError{err: orderbot.Wrap(orderbot.KindNotFound, op, err, "Slack does not know that channel, message or user")}
		case "invalid_blocks", "msg_too_long", "invalid_arguments", "invalid_metadata_format", "no_text":
			return callError{err: orderbot.Wrap(orderbot.KindInvalid, op, err, "Slack rejected the message")}
		case "not_in_channel", "is_archived", "restricted_action", "cant_update_message", "edit_window_closed":
			return callError{err: orderbot.Wrap(orderbot.KindPermanent, op, err, "Slack does not let the bot post there")}
		}
		return callError{err: orderbot.Wrap(orderbot.KindPermanent, op, err, "Slack refused the request")}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return callError{err: orderbot.Wrap(orderbot.KindTransient, op, err, "Slack did not answer in time"), reached: true}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return callError{err: orderbot.Wrap(orderbot.KindTransient, op, err, "Slack could not be reached"), reached: true}
	}
	// Unknown transport or decoding failures: the request may have gone out.
	return callError{err: orderbot.Wrap(orderbot.KindTransient, op, err, "the Slack call failed"), reached: true}
}

// do runs one Slack call with the retry policy. It returns nil, or the last
// failure with reached telling whether any attempt may have taken effect.
func (a *slackAPI) do(ctx context.Context, op string, fn func(ctx context.Context) error) *callError {
	return a.doRetry(ctx, op, true, fn)
}

// doRetry is do; with retryReached false it does not repeat a call that may
// already have taken effect (a post that timed out), leaving that to the caller.
func (a *slackAPI) doRetry(ctx context.Context, op string, retryReached bool, fn func(ctx context.Context) error) *callError {
	reached := false
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		ce := classify(op, err)
		ce.reached = ce.reached || reached
		reached = ce.reached
		if ctx.Err() != nil || !orderbot.Retryable(ce.err) || attempt >= a.maxAttempts || (ce.reached && !retryReached) {
			return &ce
		}
		wait := a.backoff(attempt)
		if ce.err.Kind == orderbot.KindRateLimited {
			wait = ce.err.RetryAfter
			if wait <= 0 {
				// A 429 without Retry-After (free-workspace message limits).
				wait = time.Second
			}
			if wait > a.maxRetryAfter {
				return &ce
			}
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack call failed, retrying", slog.String("op", op),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", ce.err.Error()))
		if !sleepCtx(ctx, wait) {
			return &ce
		}
	}
}

// backoff is the wait before retry n (1-based) under the shared retry policy
// (httpclient.Backoff), with Slack's own bounds.
func (a *slackAPI) backoff(n int) time.Duration {
	return httpclient.Backoff(n, a.baseDelay, a.maxDelay)
}

// sleepCtx waits d or until ctx ends; it reports whether the full wait passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func msgOptions(m message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.Metadata != nil {
		opts = append(opts, slack.MsgOptionMetadata(*m.Metadata))
	}
	return opts
}

// post sends a message to a channel (a thread reply when threadTS is set) and
// returns its ts.
func (a *slackAPI) post(ctx context.Context, channel, threadTS string, m message, broadcast bool) (string, *callError) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
		if broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	var ts string
	// A post that may have gone through is not repeated here: the poster first
	// looks for it (postOnce), so a 5xx after Slack stored the message never
	// makes a second one.
	ce := a.doRetry(ctx, "slack.chat.postMessage", false, func(ctx context.Context) error {
		var err error
		_, ts, err = a.c.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, ce
}

// update replaces a message's text and blocks. Both are always sent: with text
// and no blocks Slack would drop the blocks.
func (a *slackAPI) update(ctx context.Context, channel, ts string, m message) *callError {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	return a.do(ctx, "slack.chat.update", func(ctx context.Context) error {
		_, _, _, err := a.c.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// respond answers through a response URL (ephemeral unless inChannel), or
// replaces the message the payload came from.
func (a *slackAPI) respond(ctx context.Context, responseURL string, m message, replace bool) *callError {
	opts := msgOptions(m)
	if replace {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	} else {
		opts = append(opts, slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	}
	return a.do(ctx, "slack.response_url", func(ctx context.Context) error {
		_, _, err := a.c.PostMessageContext(ctx, "", opts...)
		return err
	})
}

// ephemeral shows a message to one user in a channel.
func (a *slackAPI) ephemeral(ctx context.Context, channel, user string, m message) *callError {
	opts := msgOptions(m)
	return a.do(ctx, "slack.chat.postEphemeral", func(ctx context.Context) error {
		_, err := a.c.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// history finds, among the channel's (or a thread's) messages since oldest, the
// one the poster sent with metadata key. It pages through at most a few hundred
// messages: the search only runs after a crash, for a post a few minutes old.
func (a *slackAPI) findPosted(ctx context.Context, channel, threadTS, key string, oldest time.Time) (string, *callError) {
	oldestTS := slackTS(oldest.Add(-time.Minute))
	cursor := ""
	for page := 0; page < 10; page++ {
		var msgs []slack.Message
		var next string
		ce := a.do(ctx, "slack.conversations.history", func(ctx context.Context) error {
			if threadTS != "" {
				m, _, nc, err := a.c.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
					ChannelID: channel, Timestamp: threadTS, Oldest: oldestTS, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
				msgs, next = m, nc
				return err
			}
			r, err := a.c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldestTS, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if r != nil {
				msgs, next = r.Messages, r.ResponseMetaData.NextCursor
			}
			return err
		})
		if ce != nil {
			return "", ce
		}
		for _, m := range msgs {
			if m.Metadata.EventType == metadataType {
				if k, _ := m.Metadata.EventPayload["key"].(string); k == key {
					return m.Timestamp, nil
				}
			}
		}
		if next == "" {
			return "", nil
		}
		cursor = next
	}
	return "", nil
}

// slackTS renders a time as a Slack timestamp ("1700000000.000000").
func slackTS(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}
