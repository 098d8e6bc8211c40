package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/stripe"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// secretValues are distinctive values for every secret a config holds; none
// may appear in any rendering of the config.
var secretValues = map[string]string{
	"REDIS_PW": "redis-pw-4f1c", "STRIPE": "sk_live_stripe-9a7d", "SHOPIFY": "shpat_shopify-1b2e",
	"ERP_KEY": "erp-key-5c3a", "ERP_SECRET": "erp-secret-8d4f", "AFTERSHIP": "aftership-6e2b",
	"KD_CUSTOMER": "kd-customer-3f9a", "KD_KEY": "kd-key-7a1d", "BOT": "xoxb-bot-2c8e",
	"SIGNING": "signing-4b6f", "APP": "xapp-app-9e3c", "TWILIO": "twilio-token-1d5a",
	"ALI_ID": "ali-id-6f2c", "ALI_SECRET": "ali-secret-8b4e", "SENDGRID": "SG.sendgrid-3a7f",
	"SMTP": "smtp-pw-5e9d",
}

const allSecretsDoc = `
redis:
  url: redis://:${REDIS_PW}@redis.internal:6379/0
sources:
  stripe:
    stripe:
      secret_key: ${STRIPE}
  shopify:
    api_url: https://x.myshopify.com
    shopify:
      access_token: ${SHOPIFY}
      location_ids: ["1"]
  erpnext:
    api_url: https://erp.example.com
    erpnext:
      api_key: ${ERP_KEY}
      api_secret: ${ERP_SECRET}
  aftership:
    aftership:
      api_key: ${AFTERSHIP}
  kuaidi100:
    kuaidi100:
      customer: ${KD_CUSTOMER}
      key: ${KD_KEY}
slack:
  bot_token: ${BOT}
  signing_secret: ${SIGNING}
  app_token: ${APP}
  escalation_channel: C0ESC
notices:
  enabled: true
  shop_name: Shop
  sms: {provider: aliyun}
  email: {provider: smtp}
  twilio:
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: ${TWILIO}
    from: "+15005550006"
  aliyun:
    access_key_id: ${ALI_ID}
    access_key_secret: ${ALI_SECRET}
    sign_name: Shop
    templates: {shipping.stalled/open: SMS_1}
  sendgrid:
    api_key: ${SENDGRID}
    from: a@example.com
  smtp:
    host: smtp.example.com
    username: u
    password: ${SMTP}
    from: a@example.com
` + allDepartments

// TestSecretsNeverLeak renders a config holding every kind of secret in every
// way a config gets printed, logged or marshalled, and looks for the values.
func TestSecretsNeverLeak(t *testing.T) {
	c := mustParse(t, allSecretsDoc, env(secretValues))
	if c.Slack.BotToken.Value() != secretValues["BOT"] || c.Notices.SMTP.Password.Value() != secretValues["SMTP"] {
		t.Fatal("secrets not loaded")
	}
	redactedYAML, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "cfg", c, "slack", c.Slack, "token", c.Slack.BotToken,
		"stripe", *c.Sources["stripe"].Block.(*stripe.Config), "notices", c.Notices)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "cfg", c, "slack", c.Slack, "token", c.Slack.BotToken,
		"stripe", *c.Sources["stripe"].Block.(*stripe.Config), "notices", c.Notices)

	renderings := map[string]string{
		"Redacted":  string(redactedYAML),
		"json":      string(jsonOut),
		"yaml":      string(yamlOut),
		"slog json": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T", "%d"} {
		renderings["fmt "+verb+" *Config"] = fmt.Sprintf(verb, c)
		renderings["fmt "+verb+" Config"] = fmt.Sprintf(verb, *c)
		renderings["fmt "+verb+" Slack"] = fmt.Sprintf(verb, c.Slack)
		renderings["fmt "+verb+" Notices"] = fmt.Sprintf(verb, c.Notices)
		renderings["fmt "+verb+" Stripe"] = fmt.Sprintf(verb, *c.Sources["stripe"].Block.(*stripe.Config))
		renderings["fmt "+verb+" Kuaidi100"] = fmt.Sprintf(verb, *c.Sources["kuaidi100"].Block.(*kuaidi100.Config))
		renderings["fmt "+verb+" Secret"] = fmt.Sprintf(verb, c.Slack.BotToken)
	}
	renderings["String"] = c.Slack.BotToken.String()
	renderings["GoString"] = c.Slack.BotToken.GoString()
	renderings["fmt %v struct with unexported secret"] = fmt.Sprintf("%+v", struct{ s Secret }{c.Slack.BotToken})

	for name, out := range renderings {
		for key, v := range secretValues {
			if strings.Contains(out, v) {
				t.Errorf("%s leaks %s:\n%s", name, key, out)
			}
		}
	}
	if !strings.Contains(string(redactedYAML), "bot_token: <redacted>") {
		t.Errorf("Redacted does not mark the bot token:\n%s", redactedYAML)
	}
	if !strings.Contains(string(redactedYAML), "url: redis://:xxxxx@redis.internal:6379/0") {
		t.Errorf("Redacted does not show the Redis host with the password masked:\n%s", redactedYAML)
	}
}

// TestSecretForms: a set secret renders as "<redacted>", an empty one as "".
func TestSecretForms(t *testing.T) {
	for _, tt := range []struct {
		s    Secret
		want string
	}{{NewSecret("hunter2"), redacted}, {NewSecret(""), ""}, {Secret{}, ""}} {
		j, _ := tt.s.MarshalJSON()
		y, _ := tt.s.MarshalYAML()
		txt, _ := tt.s.MarshalText()
		got := []string{tt.s.String(), tt.s.GoString(), fmt.Sprint(tt.s), fmt.Sprintf("%+v", tt.s), fmt.Sprintf("%#v", tt.s),
			tt.s.LogValue().String(), y.(string), string(txt)}
		for i, g := range got {
			if g != tt.want {
				t.Errorf("rendering %d of %q = %q, want %q", i, tt.s.Value(), g, tt.want)
			}
		}
		var js string
		if err := json.Unmarshal(j, &js); err != nil || js != tt.want {
			t.Errorf("json = %s", j)
		}
		if q := fmt.Sprintf("%q", tt.s); q != fmt.Sprintf("%q", tt.want) {
			t.Errorf("%%q = %s", q)
		}
		if tt.s.IsSet() != (tt.want != "") || tt.s.IsZero() == tt.s.IsSet() {
			t.Errorf("IsSet/IsZero wrong for %q", tt.s.Value())
		}
	}
	if NewSecret("hunter2").Value() != "hunter2" {
		t.Error("Value does not return the secret")
	}
}

// TestProblemsDoNotEchoSecrets: validation messages about secret-bearing keys
// never quote the value.
func TestProblemsDoNotEchoSecrets(t *testing.T) {
	docs := []string{
		"redis: {url: 'http://user:topsecret-1@host:6379'}",
		"redis: {url: '://topsecret-1'}",
		"sources: {stripe: {stripe: {secret_key: pk_live_topsecret-1}}}",
		"slack: {bot_token: xapp-topsecret-1, signing_secret: s}",
		"sources: {stripe: {enabled: false, api_url: 'https://u:topsecret-1@api.stripe.com'}}",
	}
	for _, doc := range docs {
		_, err := ParseWith(testProviders, []byte(doc), noEnv)
		if err == nil {
			t.Errorf("%s accepted", doc)
			continue
		}
		if strings.Contains(err.Error(), "topsecret-1") {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}
