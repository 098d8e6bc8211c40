package config

import (
	"errors"
	"github.com/orderbot/orderbot/integrations/provider"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// TestDefaults: a nearly empty file gives the defaults, and the defaults are
// valid on their own.
func TestDefaults(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default() is invalid: %v", err)
	}
	for _, doc := range []string{"", "\n", "# only a comment\n", "---\n", "{}", "~", "server:\nlog:\n"} {
		c := mustParse(t, doc, noEnv)
		d := Default()
		d.UseProviders(testProviders)
		if !reflect.DeepEqual(c, d) {
			t.Errorf("Parse(%q) differs from Default()", doc)
		}
	}
	d := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"server.addr", d.Server.Addr, ":8080"},
		{"server.max_body_bytes", d.Server.MaxBodyBytes, int64(1 << 20)},
		{"server.shutdown_timeout", d.Server.ShutdownTimeout.D(), 20 * time.Second},
		{"log.level", d.Log.Level, "info"},
		{"log.format", d.Log.Format, "json"},
		{"timezone", d.Timezone, "UTC"},
		{"redis.url", d.Redis.URL.Value(), "redis://127.0.0.1:6379/0"},
		{"redis.prefix", d.Redis.Prefix, "ob"},
		{"tickets.reopen_window", d.Tickets.ReopenWindow.D(), 24 * time.Hour},
		{"tickets.storm_threshold", d.Tickets.StormThreshold, 20},
		{"tickets.retention", d.Tickets.Retention.D(), 180 * 24 * time.Hour},
		{"slack.digest_time", d.Slack.DigestTime, "08:30"},
		{"tickets.storm_window", d.Tickets.StormWindow.D(), 10 * time.Minute},
		{"sla.sweep_every", d.SLA.SweepEvery.D(), 10 * time.Second},
		{"sla.warn_before", d.SLA.WarnBefore.D(), 15 * time.Minute},
		{"sla.escalation", d.SLA.Escalation, []EscalationStep{{0, EscalateMentionLeads}, {Duration(30 * time.Minute), EscalatePostEscalationChannel}}},
		{"slack.api_url", d.Slack.APIURL, "https://slack.com/api/"},
		{"slack.command", d.Slack.Command, "/ob"},
		{"slack.posts_per_second", d.Slack.PostsPerSecond, 1.0},
		{"slack configured", d.Slack.Configured(), false},
		{"notices.enabled", d.Notices.Enabled, false},
		{"notices.quiet_hours", d.Notices.QuietHours, QuietHours{Start: Clock(21, 0), End: Clock(8, 0)}},
		{"notices.default_timezone", d.Notices.DefaultTimezone, "UTC"},
		{"notices.daily_cap", d.Notices.DailyCap, 3},
		{"notices.sms.provider", d.Notices.SMS.Provider, SMSTwilio},
		{"notices.email.provider", d.Notices.Email.Provider, EmailSendGrid},
		{"notices.smtp.port", d.Notices.SMTP.Port, 587},
		{"notices.smtp.starttls", d.Notices.SMTP.StartTLS, true},
		{"notices.twilio.api_url", d.Notices.Twilio.APIURL, DefaultTwilioAPIURL},
		{"kinds", d.KindSettings(), orderbot.DefaultKindSettings()},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestPartialFileKeepsOtherDefaults: setting one key of a block leaves the
// block's other keys at their defaults; a source gets its type's defaults.
func TestPartialFileKeepsOtherDefaults(t *testing.T) {
	c := mustParse(t, `
server: {addr: ":9090"}
timezone: Asia/Shanghai
sources:
  stripe: {stripe: {secret_key: sk_test_1}}
  tracking: {type: aftership, aftership: {api_key: k}, max_retries: 0, overlap: 0s}
departments:
  finance: {channel: C0FIN}
`, noEnv)
	if c.Server.Addr != ":9090" || c.Server.MaxBodyBytes != 1<<20 || c.Server.ShutdownTimeout.D() != 20*time.Second {
		t.Errorf("server = %+v", c.Server)
	}
	st := c.Sources["stripe"]
	key := st.Block.(*stripe.Config).SecretKey
	want := Source{Type: "stripe", Enabled: true, Schedule: "@every 1m", APIURL: "https://api.stripe.com",
		Provides: []orderbot.DataSet{orderbot.DataPayments}, Overlap: Duration(10 * time.Minute),
		InitialLookback: Duration(72 * time.Hour), RecheckEvery: Duration(2 * time.Hour),
		Timeout: Duration(15 * time.Second), MaxRetries: 3, RateLimit: 20,
		Block: &stripe.Config{SecretKey: key, OrderIDKey: "order_id"}}
	if !reflect.DeepEqual(st, want) || key.Value() != "sk_test_1" {
		t.Errorf("stripe source =\n%+v\nwant\n%+v", st, want)
	}
	tr := c.Sources["tracking"]
	if tr.MaxRetries != 0 || tr.Overlap != 0 || tr.RateLimit != 8 || tr.APIURL != "https://api.aftership.com/tracking/2024-04" || !tr.Has(orderbot.DataTracking) {
		t.Errorf("explicit zeros or type defaults lost: %+v", tr)
	}
	if got := c.Departments["finance"].Timezone; got != "Asia/Shanghai" {
		t.Errorf("department timezone = %q, want the top-level one", got)
	}
	if c.Notices.DefaultTimezone != "Asia/Shanghai" {
		t.Errorf("notices.default_timezone = %q", c.Notices.DefaultTimezone)
	}
	if c.Location().String() != "Asia/Shanghai" {
		t.Errorf("Location = %v", c.Location())
	}
	// An entry left empty has every default, like one written as {}.
	// (Enabled by default, it then needs only its key.)
	ps := problemsOf(t, "sources:\n  aftership:\n", noEnv)
	if len(ps) != 1 || ps[0].Path != "sources.aftership.aftership.api_key" {
		t.Errorf("empty source entry:%s", listProblems(ps))
	}
	// A null list keeps the default chain; an empty one means no escalation.
	c = mustParse(t, "sla:\n  escalation:\n", noEnv)
	if len(c.SLA.Escalation) != 2 {
		t.Errorf("null escalation = %v", c.SLA.Escalation)
	}
	c = mustParse(t, "sla: {escalation: []}", noEnv)
	if len(c.SLA.Escalation) != 0 {
		t.Errorf("escalation = %v", c.SLA.Escalation)
	}
}

// TestNewSource: a source built in code has the same defaults as one read
// from a file.
func TestNewSource(t *testing.T) {
	for _, typ := range testProviders.SourceTypes() {
		t.Run(typ, func(t *testing.T) {
			c := mustParse(t, "sources:\n  s:\n    type: "+typ+"\n    enabled: false\n", noEnv)
			got := c.Sources["s"]
			got.Enabled = true
			if want := c.NewSource(SourceType(typ)); !reflect.DeepEqual(got, want) {
				t.Errorf("from file %+v\nNewSource %+v", got, want)
			}
		})
	}
}

// TestEnvExpansion covers ${VAR}, ${VAR:-default}, unset variables, escapes,
// and that a value from the environment is always one scalar.
func TestEnvExpansion(t *testing.T) {
	vars := map[string]string{
		"ZONE":  "Europe/Berlin",
		"EMPTY": "",
		"PORT":  "2525",
		"YAMLY": "a: b\n- [c]\n# d",
		"TOKEN": "xoxb-from-env",
		"DOLLA": "p$ss${word}",
	}
	tests := []struct {
		name  string
		doc   string
		check func(*Config) (got, want any)
	}{
		{"plain", "timezone: ${ZONE}", func(c *Config) (any, any) { return c.Timezone, "Europe/Berlin" }},
		{"default when unset", "timezone: ${NOPE:-Asia/Tokyo}", func(c *Config) (any, any) { return c.Timezone, "Asia/Tokyo" }},
		{"default when empty", "timezone: ${EMPTY:-Asia/Tokyo}", func(c *Config) (any, any) { return c.Timezone, "Asia/Tokyo" }},
		{"set wins over default", "timezone: ${ZONE:-Asia/Tokyo}", func(c *Config) (any, any) { return c.Timezone, "Europe/Berlin" }},
		{"inside a string", "redis: {prefix: 'ob-${PORT}-x'}", func(c *Config) (any, any) { return c.Redis.Prefix, "ob-2525-x" }},
		{"two references", "redis: {prefix: '${PORT}${PORT}'}", func(c *Config) (any, any) { return c.Redis.Prefix, "25252525" }},
		{"number from env", "notices:\n  smtp:\n    port: ${PORT}\n", func(c *Config) (any, any) { return c.Notices.SMTP.Port, 2525 }},
		{"bool from env default", "notices:\n  smtp:\n    starttls: ${NOPE:-false}\n", func(c *Config) (any, any) { return c.Notices.SMTP.StartTLS, false }},
		{"duration from env default", "sla:\n  sweep_every: ${NOPE:-2d}\n", func(c *Config) (any, any) { return c.SLA.SweepEvery.D(), 48 * time.Hour }},
		{"yaml syntax stays text", "notices: {opt_out_file: '${YAMLY}'}", func(c *Config) (any, any) { return c.Notices.OptOutFile, vars["YAMLY"] }},
		{"yaml syntax stays text unquoted", "notices:\n  templates_dir: ${YAMLY}\n", func(c *Config) (any, any) { return c.Notices.TemplatesDir, vars["YAMLY"] }},
		{"no recursive expansion", "notices:\n  opt_out_file: ${DOLLA}\n", func(c *Config) (any, any) { return c.Notices.OptOutFile, "p$ss${word}" }},
		{"escaped", "notices: {opt_out_file: '$${ZONE}'}", func(c *Config) (any, any) { return c.Notices.OptOutFile, "${ZONE}" }},
		{"lone dollar", "notices: {opt_out_file: 'a$b$'}", func(c *Config) (any, any) { return c.Notices.OptOutFile, "a$b$" }},
		{"secret", "slack: {bot_token: '${TOKEN}', signing_secret: s}\n" + allDepartments + "sla: {escalation: []}",
			func(c *Config) (any, any) { return c.Slack.BotToken.Value(), "xoxb-from-env" }},
		{"unset is empty", "slack: {digest_channel: '${NOPE}'}", func(c *Config) (any, any) { return c.Slack.DigestChannel, "" }},
		{"unset plain keeps the default", "sla:\n  sweep_every: ${NOPE}\n", func(c *Config) (any, any) { return c.SLA.SweepEvery.D(), 10 * time.Second }},
		{"keys are not expanded", "kinds: {payment.unrecorded: {department: '${NOPE:-finance}'}}",
			func(c *Config) (any, any) { return c.KindSettings()[orderbot.PaymentUnrecorded].Department, "finance" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.doc, env(vars))
			if got, want := tt.check(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}

	// An unset variable without a default is a warning naming it and the path.
	c := mustParse(t, "slack: {digest_channel: '${DIGEST_CHANNEL}'}", env(vars))
	w := c.Warnings()
	if len(w) != 1 || w[0].Path != "slack.digest_channel" || !strings.Contains(w[0].Msg, "DIGEST_CHANNEL is not set") {
		t.Errorf("warnings = %v", w)
	}
	// With a default there is nothing to warn about.
	c = mustParse(t, "slack: {digest_channel: '${DIGEST_CHANNEL:-}'}", env(vars))
	if len(c.Warnings()) != 0 {
		t.Errorf("warnings = %v", c.Warnings())
	}
	// A key is never expanded: "${X}" as a key stays an unknown key.
	ps := problemsOf(t, "${ZONE}: x", env(vars))
	if _, ok := findProblem(ps, "${ZONE}", "unknown key"); !ok {
		t.Errorf("key was expanded:%s", listProblems(ps))
	}
	// A quoted reference stays a string, so it cannot fill a number.
	ps = problemsOf(t, `notices: {smtp: {port: "${PORT}"}}`, env(vars))
	if _, ok := findProblem(ps, "notices.smtp.port", "whole number"); !ok {
		t.Errorf("quoted reference decoded as a number:%s", listProblems(ps))
	}
	// A value that is not UTF-8 is refused.
	ps = problemsOf(t, "timezone: ${BAD}", env(map[string]string{"BAD": "\xff\xfe"}))
	if _, ok := findProblem(ps, "timezone", "UTF-8"); !ok {
		t.Errorf("invalid UTF-8 accepted:%s", listProblems(ps))
	}
}

// TestEnvOverrides: REDIS_URL, SLACK_API_URL, SLACK_APP_TOKEN and ORDERBOT_ADDR
// win over the file; empty values do not.
func TestEnvOverrides(t *testing.T) {
	doc := `
server: {addr: ":8080"}
redis: {url: "redis://file:6379/0"}
slack: {api_url: "https://slack.com/api/", app_token: xapp-file, bot_token: xoxb-1}
sla: {escalation: []}
` + allDepartments
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config) bool
	}{
		{"none", nil, func(c *Config) bool {
			return c.Redis.URL.Value() == "redis://file:6379/0" && c.Server.Addr == ":8080" &&
				c.Slack.APIURL == "https://slack.com/api/" && c.Slack.AppToken.Value() == "xapp-file"
		}},
		{"REDIS_URL", map[string]string{"REDIS_URL": "redis://:pw@env:6380/2"}, func(c *Config) bool {
			return c.Redis.URL.Value() == "redis://:pw@env:6380/2"
		}},
		{"SLACK_API_URL", map[string]string{"SLACK_API_URL": "http://127.0.0.1:4390/api/"}, func(c *Config) bool {
			return c.Slack.APIURL == "http://127.0.0.1:4390/api/"
		}},
		{"SLACK_APP_TOKEN", map[string]string{"SLACK_APP_TOKEN": "xapp-env"}, func(c *Config) bool {
			return c.Slack.AppToken.Value() == "xapp-env" && c.Slack.SocketMode()
		}},
		{"ORDERBOT_ADDR", map[string]string{"ORDERBOT_ADDR": "127.0.0.1:0"}, func(c *Config) bool {
			return c.Server.Addr == "127.0.0.1:0"
		}},
		{"empty is ignored", map[string]string{"REDIS_URL": "", "ORDERBOT_ADDR": " "}, func(c *Config) bool {
			return c.Redis.URL.Value() == "redis://file:6379/0" && c.Server.Addr == ":8080"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, doc, env(tt.env))
			if !tt.want(c) {
				t.Errorf("override not applied: redis=%s addr=%s api=%s", c.Redis.URL.Value(), c.Server.Addr, c.Slack.APIURL)
			}
		})
	}
	// Overrides are validated like the file.
	ps := problemsOf(t, "", env(map[string]string{"SLACK_API_URL": "not a url", "REDIS_URL": "mysql://x"}))
	for _, p := range []string{"slack.api_url", "redis.url"} {
		if _, ok := findProblem(ps, p); !ok {
			t.Errorf("override of %s not validated:%s", p, listProblems(ps))
		}
	}
}

// TestSecretFile: {file: path} reads the secret from a file, without its
// trailing newline; an unreadable file is a problem at the key.
func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SECRETS": dir}
	c := mustParse(t, "slack:\n  bot_token: {file: '${SECRETS}/token'}\n  signing_secret:\n    file: "+tok+"\nsla: {escalation: []}\n"+allDepartments, env(vars))
	if c.Slack.BotToken.Value() != "xoxb-from-file" || c.Slack.SigningSecret.Value() != "xoxb-from-file" {
		t.Fatalf("secret from file = %q", c.Slack.BotToken.Value())
	}
	for _, tt := range []struct{ doc, want string }{
		{"slack: {bot_token: {file: " + filepath.Join(dir, "missing") + "}}", "cannot read secret file"},
		{"slack: {bot_token: {file: " + empty + "}}", "is empty"},
		{"slack: {bot_token: {file: ''}}", "path is empty"},
	} {
		ps := problemsOf(t, tt.doc, noEnv)
		if _, ok := findProblem(ps, "slack.bot_token", tt.want); !ok {
			t.Errorf("%s: no problem %q:%s", tt.doc, tt.want, listProblems(ps))
		}
	}
}

// TestExampleFile: the shipped example parses and validates with its
// variables set, with notices both off (its default) and on.
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("../orderbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"SHOPIFY_TOKEN": "shpat_example", "STRIPE_SECRET_KEY": "sk_test_example",
		"ERPNEXT_API_KEY": "erp-key", "ERPNEXT_API_SECRET": "erp-secret", "AFTERSHIP_API_KEY": "as-key",
		"KUAIDI100_CUSTOMER": "KDCUSTOMER", "KUAIDI100_KEY": "kd-key",
		"SLACK_BOT_TOKEN": "xoxb-example", "SLACK_SIGNING_SECRET": "signing-example",
		"TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef", "TWILIO_AUTH_TOKEN": "twilio-token",
		"ALIYUN_ACCESS_KEY_ID": "LTAIexample", "ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret",
		"SENDGRID_API_KEY": "SG.example", "SMTP_PASSWORD": "smtp-password",
	}
	c := mustParse(t, string(data), env(vars))
	if len(c.Warnings()) != 0 {
		t.Errorf("warnings with every variable set: %v", c.Warnings())
	}
	if c.Notices.Enabled {
		t.Error("notices are on by default in the example")
	}
	if got, want := len(c.Sources), len(testProviders.SourceTypes()); got != want {
		t.Errorf("%d sources, want one per type (%d)", got, want)
	}
	if c.Sources["kuaidi100"].Enabled || !c.Sources["shopify"].Enabled {
		t.Error("example source switches changed")
	}
	if c.Sources["shopify"].Block.(*shopify.Config).AccessToken.Value() != "shpat_example" {
		t.Error("shopify token not expanded")
	}
	ks := c.KindSettings()
	if ks[orderbot.CustomerInvalidPhone].Enabled || ks[orderbot.InventoryLowStock].Severity != orderbot.SeverityMedium ||
		ks[orderbot.SystemStuck].Params.Statuses[orderbot.OrderProcessing] != 72*time.Hour {
		t.Error("example kind overrides not applied")
	}

	vars["ORDERBOT_NOTICES"] = "true"
	c = mustParse(t, string(data), env(vars))
	if !c.Notices.Enabled {
		t.Fatal("ORDERBOT_NOTICES=true did not enable notices")
	}

	// Without its secrets the example reports each one missing, by path.
	ps := problemsOf(t, string(data), noEnv)
	for _, p := range []string{"sources.shopify.shopify.access_token", "sources.stripe.stripe.secret_key",
		"sources.erpnext.erpnext.api_key", "sources.erpnext.erpnext.api_secret", "sources.aftership.aftership.api_key",
		"slack.bot_token"} {
		if p == "slack.bot_token" {
			// Without a bot token Slack is simply off: not a problem.
			if _, ok := findProblem(ps, p); ok {
				t.Errorf("unexpected problem at %s", p)
			}
			continue
		}
		if _, ok := findProblem(ps, p, "required", "is not set"); !ok {
			t.Errorf("no problem at %s:%s", p, listProblems(ps))
		}
	}
}

// TestKindSettings: overrides change exactly what they set.
func TestKindSettings(t *testing.T) {
	c := mustParse(t, `
kinds:
  payment.unrecorded:
    enabled: false
  payment.missing:
    department: accounting
    severity: high
    ack_sla: 5m
    resolve_sla: 1d
    notices: {on_resolve: true}
  shipping.late_dispatch:
    params: {after: 3d}
  customer.invalid_address:
    resolve_sla: 8h
  system.stuck:
    params: {statuses: {processing: 2d}}
  inventory.low_stock:
    params: {units: 2, skus: {A-1: 10}}
  system.source_down:
    params: {failures: 5}
  payment.amount_mismatch:
    params: {tolerance: 0.5}
  inventory.sync_lag:
    params: {max_age: 1h}
`, noEnv)
	got := c.KindSettings()
	def := orderbot.DefaultKindSettings()
	if len(got) != len(def) {
		t.Fatalf("%d kinds, want %d", len(got), len(def))
	}
	want := func(k orderbot.Kind, f func(*orderbot.KindSettings)) orderbot.KindSettings {
		s := def[k]
		f(&s)
		return s
	}
	expected := map[orderbot.Kind]orderbot.KindSettings{
		orderbot.PaymentUnrecorded: want(orderbot.PaymentUnrecorded, func(s *orderbot.KindSettings) { s.Enabled = false }),
		orderbot.PaymentMissing: want(orderbot.PaymentMissing, func(s *orderbot.KindSettings) {
			s.Department, s.Severity, s.AckSLA, s.ResolveSLA = "accounting", orderbot.SeverityHigh, 5*time.Minute, 24*time.Hour
			s.Notices.OnResolve = true
		}),
		orderbot.ShippingLateDispatch: want(orderbot.ShippingLateDispatch, func(s *orderbot.KindSettings) { s.Params.After = 72 * time.Hour }),
		orderbot.CustomerInvalidAddr: want(orderbot.CustomerInvalidAddr, func(s *orderbot.KindSettings) {
			s.ResolveSLA, s.ResolveByShipBy = 8*time.Hour, false
		}),
		orderbot.SystemStuck: want(orderbot.SystemStuck, func(s *orderbot.KindSettings) {
			s.Params.Statuses = map[orderbot.OrderStatus]time.Duration{orderbot.OrderProcessing: 48 * time.Hour}
		}),
		orderbot.InventoryLowStock: want(orderbot.InventoryLowStock, func(s *orderbot.KindSettings) {
			s.Params.Units, s.Params.SKUs = 2, map[string]int64{"A-1": 10}
		}),
		orderbot.SystemSourceDown:      want(orderbot.SystemSourceDown, func(s *orderbot.KindSettings) { s.Params.Failures = 5 }),
		orderbot.PaymentAmountMismatch: want(orderbot.PaymentAmountMismatch, func(s *orderbot.KindSettings) { s.Params.Tolerance = 0.5 }),
		orderbot.InventorySyncLag:      want(orderbot.InventorySyncLag, func(s *orderbot.KindSettings) { s.Params.MaxAge = time.Hour }),
	}
	for _, k := range orderbot.Kinds() {
		w, changed := expected[k]
		if !changed {
			w = def[k]
		}
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s:\n got  %+v\n want %+v", k, got[k], w)
		}
	}
	// The defaults in the registry are not changed by overrides.
	if orderbot.DefaultKindSettings()[orderbot.SystemStuck].Params.Statuses[orderbot.OrderPending] != 24*time.Hour {
		t.Error("override leaked into the registry defaults")
	}
}

// TestRedactedRoundTrip: the effective config printed by Redacted parses back
// to the same configuration (secrets aside) and lists every kind.
func TestRedactedRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../orderbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SHOPIFY_TOKEN": "a", "STRIPE_SECRET_KEY": "sk_b", "ERPNEXT_API_KEY": "c",
		"ERPNEXT_API_SECRET": "d", "AFTERSHIP_API_KEY": "e", "SLACK_BOT_TOKEN": "xoxb-f", "SLACK_SIGNING_SECRET": "g"}
	c := mustParse(t, string(data), env(vars))
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range orderbot.Kinds() {
		if !strings.Contains(string(out), "\n  "+string(k)+":") {
			t.Errorf("kind %s missing from Redacted output", k)
		}
	}
	back := mustParse(t, string(out), noEnv)
	if !reflect.DeepEqual(back.KindSettings(), c.KindSettings()) {
		t.Error("kind settings differ after the round trip")
	}
	// Compare with every secret blanked on both sides.
	if a, b := blankSecrets(c), blankSecrets(back); !reflect.DeepEqual(a, b) {
		t.Errorf("round trip differs:\n%+v\n%+v", a, b)
	}
	if back.Slack.BotToken.Value() != redacted {
		t.Errorf("bot token after round trip = %q", back.Slack.BotToken.Value())
	}
}

// blankSecrets returns a copy of c's sources, slack and notices without
// secrets, and without the fields Redacted is not meant to preserve.
func blankSecrets(c *Config) Config {
	out := *c
	out.Kinds = nil
	out.warnings, out.unsetAt = nil, nil
	out.Redis.URL = Secret{}
	out.Slack.BotToken, out.Slack.SigningSecret, out.Slack.AppToken = Secret{}, Secret{}, Secret{}
	n := &out.Notices
	n.Twilio.AuthToken, n.Aliyun.AccessKeyID, n.Aliyun.AccessKeySecret, n.SendGrid.APIKey, n.SMTP.Password =
		Secret{}, Secret{}, Secret{}, Secret{}, Secret{}
	out.Sources = map[string]Source{}
	for name, s := range c.Sources {
		if s.Block != nil {
			s.Block = blankBlock(s.Block)
		}
		out.Sources[name] = s
	}
	return out
}

// blankBlock returns a copy of a provider's block with every Secret empty.
func blankBlock(b provider.Block) provider.Block {
	v := reflect.New(reflect.TypeOf(b).Elem())
	v.Elem().Set(reflect.ValueOf(b).Elem())
	for i := 0; i < v.Elem().NumField(); i++ {
		if f := v.Elem().Field(i); f.Type() == secretType {
			f.Set(reflect.Zero(secretType))
		}
	}
	return v.Interface().(provider.Block)
}

// TestLoad: file errors are classified; a good file loads.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadWith(testProviders, filepath.Join(dir, "missing.yaml"), noEnv)
	if !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxFileBytes+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWith(testProviders, big, noEnv); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("oversized file: %v", err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("log: {level: debug}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(testProviders, good, noEnv)
	if err != nil || c.Log.Level != "debug" {
		t.Fatalf("Load = %v, %v", c, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("log: {level: loud}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadWith(testProviders, bad, noEnv)
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Path != "log.level" {
		t.Errorf("bad file: %v", err)
	}
}

// TestParseSchedule: the accepted forms, and the parser panic turned into an error.
func TestParseSchedule(t *testing.T) {
	for _, spec := range []string{"@every 1m", "@every 90s", "@hourly", "@daily", "*/5 * * * *", "0 */2 * * * *",
		"TZ=Asia/Shanghai 0 9 * * *", "CRON_TZ=UTC 30 0 9 * * mon-fri"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
	for _, spec := range []string{"", "TZ=", "TZ=UTC", "CRON_TZ=Nowhere/Zone * * * * *", "* * *", "@every 0s", "@every -1m", "0 0 31 2 *"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
