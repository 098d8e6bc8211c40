package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
)

func cmdKinds(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kinds", "kinds", `Prints the anomaly kinds reference (markdown) generated from the kind registry:
every kind with its department, severity, SLA targets, customer notices and detection
thresholds. docs/kinds.md is this output: go run ./cmd/orderbot kinds > docs/kinds.md`, stderr)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	_, err := io.WriteString(stdout, orderbot.KindsReference())
	return err
}

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", `Prints the version, the module version and the VCS commit the binary was built
from (from the Go build information).`, stderr)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionLine())
	return nil
}

// versionLine is "orderbot <version> (<module>@<module version>, commit <rev>
// [modified], built <time>, <go version>)". The -X main.version of a release
// build wins; `go install …@v1.2.3` fills the module version; a build from a
// git checkout fills the commit.
func versionLine() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "orderbot " + v
	}
	mod := info.Main.Version
	if v == "dev" && mod != "" && mod != "(devel)" {
		v = mod
	}
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	parts := []string{info.Main.Path + "@" + orUnknown(mod)}
	if rev != "" {
		c := "commit " + rev
		if modified {
			c += " (modified)"
		}
		parts = append(parts, c)
	}
	if at != "" {
		parts = append(parts, "committed "+at)
	}
	parts = append(parts, info.GoVersion)
	return fmt.Sprintf("orderbot %s (%s)", v, strings.Join(parts, ", "))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", "healthcheck [--url URL] [--timeout D]", `GETs /healthz of a running orderbot and exits 0 when it answers 200, 1 otherwise.
It is the container image's HEALTHCHECK: the distroless image has no shell or curl.`, stderr)
	def := "http://" + loopback(envOr(config.EnvAddr, ":8080")) + "/healthz"
	url := fs.String("url", def, "health endpoint to probe (default from ORDERBOT_ADDR or :8080)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("healthcheck: --url: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// loopback turns a listen address (":8080", "0.0.0.0:8080") into one to dial.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
