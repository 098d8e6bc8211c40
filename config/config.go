package config

import (
	"fmt"
	"time"
	// Time zone names must load the same on a scratch image as on a laptop, so
	// validation does not depend on the host's zoneinfo.
	_ "time/tzdata"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/provider"
)

// Config is the whole configuration of one orderbot process. Parse and Load
// return it with defaults applied and validated; Default returns the defaults
// alone. The yaml tags are the keys of the file; docs/configuration.md documents
// each one.
type Config struct {
	Server Server `yaml:"server"`
	Log    Log    `yaml:"log"`
	// Timezone is the operator's business time zone (IANA name): daily digests,
	// "today" in /ob stats and the default for departments and customers.
	Timezone string  `yaml:"timezone"`
	Redis    Redis   `yaml:"redis"`
	Tickets  Tickets `yaml:"tickets"`
	SLA      SLA     `yaml:"sla"`
	// Sources are the systems polled, by source name. The name is what records
	// and tickets carry as their source.
	Sources map[string]Source `yaml:"sources"`
	// Departments own tickets, by department name (the names kinds route to).
	Departments map[string]Department `yaml:"departments"`
	// Kinds override the per-kind defaults of product.md §3; every key is optional.
	Kinds   map[orderbot.Kind]KindConfig `yaml:"kinds"`
	Slack   Slack                        `yaml:"slack"`
	Notices Notices                      `yaml:"notices"`
	// Analytics tunes the early warnings (spike alerts).
	Analytics Analytics `yaml:"analytics"`
	// Dashboard is the read-only web dashboard.
	Dashboard Dashboard `yaml:"dashboard"`

	// warnings are things worth telling the operator that do not stop the
	// process, such as an unset ${VAR} that expanded to "".
	warnings []Problem
	// unsetAt maps a key path to the ${VARs} in its value that were not set,
	// so that "required" problems can name the variable to set. Parse only.
	unsetAt map[string][]string
	// providers are the source types this process knows (see UseProviders).
	providers *provider.Registry
}

// Warnings returns what Parse noticed but did not reject, for example an
// environment variable that is not set and expanded to an empty value.
// `orderbot config check` prints them.
func (c *Config) Warnings() []Problem { return append([]Problem(nil), c.warnings...) }

// Location returns the business time zone, or UTC when the name does not load
// (a validated Config always loads).
func (c *Config) Location() *time.Location { return loadLocationOr(c.Timezone, time.UTC) }

// Server is the HTTP listener for Slack requests, health checks and metrics.
type Server struct {
	// Addr is the listen address, host:port or :port.
	Addr string `yaml:"addr"`
	// MaxBodyBytes caps a request body; Slack payloads are a few KB, so anything
	// bigger is refused before it is read.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout is how long in-flight requests and jobs get on SIGTERM.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Log configures log/slog output.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json (for log shippers) or text (for a terminal).
	Format string `yaml:"format"`
}

// Redis is where tickets, cursors, SLA timers and outboxes live.
type Redis struct {
	// URL is redis://, rediss://, redis-sentinel:// or redis-cluster://. It may
	// carry a password, so it is a Secret. REDIS_URL overrides it.
	URL Secret `yaml:"url"`
	// Prefix starts every key, so several deployments can share one Redis.
	Prefix string `yaml:"prefix"`
	// Retention is how long cached records stay in Redis.
	Retention Retention `yaml:"retention"`
}

// Retention bounds the record cache (orders, payments, parcels, contact index,
// demand, watch list): each record expires this long after its last change,
// so Redis memory follows the order rate, not the shop's history.
type Retention struct {
	// InFlight is the window for orders that may still change (and their
	// payments and parcels on the way).
	InFlight Duration `yaml:"in_flight"`
	// Finished is the shorter window once an order is completed or cancelled
	// (or a parcel delivered or returned).
	Finished Duration `yaml:"finished"`
}

// Tickets tunes the ticket engine.
type Tickets struct {
	// ReopenWindow: a resolved ticket whose condition recurs within it is
	// reopened instead of a new one being opened.
	ReopenWindow Duration `yaml:"reopen_window"`
	// StormThreshold: when one kind opens more tickets than this within
	// StormWindow, the channel gets one summary card instead of one card each.
	StormThreshold int      `yaml:"storm_threshold"`
	StormWindow    Duration `yaml:"storm_window"`
	// Retention is how long a resolved ticket (with its history) is kept
	// before the retention job deletes it; its figures stay in the analytics
	// rollups.
	Retention Duration `yaml:"retention"`
}

// SLA configures the sweeper that watches ack and resolve targets.
type SLA struct {
	// SweepEvery is how often breached and soon-to-breach tickets are looked for.
	SweepEvery Duration `yaml:"sweep_every"`
	// WarnBefore is how long before a breach the card shows a warning.
	WarnBefore Duration `yaml:"warn_before"`
	// Escalation is the chain run at breach, each step After the breach.
	Escalation []EscalationStep `yaml:"escalation"`
}

// EscalationStep is one step of the escalation chain.
type EscalationStep struct {
	After  Duration         `yaml:"after"`
	Action EscalationAction `yaml:"action"`
}

// EscalationAction is what an escalation step does.
type EscalationAction string

// Escalation actions.
const (
	// EscalateMentionLeads mentions the department's leads in the ticket thread.
	EscalateMentionLeads EscalationAction = "mention_leads"
	// EscalatePostEscalationChannel posts the ticket to slack.escalation_channel.
	EscalatePostEscalationChannel EscalationAction = "post_escalation_channel"
)

// EscalationActions lists the valid actions.
var EscalationActions = []EscalationAction{EscalateMentionLeads, EscalatePostEscalationChannel}

// Department is a team that owns tickets in one Slack channel.
type Department struct {
	// Channel is the Slack channel id (C…/G…) the department's cards go to.
	Channel string `yaml:"channel"`
	// Leads are Slack user ids mentioned on SLA breaches.
	Leads []string `yaml:"leads,flow"`
	// AllowedUsers and AllowedGroups (Slack user ids and user-group ids) may act
	// on the department's tickets. Both empty: anyone in the channel may.
	AllowedUsers  []string `yaml:"allowed_users,flow"`
	AllowedGroups []string `yaml:"allowed_groups,flow"`
	// Timezone is the department's calendar (IANA name); empty means the
	// top-level timezone, which Parse fills in.
	Timezone string `yaml:"timezone"`
}

// Slack configures the bot. An empty BotToken means Slack is not configured:
// tickets are still detected and stored, but nothing is posted.
type Slack struct {
	BotToken      Secret `yaml:"bot_token"`
	SigningSecret Secret `yaml:"signing_secret"`
	// AppToken (xapp-…) switches to Socket Mode, for development behind a
	// firewall; SLACK_APP_TOKEN overrides it.
	AppToken Secret `yaml:"app_token"`
	// APIURL is Slack's Web API base, ending in "/"; SLACK_API_URL overrides it
	// (a local fake in tests and the demo).
	APIURL string `yaml:"api_url"`
	// TeamID is the workspace (T…) whose requests are acted on; empty means the
	// workspace of the bot token, learnt from auth.test at start.
	TeamID            string `yaml:"team_id"`
	EscalationChannel string `yaml:"escalation_channel"`
	DigestChannel     string `yaml:"digest_channel"`
	// DigestTime is the local time of day (HH:MM, in timezone) the daily
	// digest is posted, about the day before.
	DigestTime string `yaml:"digest_time"`
	// Command is the slash command, "/ob" by default.
	Command string `yaml:"command"`
	// PostsPerSecond is the per-channel posting rate (Slack allows about 1).
	PostsPerSecond float64 `yaml:"posts_per_second"`
	// UpdatesPerMinute is the workspace-wide chat.update rate (Slack's Tier 3
	// allows about 50).
	UpdatesPerMinute int `yaml:"updates_per_minute"`
}

// Configured reports whether Slack is set up (a bot token is present).
func (s Slack) Configured() bool { return s.BotToken.IsSet() }

// DigestAt is DigestTime as a time of day; ok is false when it is not HH:MM.
func (s Slack) DigestAt() (at time.Duration, ok bool) {
	var h, m int
	if len(s.DigestTime) != 5 || s.DigestTime[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s.DigestTime, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// SocketMode reports whether the bot connects over Socket Mode.
func (s Slack) SocketMode() bool { return s.AppToken.IsSet() }

// Defaults for values Parse fills in when the file leaves them out.
const (
	DefaultSlackAPIURL    = "https://slack.com/api/"
	DefaultTwilioAPIURL   = "https://api.twilio.com"
	DefaultAliyunAPIURL   = "https://dysmsapi.aliyuncs.com"
	DefaultSendGridAPIURL = "https://api.sendgrid.com"
)

// rawDefaults is the configuration before a file is decoded over it. Keys whose
// default depends on another key (department timezone, source api_url) stay
// empty here; ApplyDefaults fills them after decoding.
func rawDefaults() *Config {
	return &Config{
		Server:    Server{Addr: ":8080", MaxBodyBytes: 1 << 20, ShutdownTimeout: Duration(20 * time.Second)},
		Log:       Log{Level: "info", Format: "json"},
		Timezone:  "UTC",
		Analytics: defaultAnalytics(),
		Redis: Redis{URL: NewSecret("redis://127.0.0.1:6379/0"), Prefix: "ob",
			Retention: Retention{InFlight: Duration(30 * 24 * time.Hour), Finished: Duration(7 * 24 * time.Hour)}},
		Tickets: Tickets{ReopenWindow: Duration(24 * time.Hour), StormThreshold: 20,
			StormWindow: Duration(10 * time.Minute), Retention: Duration(180 * 24 * time.Hour)},
		SLA: SLA{SweepEvery: Duration(10 * time.Second), WarnBefore: Duration(15 * time.Minute),
			Escalation: []EscalationStep{
				{After: 0, Action: EscalateMentionLeads},
				{After: Duration(30 * time.Minute), Action: EscalatePostEscalationChannel},
			}},
		Slack: Slack{APIURL: DefaultSlackAPIURL, Command: "/ob", PostsPerSecond: 1, UpdatesPerMinute: 50, DigestTime: "08:30"},
		Notices: Notices{
			QuietHours: QuietHours{Start: Clock(21, 0), End: Clock(8, 0)},
			DailyCap:   3,
			SMS:        SMSChannel{Provider: SMSTwilio},
			Email:      EmailChannel{Provider: EmailSendGrid},
			Twilio:     Twilio{APIURL: DefaultTwilioAPIURL},
			Aliyun:     Aliyun{APIURL: DefaultAliyunAPIURL},
			SendGrid:   SendGrid{APIURL: DefaultSendGridAPIURL},
			SMTP:       SMTP{Port: 587, StartTLS: true},
		},
	}
}

// Default returns the configuration used when a file sets nothing: one process
// on :8080, a local Redis, no sources, Slack and customer notices off, every
// kind at its product.md §3 defaults. It is valid as it is.
func Default() *Config {
	c := rawDefaults()
	c.ApplyDefaults()
	return c
}

// ApplyDefaults fills in every value that is empty and has a default that
// depends on other keys: a source's api_url, provides and rate_limit by its
// type, department and notice time zones from the top-level timezone, provider
// base URLs. Parse calls it; code that builds a Config by hand calls it before
// Validate. It is idempotent.
func (c *Config) ApplyDefaults() {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	for name, s := range c.Sources {
		s.applyDefaults(c.providers, name)
		c.Sources[name] = s
	}
	for name, d := range c.Departments {
		if d.Timezone == "" {
			d.Timezone = c.Timezone
		}
		c.Departments[name] = d
	}
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = DefaultSlackAPIURL
	}
	if c.Slack.Command == "" {
		c.Slack.Command = "/ob"
	}
	n := &c.Notices
	if n.DefaultTimezone == "" {
		n.DefaultTimezone = c.Timezone
	}
	if n.Twilio.APIURL == "" {
		n.Twilio.APIURL = DefaultTwilioAPIURL
	}
	if n.Aliyun.APIURL == "" {
		n.Aliyun.APIURL = DefaultAliyunAPIURL
	}
	if n.SendGrid.APIURL == "" {
		n.SendGrid.APIURL = DefaultSendGridAPIURL
	}
	if n.SMS.Provider == "" {
		n.SMS.Provider = SMSTwilio
	}
	if n.Email.Provider == "" {
		n.Email.Provider = EmailSendGrid
	}
}

func loadLocationOr(name string, def *time.Location) *time.Location {
	if name == "" {
		return def
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return def
	}
	return loc
}
