package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/orderbot/orderbot/bot"
	"github.com/orderbot/orderbot/config"
)

// slackSetup parses a Slack subcommand's flags and loads the configuration
// it names.
func slackSetup(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (*config.Config, bot.Options, error) {
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return nil, bot.Options{}, err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return nil, bot.Options{}, err
	}
	opts, err := slackOptions(cfg, stderr)
	return cfg, opts, err
}

// slackOptions are the bot options the Slack subcommands need: credentials
// and the workspace, nothing that touches Redis.
func slackOptions(cfg *config.Config, stderr io.Writer) (bot.Options, error) {
	if !cfg.Slack.Configured() {
		return bot.Options{}, &exitError{code: 1, err: errors.New("slack.bot_token: not set, so Slack is not configured (see docs/slack-setup.md)")}
	}
	s := cfg.Slack
	return bot.Options{BotToken: s.BotToken.Value(), SigningSecret: s.SigningSecret.Value(), AppToken: s.AppToken.Value(),
		APIURL: s.APIURL, TeamID: s.TeamID, Logger: newLogger(cfg.Log, stderr)}, nil
}

// slackTargets are the channels and user groups the configuration names, each
// with its key.
func slackTargets(cfg *config.Config) bot.CheckTargets {
	var t bot.CheckTargets
	names := make([]string, 0, len(cfg.Departments))
	for n := range cfg.Departments {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := cfg.Departments[n]
		t.Channels = append(t.Channels, bot.NamedID{Key: "departments." + n + ".channel", ID: d.Channel})
		for i, g := range d.AllowedGroups {
			t.UserGroups = append(t.UserGroups, bot.NamedID{Key: fmt.Sprintf("departments.%s.allowed_groups[%d]", n, i), ID: g})
		}
	}
	t.Channels = append(t.Channels, bot.NamedID{Key: "slack.escalation_channel", ID: cfg.Slack.EscalationChannel},
		bot.NamedID{Key: "slack.digest_channel", ID: cfg.Slack.DigestChannel})
	return t
}

func cmdSlackCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("slack check", "slack check [--config FILE]", `Checks the Slack app as serve will use it: the bot token works (auth.test) and
belongs to slack.team_id when set; it has every scope orderbot needs; each configured
channel exists, is not archived and has the bot as a member; each user group resolves.
Prints each problem naming the key to fix and exits 1 when there is any.`, stderr)
	cfg, opts, err := slackSetup(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	rep, err := bot.Check(ctx, opts, slackTargets(cfg))
	if err != nil {
		return err
	}
	if rep.Connected {
		id := rep.Identity
		fmt.Fprintf(stdout, "connected to %s\n", id)
		if cfg.Slack.TeamID == "" {
			fmt.Fprintf(stdout, "set slack.team_id: %s to pin the workspace (requests from any other are refused either way)\n", id.TeamID)
		}
		fmt.Fprintf(stdout, "granted scopes: %s\n", strings.Join(id.Scopes, ", "))
		for _, ch := range rep.Channels {
			fmt.Fprintf(stdout, "channel #%s (%s): member=%t\n", ch.Name, ch.ID, ch.Member)
		}
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintln(stdout, "slack check: ok")
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "problem: %s\n", p)
	}
	return &exitError{code: 1, err: fmt.Errorf("slack check: %d problem(s)", len(rep.Problems))}
}

func cmdSlackChannels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("slack channels", "slack channels [--config FILE]", `Lists the workspace's public channels and the private channels the bot is in, with
their ids, for departments.*.channel and slack.escalation_channel. Needs the
channels:read and groups:read scopes.`, stderr)
	_, opts, err := slackSetup(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	chans, err := bot.ListChannels(ctx, opts)
	if err != nil {
		return err
	}
	for _, ch := range chans {
		var notes []string
		if ch.Private {
			notes = append(notes, "private")
		}
		if !ch.Member {
			notes = append(notes, "bot not a member")
		}
		line := fmt.Sprintf("%-12s #%s", ch.ID, ch.Name)
		if len(notes) > 0 {
			line += "  (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}
