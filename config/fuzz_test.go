package config

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: no input makes Parse panic; every input is either a Config or an
// *Error, and an accepted Config renders through Redacted.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../orderbot.example.yaml"); err == nil {
		f.Add(data)
	}
	for _, seed := range []string{
		"", "{}", "server: {addr: ':80'}", "sources: {stripe: {schedule: 'TZ='}}",
		"sources:\n  s:\n    type: shopify\n    schedule: \"CRON_TZ=x\"\n",
		"kinds: {system.stuck: {params: {statuses: {pending: 1d}}}}",
		"x-a: &a {level: info}\nlog: {<<: *a}\n", "a: &a [*a]", "log: {level: ${LEVEL:-info}}",
		"slack: {bot_token: {file: /nonexistent}}", "sla: {escalation: [{after: 1d, action: mention_leads}]}",
		"notices: {quiet_hours: {start: '25:61'}}", "? [a]\n: b\n", "!!binary aGk=: 1", "log: !!str {a: b}",
		"sources: {s: {type: stripe, stripe: {}, shopify: {}}}", "timezone: ${TZ", "---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	lookup := env(map[string]string{"LEVEL": "debug", "TZ": "UTC"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseWith(testProviders, data, lookup)
		if err != nil {
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for _, p := range ce.Problems {
				if strings.HasPrefix(p.Msg, backstopPrefix) {
					t.Fatalf("the walker missed what the strict decoder found: %s", p.Msg)
				}
			}
			return
		}
		if _, err := c.Redacted(); err != nil {
			t.Fatalf("Redacted: %v", err)
		}
	})
}
