package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// runCLI runs a command line in process and returns stdout, stderr and the
// exit code main would use.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code := 0
	if err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

// --help and -h on every command print its usage with every flag and a
// description on stdout, and exit 0.
func TestHelpOfEveryCommand(t *testing.T) {
	cases := []struct {
		args  []string
		flags []string
	}{
		{[]string{"serve"}, []string{"-config"}},
		{[]string{"poll"}, []string{"-config", "-once", "-source"}},
		{[]string{"demo"}, []string{"-addr", "-page-addr", "-speed", "-seed", "-orders", "-for"}},
		{[]string{"quality"}, []string{"-seed", "-days", "-orders", "-anomaly-rate", "-poll-every"}},
		{[]string{"config", "check"}, []string{"-config"}},
		{[]string{"slack", "check"}, []string{"-config"}},
		{[]string{"slack", "channels"}, []string{"-config"}},
		{[]string{"kinds"}, nil},
		{[]string{"version"}, nil},
		{[]string{"healthcheck"}, []string{"-url", "-timeout"}},
	}
	for _, tc := range cases {
		for _, h := range []string{"--help", "-h"} {
			name := strings.Join(append(append([]string{}, tc.args...), h), " ")
			t.Run(name, func(t *testing.T) {
				out, stderr, code := runCLI(t, append(append([]string{}, tc.args...), h)...)
				if code != 0 {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				if !strings.HasPrefix(out, "usage: orderbot "+strings.Join(tc.args, " ")) {
					t.Fatalf("usage line missing:\n%s", out)
				}
				for _, f := range tc.flags {
					i := strings.Index(out, "  "+f+" ")
					if i < 0 {
						i = strings.Index(out, "  "+f+"\n")
					}
					if i < 0 {
						t.Fatalf("flag %s not listed:\n%s", f, out)
					}
					// PrintDefaults puts the description on the next line.
					rest := out[i:]
					if nl := strings.Index(rest, "\n"); nl < 0 || len(strings.TrimSpace(strings.SplitN(rest[nl+1:], "\n", 2)[0])) < 5 {
						t.Fatalf("flag %s has no description:\n%s", f, out)
					}
				}
			})
		}
	}
	for _, group := range []string{"config", "slack"} {
		out, _, code := runCLI(t, group, "--help")
		if code != 0 || !strings.Contains(out, "usage: orderbot "+group) {
			t.Fatalf("%s --help: exit %d\n%s", group, code, out)
		}
	}
	if out, _, code := runCLI(t, "--help"); code != 0 || !strings.Contains(out, "slack check") {
		t.Fatalf("orderbot --help: exit %d\n%s", code, out)
	}
	// A bad flag is still an error with the usage on stderr.
	if _, stderr, code := runCLI(t, "serve", "--nope"); code != 2 || !strings.Contains(stderr, "usage: orderbot serve") {
		t.Fatalf("bad flag: exit %d, %s", code, stderr)
	}
}

// docs/kinds.md is the registry's reference; regenerate it with
// `go run ./cmd/orderbot kinds > docs/kinds.md`.
func TestKindsDocumentMatchesTheRegistry(t *testing.T) {
	out, _, code := runCLI(t, "kinds")
	if code != 0 {
		t.Fatalf("kinds: exit %d", code)
	}
	doc, err := os.ReadFile("../../docs/kinds.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != out {
		t.Fatal("docs/kinds.md differs from the kind registry: run `go run ./cmd/orderbot kinds > docs/kinds.md`")
	}
	for _, k := range orderbot.Kinds() {
		if !strings.Contains(out, "\n## "+string(k)+"\n") {
			t.Fatalf("kind %s has no section", k)
		}
	}
}

// slack check names each problem: a missing scope, a channel the bot is not
// in, a channel that does not exist, a user group that does not resolve; it
// exits 1. With everything in place it exits 0.
func TestSlackCheckAgainstTheFake(t *testing.T) {
	scopes := []string{"chat:write", "commands", "channels:read", "groups:read", "channels:history", "groups:history"} // no usergroups:read
	fake := slackfake.New(slackfake.Config{
		Channels:      []string{"C0FIN", "C0WH", "C0ESC"},
		Conversations: map[string]slackfake.Conversation{"C0FIN": {Name: "finance"}, "C0WH": {Name: "warehouse", NotMember: true}, "C0ESC": {Name: "escalations"}},
		Scopes:        scopes,
	})
	defer fake.Close()
	cfg := func(extra string) string {
		return writeFile(t, "orderbot.yaml", `slack:
  bot_token: `+fake.Token()+`
  signing_secret: `+fake.SigningSecret()+`
  api_url: `+fake.APIURL()+`
  escalation_channel: C0ESC
`+extra+`departments:
  finance: {channel: C0FIN, allowed_groups: [S0OPS]}
  warehouse: {channel: C0WH}
  logistics: {channel: C0GONE}
  support: {channel: C0FIN}
  tech: {channel: C0FIN}
`)
	}
	out, stderr, code := runCLI(t, "slack", "check", "--config", cfg(""))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		`connected to workspace "Fake" (T0FAKE) as @orderbot (U0BOT)`,
		"set slack.team_id: T0FAKE",
		"lacks the scope usergroups:read",
		"departments.warehouse.channel: the bot is not a member of #warehouse (C0WH): type /invite @orderbot",
		"departments.logistics.channel: channel C0GONE: channel_not_found",
		"departments.finance.allowed_groups[0]: user group S0OPS: missing_scope",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "departments.finance.channel:") || strings.Contains(out, "slack.escalation_channel:") {
		t.Errorf("a good channel was reported:\n%s", out)
	}

	// A pinned workspace the token does not belong to.
	out, _, code = runCLI(t, "slack", "check", "--config", cfg("  team_id: T0OTHER\n"))
	if code != 1 || !strings.Contains(out, "slack.team_id: ") || !strings.Contains(out, "T0OTHER") {
		t.Fatalf("team mismatch: exit %d\n%s", code, out)
	}

	// Everything in place.
	good := slackfake.New(slackfake.Config{Channels: []string{"C0FIN", "C0ESC"}, UserGroups: map[string][]string{"S0OPS": {"U0A"}}})
	defer good.Close()
	okCfg := writeFile(t, "ok.yaml", `slack:
  bot_token: `+good.Token()+`
  signing_secret: x
  api_url: `+good.APIURL()+`
  escalation_channel: C0ESC
departments:
  finance: {channel: C0FIN, allowed_groups: [S0OPS]}
  warehouse: {channel: C0FIN}
  logistics: {channel: C0FIN}
  support: {channel: C0FIN}
  tech: {channel: C0FIN}
`)
	out, stderr, code = runCLI(t, "slack", "check", "--config", okCfg)
	if code != 0 || !strings.Contains(out, "slack check: ok") {
		t.Fatalf("good setup: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "slack", "channels", "--config", okCfg)
	if code != 0 || !strings.Contains(out, "C0ESC") || !strings.Contains(out, "#c0fin") {
		t.Fatalf("slack channels: exit %d\n%s\n%s", code, out, stderr)
	}

	// A bad token: auth.test fails and nothing else is checked.
	bad := writeFile(t, "bad.yaml", "slack: {bot_token: xoxb-wrong, signing_secret: x, api_url: '"+good.APIURL()+"', escalation_channel: C0ESC}\n"+
		"departments: {finance: {channel: C0FIN}, warehouse: {channel: C0FIN}, logistics: {channel: C0FIN}, support: {channel: C0FIN}, tech: {channel: C0FIN}}\n")
	out, _, code = runCLI(t, "slack", "check", "--config", bad)
	if code != 1 || !strings.Contains(out, "auth.test failed: invalid_auth") {
		t.Fatalf("bad token: exit %d\n%s", code, out)
	}
}

// docs/operations.md explains every metric the code registers.
func TestOperationsGuideNamesEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(orderbot_[a-z_]+)"`)
	found := 0
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			found++
			if !strings.Contains(string(doc), "| `"+m[1]+"` |") {
				t.Errorf("%s registers %s, which docs/operations.md does not explain", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Fatalf("found only %d metric names in the code; the pattern is stale", found)
	}
}

// orderbot healthcheck exits 0 when /healthz answers 200 and 1 otherwise: it
// is the image's HEALTHCHECK, since distroless has no shell or curl.
func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if out, stderr, code := runCLI(t, "healthcheck", "--url", srv.URL+"/healthz"); code != 0 || out != "ok\n" {
		t.Fatalf("healthy: exit %d %q %s", code, out, stderr)
	}
	status = http.StatusServiceUnavailable
	if _, stderr, code := runCLI(t, "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(stderr, "503") {
		t.Fatalf("unhealthy: exit %d %s", code, stderr)
	}
	srv.Close()
	if _, _, code := runCLI(t, "healthcheck", "--url", srv.URL+"/healthz"); code != 1 {
		t.Fatalf("down: exit %d", code)
	}
	t.Setenv("ORDERBOT_ADDR", "0.0.0.0:9")
	if out, _, _ := runCLI(t, "healthcheck", "-h"); !strings.Contains(out, "http://127.0.0.1:9/healthz") {
		t.Fatalf("the default URL does not follow ORDERBOT_ADDR:\n%s", out)
	}
}

// The image builds without a docker engine here, so its Dockerfile is checked
// by construction: base images pinned by digest, a HEALTHCHECK that runs this
// binary's healthcheck, and a .dockerignore that keeps what the build copies.
func TestDockerfileByConstruction(t *testing.T) {
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)`)
	pinned := regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	froms := from.FindAllStringSubmatch(string(df), -1)
	if len(froms) != 2 {
		t.Fatalf("%d FROM lines, want build and runtime", len(froms))
	}
	for _, f := range froms {
		if !pinned.MatchString(f[1]) {
			t.Errorf("base image %s is not pinned by digest", f[1])
		}
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\n?.*CMD \["/usr/local/bin/orderbot", "healthcheck"\]`).Match(df) {
		t.Error("no HEALTHCHECK running orderbot healthcheck")
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ignore), "\n") {
		switch strings.TrimSpace(line) {
		case "go.mod", "go.sum", "orderbot.example.yaml", "cmd", "*.go", "**/*.go":
			t.Errorf(".dockerignore drops %s, which the build needs", line)
		}
	}
}

// orderbot version names the module and its version from the build
// information (a VCS pseudo-version or the tag `go install …@v1.2.3` used).
func TestVersionReportsTheBuild(t *testing.T) {
	out, _, code := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "orderbot ") || !strings.Contains(out, "(github.com/orderbot/orderbot@") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: exit %d %q", code, out)
	}
}
