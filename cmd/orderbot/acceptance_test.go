package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// binary is the orderbot binary built once for the acceptance tests, which run
// it as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orderbot-acceptance")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "orderbot")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building orderbot:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs orderbot with args and extra environment, returning stdout,
// stderr and the exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running orderbot: %v", err)
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// `orderbot poll --once` against every source provider's wire-format fake, seeded
// with every detectable kind, finds every seeded anomaly and opens one ticket
// per fingerprint: at once, or on the second run for the kinds whose flap
// guard wants a second look; a third run opens nothing new.
func TestPollOnceFindsEverySeededKind(t *testing.T) {
	srv := redistest.Start(t)
	p := demo.StartProviders(time.Now, simulatedSources()...)
	defer p.Close()
	// Every detectable kind but system.source_down, which needs a failing
	// source rather than seeded records (TestPollOnceSourceFailureExitsNonZero).
	var kinds []orderbot.Kind
	// The sync kinds need an ERP mirror of the shop, which simulate does not
	// make: TestServeTwoOrderSources* seed them against ERPNext.
	for _, k := range detect.Detectable() {
		if k != orderbot.SystemSourceDown && k.Category() != "sync" {
			kinds = append(kinds, k)
		}
	}
	opts := simulate.Options{AnomalyRate: 0.05, Kinds: kinds}
	p.ShapeWorld(&opts) // Chinese wallet payments go to the simulated Alipay
	ds := simulate.New(7, opts).Generate(600, time.Now())
	if err := p.Load(ds); err != nil {
		t.Fatal(err)
	}
	yaml, env := p.ConfigYAML("@every 1m")
	cfg := writeFile(t, "orderbot.yaml", yaml)
	env = append(env, "REDIS_URL="+srv.URL)
	// Earlier polls saw the seeded sync-lag SKUs differ already: the store
	// remembers since when, as a running orderbot would have.
	st, err := store.New(context.Background(), srv.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.TrackStockDiffs(context.Background(), nil, ds.StockDiffSince); err != nil {
		t.Fatal(err)
	}

	out, stderr, code := runBinary(t, env, "poll", "--once", "--config", cfg)
	if code != 0 {
		t.Fatalf("poll --once exit %d\nstderr:\n%s\nstdout:\n%s", code, stderr, out)
	}
	lines := parseLines(t, out)
	found := map[string]bool{}
	opened := map[string]int{}
	polls := 0
	for _, l := range lines {
		switch l["type"] {
		case "anomaly":
			for _, k := range []string{"kind", "subject", "fingerprint", "severity", "department"} {
				if l[k] == "" {
					t.Fatalf("anomaly line without %s: %v", k, l)
				}
			}
			if _, ok := l["order_id"]; !ok {
				t.Fatalf("anomaly line without order_id: %v", l)
			}
			found[l["kind"].(string)+" "+l["subject"].(string)] = true
		case "ticket":
			if l["ticket"] == "" || l["fingerprint"] == "" || l["change"] == "" {
				t.Fatalf("ticket line incomplete: %v", l)
			}
			if l["change"] == "opened" {
				opened[l["fingerprint"].(string)]++
			}
		case "poll":
			polls++
			if l["ok"] != true {
				t.Fatalf("source failed: %v", l)
			}
		}
	}
	if polls != len(p.Sources) {
		t.Fatalf("%d poll lines, want one per source (%d)", polls, len(p.Sources))
	}
	seededKinds := map[orderbot.Kind]bool{}
	var missing []string
	for _, e := range ds.Expected {
		if !found[string(e.Kind)+" "+e.Subject] {
			missing = append(missing, fmt.Sprintf("%s %s (%s)", e.Kind, e.Subject, e.Note))
		}
		seededKinds[e.Kind] = true
	}
	if len(seededKinds) != len(kinds) {
		t.Errorf("the dataset seeded %d kinds, want all %d", len(seededKinds), len(kinds))
	}
	if len(missing) > 0 {
		t.Errorf("seeded anomalies not found (%d of %d):\n  %s", len(missing), len(ds.Expected), strings.Join(missing, "\n  "))
	}
	for fp, n := range opened {
		if n != 1 {
			t.Errorf("fingerprint %s opened %d times", fp, n)
		}
	}
	t.Logf("%d seeded anomalies over %d kinds, %d tickets opened", len(ds.Expected), len(seededKinds), len(opened))

	// A second cycle opens what the flap guard held back (pending), and
	// every finding has exactly one ticket; a third opens nothing new.
	out, stderr, code = runBinary(t, env, "poll", "--once", "--config", cfg)
	if code != 0 {
		t.Fatalf("second poll exit %d: %s", code, stderr)
	}
	for _, l := range parseLines(t, out) {
		if l["type"] == "ticket" && l["change"] == "opened" {
			opened[l["fingerprint"].(string)]++
		}
		if l["type"] == "ticket" && l["change"] == "reopened" {
			t.Errorf("second poll: %v", l)
		}
	}
	for key := range found {
		kind, subject, _ := strings.Cut(key, " ")
		if fp := orderbot.Fingerprint(orderbot.Kind(kind), subject); opened[fp] != 1 {
			t.Errorf("fingerprint %s opened %d times over two polls, want once", fp, opened[fp])
		}
	}
	out, stderr, code = runBinary(t, env, "poll", "--once", "--config", cfg)
	if code != 0 {
		t.Fatalf("third poll exit %d: %s", code, stderr)
	}
	for _, l := range parseLines(t, out) {
		if l["type"] == "ticket" && (l["change"] == "opened" || l["change"] == "reopened") {
			t.Errorf("third poll: %v", l)
		}
	}
}

// A source that fails makes poll --once exit non-zero, and the third failure in
// a row opens system.source_down.
func TestPollOnceSourceFailureExitsNonZero(t *testing.T) {
	srv := redistest.Start(t)
	cfg := writeFile(t, "orderbot.yaml", `
sources:
  stripe:
    api_url: http://127.0.0.1:1
    max_retries: 0
    timeout: 2s
    stripe: {secret_key: sk_test_dead}
`)
	env := []string{"REDIS_URL=" + srv.URL}
	var last string
	for i := 1; i <= 3; i++ {
		out, _, code := runBinary(t, env, "poll", "--once", "--config", cfg, "--source", "stripe")
		if code != 1 {
			t.Fatalf("run %d: exit %d, want 1\n%s", i, code, out)
		}
		last = out
	}
	if !strings.Contains(last, `"kind":"system.source_down"`) || !strings.Contains(last, `"change":"opened"`) {
		t.Fatalf("third failure did not open system.source_down:\n%s", last)
	}
	if strings.Contains(last, "sk_test_dead") {
		t.Fatal("secret printed in poll output")
	}
}

// A misspelled key is refused with a message naming it; a valid file prints
// the effective config with secrets redacted.
func TestConfigCheck(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "sources:\n  stripe:\n    stripe: {secret_key: sk_test_x}\n    shedule: \"@every 1m\"\n")
	_, stderr, code := runBinary(t, nil, "config", "check", "--config", bad)
	if code == 0 || !strings.Contains(stderr, "sources.stripe.shedule") || !strings.Contains(stderr, `did you mean "schedule"`) {
		t.Fatalf("misspelled key: exit %d, stderr:\n%s", code, stderr)
	}
	good := writeFile(t, "good.yaml", "sources:\n  stripe:\n    stripe: {secret_key: \"${OB_TEST_KEY}\"}\n")
	out, stderr, code := runBinary(t, []string{"OB_TEST_KEY=sk_test_verysecret"}, "config", "check", "--config", good)
	if code != 0 {
		t.Fatalf("valid config: exit %d\n%s", code, stderr)
	}
	if strings.Contains(out, "sk_test_verysecret") || !strings.Contains(out, "secret_key: <redacted>") {
		t.Fatalf("config check output leaks or lacks the redacted secret:\n%s", out)
	}
	_, stderr, code = runBinary(t, nil, "config", "check", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code == 0 || !strings.Contains(stderr, "not found") {
		t.Fatalf("missing file: exit %d, %s", code, stderr)
	}
	out, _, code = runBinary(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "orderbot ") {
		t.Fatalf("version: %d %q", code, out)
	}
	_, _, code = runBinary(t, nil, "frobnicate")
	if code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
}

func parseLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}
