package demo

import (
	"strings"

	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// Channels are the demo workspace's channels, one per department plus the
// escalation channel.
var Channels = map[string]string{
	"finance":   "C0FINANCE",
	"warehouse": "C0WAREHOUSE",
	"logistics": "C0LOGISTICS",
	"support":   "C0SUPPORT",
	"tech":      "C0TECH",
}

// EscalationChannel receives critical tickets and SLA breaches.
const EscalationChannel = "C0ESCALATION"

// StartSlack starts the local Slack Web API stand-in the bot posts to.
func StartSlack() *slackfake.Server {
	chans := []string{EscalationChannel}
	for _, c := range Channels {
		chans = append(chans, c)
	}
	// A channel keeps its last 5000 messages, enough for a day of the demo;
	// the page loads older ones as the reader scrolls back.
	return slackfake.New(slackfake.Config{Channels: chans, MaxMessages: 5000})
}

// ConfigureSlack points cfg's Slack settings at the stand-in and gives every
// department its channel and a lead to mention on breaches.
func ConfigureSlack(cfg *config.Config, s *slackfake.Server) {
	cfg.Slack.BotToken = config.NewSecret(s.Token())
	cfg.Slack.SigningSecret = config.NewSecret(s.SigningSecret())
	cfg.Slack.APIURL = s.APIURL()
	cfg.Slack.EscalationChannel = EscalationChannel
	// The stand-in has no rate limits; Slack's (1 post per second per channel,
	// about 50 updates a minute) would make the accelerated demo lag behind
	// its own clock.
	cfg.Slack.PostsPerSecond, cfg.Slack.UpdatesPerMinute = 5, 600
	if cfg.Departments == nil {
		cfg.Departments = map[string]config.Department{}
	}
	for dept, ch := range Channels {
		cfg.Departments[dept] = config.Department{Channel: ch, Leads: []string{leadID(dept)}, Timezone: cfg.Timezone}
	}
}

// leadID is the simulated lead of a department, mentioned on SLA breaches.
func leadID(dept string) string { return "U0LEAD" + strings.ToUpper(dept[:3]) }
