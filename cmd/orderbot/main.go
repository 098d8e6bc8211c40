// Command orderbot watches a shop's payment, order/ERP and courier systems, opens
// a ticket for every order that went wrong, and puts it in front of the
// department that owns it in Slack.
//
//	orderbot serve        [--config orderbot.yaml]   HTTP endpoints, schedules and workers
//	orderbot poll --once  [--config …] [--source NAME]  one detection cycle, JSON lines on stdout
//	orderbot demo         [--addr …] [--speed N] [--seed N]  everything on an embedded default
//	orderbot quality      [--days N] [--seed N]      precision, recall and flaps per kind (QUALITY.md)
//	orderbot config check [--config …]               validate, print the effective config redacted
//	orderbot slack check|channels [--config …]       verify the Slack app; list channel ids
//	orderbot kinds                                   the anomaly kinds reference (markdown)
//	orderbot healthcheck [--url …]                   probe /healthz (the container's HEALTHCHECK)
//	orderbot version
//
// This file only dispatches; wiring lives in wire.go, each subcommand in its own
// file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	_ "time/tzdata" // customer time zones (Asia/Shanghai) must load on a bare image
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitError carries an exit code out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if ee == nil || ee.err != nil {
			fmt.Fprintln(os.Stderr, "orderbot:", err)
		}
		os.Exit(code)
	}
}

const usage = `usage: orderbot <command> [flags]

commands:
  serve          run the HTTP endpoints, the poll schedules and the workers
  poll --once    run one detection cycle and print what it found as JSON lines
  demo           run everything on an embedded default (no Redis, Slack or provider accounts needed)
  quality        measure precision, recall and flaps per kind over a simulated week (see QUALITY.md)
  config check   validate the configuration and print it with secrets redacted
  slack check    verify the Slack app: token, scopes, channels, user groups
  slack channels list the workspace's channels with their ids
  kinds          print the anomaly kinds reference (markdown)
  healthcheck    GET /healthz of a running orderbot; exit 0 when it answers
  version        print the version and the commit it was built from

Run 'orderbot <command> -h' for the flags of a command.
`

// run dispatches a command line; it is what tests call.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2, err: errors.New("no command given")}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "poll":
		return cmdPoll(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "quality":
		return cmdQuality(ctx, args[1:], stdout, stderr)
	case "config":
		return subcommand(ctx, "config", args[1:], stdout, stderr, map[string]command{"check": cmdConfigCheck})
	case "slack":
		return subcommand(ctx, "slack", args[1:], stdout, stderr, map[string]command{"check": cmdSlackCheck, "channels": cmdSlackChannels})
	case "kinds":
		return cmdKinds(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		return cmdVersion(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", args[0])}
}

// command is one (sub)command's entry point.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// subcommand dispatches "orderbot <group> <sub>"; "orderbot <group> -h" lists
// the subcommands.
func subcommand(ctx context.Context, group string, args []string, stdout, stderr io.Writer, subs map[string]command) error {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	help := fmt.Sprintf("usage: orderbot %s <%s> [flags]\n\nRun 'orderbot %s <subcommand> -h' for its flags.\n", group, strings.Join(names, "|"), group)
	if len(args) > 0 && wantsHelp(args[:1]) {
		fmt.Fprint(stdout, help)
		return nil
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprint(stderr, help)
		return &exitError{code: 2, err: fmt.Errorf("unknown %s subcommand", group)}
	}
	return subs[args[0]](ctx, args[1:], stdout, stderr)
}
