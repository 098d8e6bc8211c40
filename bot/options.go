package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/notify"
)

// Options configure the bot. cmd/orderbot fills them from the config file; the
// zero value of every tuning field picks the default named in its comment.
type Options struct {
	// BotToken is the xoxb- token for every Web API call.
	BotToken string
	// SigningSecret verifies HTTP requests from Slack.
	SigningSecret string
	// AppToken (xapp-) enables Socket Mode in RunSocketMode; empty means HTTP only.
	AppToken string
	// APIURL is the Web API base; default https://slack.com/api/. Tests and the demo
	// point it at slackfake.
	APIURL string
	// TeamID is the Slack workspace (T…) whose requests the bot acts on; empty
	// means the workspace of the bot token, as auth.test names it. Requests from
	// any other workspace are refused.
	TeamID string

	// Departments maps a department name (as kinds name it: finance, warehouse,
	// logistics, support, tech) to its channel and people.
	Departments map[string]Department
	// EscalationChannel receives critical tickets and escalation posts.
	EscalationChannel string
	// Command is the slash command; default "/ob".
	Command string

	// PostsPerSecond paces chat.postMessage per channel across all replicas;
	// default 1 (Slack's documented rate).
	PostsPerSecond float64
	// UpdatesPerMinute paces chat.update workspace-wide (Tier 3); default 50.
	UpdatesPerMinute int
	// StormThreshold is N: more than N new tickets of one kind in StormWindow for a
	// channel fold into one summary card. Default 4, so a storm costs a channel at
	// most five messages.
	StormThreshold int
	// StormWindow is the storm counting window; default 5m.
	StormWindow time.Duration
	// Escalation is the chain run when an SLA target is missed: step i fires
	// Escalation[i].After after the breach. Default: mention the leads at once,
	// post to the escalation channel after 30m. The SLA sweeper must be given the
	// same delays (see SweepSteps).
	Escalation []EscalationStep
	// WarnBefore is how long before an SLA target the card shows a warning; it
	// should match the store's warn-before. Default 10m.
	WarnBefore time.Duration
	// Kinds are the effective kind settings (orderbot.DefaultKindSettings() with
	// config overrides); default the built-in defaults.
	Kinds map[orderbot.Kind]orderbot.KindSettings
	// Links are shown on cards, e.g. {Label: "Shopify", URL:
	// "https://shop.example/admin/orders/{order}"}.
	Links []LinkTemplate
	// Location is the time zone for "tomorrow" snoozes and times in fallback text;
	// default UTC.
	Location *time.Location

	// Clock is the business clock (SLA countdowns, snooze times); default
	// time.Now. Pacing, leases and backoff always use real time.
	Clock func() time.Time
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body from Slack; default 1 MiB.
	MaxBodyBytes int64
	// HTTPClient calls Slack; default a client with a 10s timeout.
	HTTPClient *http.Client

	// Instance names this replica in the outbox consumer group and in leases;
	// default hostname-pid.
	Instance string
	// Workers run the work that follows an ack; default 16. QueueSize bounds the
	// work waiting for them; default 1024.
	Workers   int
	QueueSize int
	// ClickMaxWait is how long an acknowledged card click may wait in the click
	// queue (store.OutboxClicks) before it is no longer applied and its user is
	// told to try again instead; default 2m.
	ClickMaxWait time.Duration
	// BatchSize is how many outbox entries the poster reads at once; default 500.
	BatchSize int
	// Coalesce is how long the poster keeps reading after the first entry of a
	// burst before it renders, so that a burst becomes one update; default 200ms.
	Coalesce time.Duration
	// ReclaimAfter is the liveness lease of an outbox consumer (the poster, the
	// click workers): renewed every third of it, and a replica that has not
	// renewed it for that long is dead and the entries it held are taken over,
	// within about 4/3 of it. Default 6s.
	ReclaimAfter time.Duration
	// PostLease is how long a replica's hold on a ticket or a post in progress
	// lasts without renewal; it is renewed every third of it while the work
	// runs, so a killed replica's ticket and post are free again within it.
	// Default 8s.
	PostLease time.Duration
	// MaxAttempts bounds the retries of one Slack call (429 and 5xx) before the
	// entry is left for a later round; default 6.
	MaxAttempts int
	// StormFlushEvery is the least time between two updates of a storm summary;
	// default 5s.
	StormFlushEvery time.Duration
	// GroupCacheTTL is how long user group members are cached; default 5m.
	GroupCacheTTL time.Duration

	// Knowledge, when set, supplies past resolutions of a kind for new cards.
	Knowledge Knowledge
	// Stats, when set, answers `/ob stats`.
	Stats StatsReader
	// Notices, when set, adds "Notify customer" to cards of tickets about one
	// customer's order and settles notices of unknown outcome from their
	// thread buttons.
	Notices *notify.Notifier
}

// Department is one department's Slack setup.
type Department struct {
	// Channel is the channel id (C…) its cards go to.
	Channel string
	// Leads are user ids mentioned on SLA breaches; they may always act.
	Leads []string
	// AllowedUsers and AllowedGroups (user group ids, S…) may act on the
	// department's tickets. Both empty means anyone in the workspace may.
	AllowedUsers  []string
	AllowedGroups []string
}

// EscalationAction is what one escalation step does.
type EscalationAction string

// Escalation actions.
const (
	// EscalateMentionLeads replies in the card's thread mentioning the leads.
	EscalateMentionLeads EscalationAction = "mention_leads"
	// EscalatePostChannel posts the ticket to the escalation channel.
	EscalatePostChannel EscalationAction = "post_escalation"
	// EscalateMentionHere replies in the thread with @here, broadcast to the channel.
	EscalateMentionHere EscalationAction = "mention_here"
)

// Valid reports whether a is a known action.
func (a EscalationAction) Valid() bool {
	switch a {
	case EscalateMentionLeads, EscalatePostChannel, EscalateMentionHere:
		return true
	}
	return false
}

// EscalationStep is one step of the escalation chain.
type EscalationStep struct {
	After  time.Duration
	Action EscalationAction
}

// LinkTemplate is a link shown on cards. URL may use {order}, {subject},
// {source}, {ticket} and {kind}; a link whose placeholders are empty for a ticket
// is left out.
type LinkTemplate struct {
	Label string
	URL   string
	// Sources, when set, limits the link to tickets from these sources.
	Sources []string
}

// StatsReader reads the figures of a period and the one before it from the
// analytics model (*analytics.Model).
type StatsReader interface {
	Report(ctx context.Context, p analytics.Period, f analytics.Filter) (analytics.Report, error)
}

// ScoreReader is a StatsReader that also has the courier and payment-channel
// scorecard (*analytics.Model); `/ob stats by courier` and `by channel` then
// show it.
type ScoreReader interface {
	Scores(ctx context.Context, now time.Time) ([]analytics.Score, error)
}

// Knowledge supplies how tickets of a kind were resolved before. It is optional;
// a failing lookup only leaves the section out of the card.
type Knowledge interface {
	PastResolutions(ctx context.Context, kind orderbot.Kind, limit int) ([]orderbot.Resolution, error)
}

// TicketOpener opens manual tickets (/ob open). The ticket engine implements it,
// fetching the order and its tracking itself.
type TicketOpener interface {
	OpenManual(ctx context.Context, orderRef string, kind orderbot.Kind, note, actor string) (orderbot.Ticket, error)
}

// OrderDirectory finds an order by id, tracking number, phone or email (/ob order).
// A miss is a KindNotFound error.
type OrderDirectory interface {
	FindOrder(ctx context.Context, query string) (orderbot.OrderView, error)
}

// DefaultEscalation is the chain used when Options.Escalation is empty.
var DefaultEscalation = []EscalationStep{
	{After: 0, Action: EscalateMentionLeads},
	{After: 30 * time.Minute, Action: EscalatePostChannel},
}

// SweepSteps returns the step delays the SLA sweeper must use
// (store.SweepSLA's steps), so that every step the store fires has an action here.
func (o Options) SweepSteps() []time.Duration {
	steps := o.Escalation
	if len(steps) == 0 {
		steps = DefaultEscalation
	}
	out := make([]time.Duration, len(steps))
	for i, s := range steps {
		out[i] = s.After
	}
	return out
}

// withDefaults returns o with every zero tuning field set, or an error naming
// the first setting that cannot work.
func (o Options) withDefaults() (Options, error) {
	const op = "bot.options"
	if o.BotToken == "" {
		return o, orderbot.Errorf(orderbot.KindInvalid, op, "the Slack bot token is not set")
	}
	if o.SigningSecret == "" && o.AppToken == "" {
		return o, orderbot.Errorf(orderbot.KindInvalid, op, "the Slack signing secret is not set")
	}
	if o.APIURL == "" {
		o.APIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		// slack-go appends method names directly to the base.
		o.APIURL += "/"
	}
	if o.Command == "" {
		o.Command = "/ob"
	}
	if !strings.HasPrefix(o.Command, "/") {
		o.Command = "/" + o.Command
	}
	if o.PostsPerSecond <= 0 {
		o.PostsPerSecond = 1
	}
	if o.UpdatesPerMinute <= 0 {
		o.UpdatesPerMinute = 50
	}
	if o.StormThreshold <= 0 {
		o.StormThreshold = 4
	}
	if o.StormWindow <= 0 {
		o.StormWindow = 5 * time.Minute
	}
	if len(o.Escalation) == 0 {
		o.Escalation = DefaultEscalation
	}
	for i, s := range o.Escalation {
		if !s.Action.Valid() {
			return o, orderbot.Errorf(orderbot.KindInvalid, op, "escalation step %d has unknown action %q", i+1, s.Action)
		}
		if s.After < 0 || (i > 0 && s.After < o.Escalation[i-1].After) {
			return o, orderbot.Errorf(orderbot.KindInvalid, op, "escalation step %d must not come before step %d", i+1, i)
		}
	}
	if o.WarnBefore <= 0 {
		o.WarnBefore = 10 * time.Minute
	}
	if o.Kinds == nil {
		o.Kinds = orderbot.DefaultKindSettings()
	}
	for name, d := range o.Departments {
		if d.Channel == "" {
			return o, orderbot.Errorf(orderbot.KindInvalid, op, "department %q has no channel", name)
		}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Instance == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "orderbot"
		}
		o.Instance = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.ClickMaxWait <= 0 {
		o.ClickMaxWait = 2 * time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Coalesce <= 0 {
		o.Coalesce = 200 * time.Millisecond
	}
	if o.ReclaimAfter <= 0 {
		o.ReclaimAfter = 6 * time.Second
	}
	if o.PostLease <= 0 {
		o.PostLease = 8 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.StormFlushEvery <= 0 {
		o.StormFlushEvery = 5 * time.Second
	}
	if o.GroupCacheTTL <= 0 {
		o.GroupCacheTTL = 5 * time.Minute
	}
	return o, nil
}

// department returns the department setup of a ticket's department.
func (o *Options) department(name string) (Department, bool) {
	d, ok := o.Departments[name]
	return d, ok
}

// channelFor is the channel a department's cards go to.
func (o *Options) channelFor(dept string) (string, error) {
	d, ok := o.Departments[dept]
	if !ok || d.Channel == "" {
		return "", orderbot.Errorf(orderbot.KindInvalid, "bot.channel", "department %q has no Slack channel configured", dept)
	}
	return d.Channel, nil
}

// step returns escalation step k (0-based); a step beyond the configured chain
// (the sweeper was given more steps) posts to the escalation channel.
func (o *Options) step(k int) EscalationStep {
	if k >= 0 && k < len(o.Escalation) {
		return o.Escalation[k]
	}
	return EscalationStep{Action: EscalatePostChannel}
}

// String describes the options without any token or secret, because Options
// may end up in a log line by accident.
func (o Options) String() string {
	return fmt.Sprintf("bot.Options{APIURL:%s Command:%s Departments:%d}", o.APIURL, o.Command, len(o.Departments))
}
