package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// TestValidationProblems: each invalid document yields a problem at the key
// path it is about, with a message that says what is wrong.
func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		path string
		want []string
	}{
		// kinds
		{"unknown kind", "kinds: {payment.unrecordd: {enabled: false}}", nil,
			"kinds.payment.unrecordd", []string{`unknown kind`, `did you mean "payment.unrecorded"`, "valid kinds:", "system.stuck"}},
		{"unknown kind far off", "kinds: {nonsense: {}}", nil,
			"kinds.nonsense", []string{"unknown kind", "valid kinds: customer.invalid_address"}},
		{"param not allowed", "kinds: {payment.unrecorded: {params: {units: 3}}}", nil,
			"kinds.payment.unrecorded.params.units", []string{"not a parameter of payment.unrecorded", "it takes: after"}},
		{"param on kind without params", "kinds: {payment.duplicate: {params: {after: 1h}}}", nil,
			"kinds.payment.duplicate.params.after", []string{"it takes no parameters"}},
		{"param unknown name", "kinds: {payment.unrecorded: {params: {aftr: 1h}}}", nil,
			"kinds.payment.unrecorded.params.aftr", []string{`did you mean "after"`}},
		{"param after zero", "kinds: {shipping.stalled: {params: {after: 0s}}}", nil,
			"kinds.shipping.stalled.params.after", []string{"must be positive"}},
		{"param warn not before after", "kinds: {shipping.late_dispatch: {params: {warn: 2d}}}", nil,
			"kinds.shipping.late_dispatch.params.warn", []string{"must be shorter than after (2d)"}},
		{"param tolerance negative", "kinds: {payment.amount_mismatch: {params: {tolerance: -0.5}}}", nil,
			"kinds.payment.amount_mismatch.params.tolerance", []string{"≥ 0"}},
		{"param units negative", "kinds: {inventory.sync_lag: {params: {units: -1}}}", nil,
			"kinds.inventory.sync_lag.params.units", []string{"must not be negative"}},
		{"param max_age zero", "kinds: {inventory.sync_lag: {params: {max_age: 0s}}}", nil,
			"kinds.inventory.sync_lag.params.max_age", []string{"must be positive"}},
		{"param failures zero", "kinds: {system.source_down: {params: {failures: 0}}}", nil,
			"kinds.system.source_down.params.failures", []string{"at least 1"}},
		{"flap open_after zero", "kinds: {payment.missing: {flap: {open_after: 0}}}", nil,
			"kinds.payment.missing.flap.open_after", []string{"at least 1"}},
		{"flap resolve_for negative", "kinds: {payment.missing: {flap: {resolve_for: -1m}}}", nil,
			"kinds.payment.missing.flap.resolve_for", []string{"must not be negative"}},
		{"flap churn window zero", "kinds: {system.stuck: {flap: {churn_window: 0s}}}", nil,
			"kinds.system.stuck.flap.churn_window", []string{"must be positive while churn_limit is 3"}},
		{"flap on a manual kind", "kinds: {shipping.not_received: {flap: {open_after: 2}}}", nil,
			"kinds.shipping.not_received.flap", []string{"opened by staff"}},
		{"param status terminal", "kinds: {system.stuck: {params: {statuses: {completed: 1h}}}}", nil,
			"kinds.system.stuck.params.statuses.completed", []string{"non-terminal", "pending, processing, on_hold"}},
		{"param status bad duration", "kinds: {system.stuck: {params: {statuses: {pending: soon}}}}", nil,
			"kinds.system.stuck.params.statuses.pending", []string{"bad duration"}},
		{"param status zero", "kinds: {system.stuck: {params: {statuses: {pending: 0s}}}}", nil,
			"kinds.system.stuck.params.statuses.pending", []string{"must be positive"}},
		{"param skus negative", "kinds: {inventory.low_stock: {params: {skus: {A-1: -2}}}}", nil,
			"kinds.inventory.low_stock.params.skus.A-1", []string{"must not be negative"}},
		{"param skus not a number", "kinds: {inventory.low_stock: {params: {skus: {A-1: many}}}}", nil,
			"kinds.inventory.low_stock.params.skus.A-1", []string{"must be a whole number", `"many"`}},
		{"severity", "kinds: {payment.missing: {severity: urgent}}", nil,
			"kinds.payment.missing.severity", []string{"low, medium, high or critical"}},
		{"ack sla negative", "kinds: {payment.missing: {ack_sla: -1m}}", nil,
			"kinds.payment.missing.ack_sla", []string{"must be positive"}},
		{"resolve before ack", "kinds: {payment.missing: {ack_sla: 2h, resolve_sla: 1h}}", nil,
			"kinds.payment.missing.resolve_sla", []string{"shorter than the ack target 2h"}},
		{"kind department name", "kinds: {payment.missing: {department: Finance Team}}", nil,
			"kinds.payment.missing.department", []string{"department name"}},

		// durations and numbers
		{"bad duration", "tickets: {reopen_window: 5x}", nil,
			"tickets.reopen_window", []string{`bad duration "5x"`}},
		{"bare number duration", "sla: {sweep_every: 30}", nil,
			"sla.sweep_every", []string{`bad duration "30"`, "unit"}},
		{"negative duration", "sla: {sweep_every: -5s}", nil,
			"sla.sweep_every", []string{"must be positive, got -5s"}},
		{"zero duration", "server: {shutdown_timeout: 0s}", nil,
			"server.shutdown_timeout", []string{"must be positive"}},
		{"negative warn_before", "sla: {warn_before: -1m}", nil,
			"sla.warn_before", []string{"must not be negative"}},
		{"zero storm threshold", "tickets: {storm_threshold: 0}", nil,
			"tickets.storm_threshold", []string{"must be positive"}},
		{"digest time not HH:MM", "slack: {digest_time: '8.30'}", nil,
			"slack.digest_time", []string{`must be a local time of day as HH:MM (24-hour), got "8.30"`}},
		{"digest time out of range", "slack: {digest_time: '24:00'}", nil,
			"slack.digest_time", []string{"HH:MM"}},
		{"spike factor too small", "analytics: {spike_factor: 1}", nil,
			"analytics.spike_factor", []string{"must be a number above 1"}},
		{"spike weeks beyond the hour rollups", "analytics: {spike_weeks: 12}", nil,
			"analytics.spike_weeks", []string{"must be 2 to 10 weeks, got 12"}},
		{"scorecard factor not above 1", "analytics: {scorecard_factor: 1}", nil,
			"analytics.scorecard_factor", []string{"must be a number above 1"}},
		{"scorecard without volume", "analytics: {scorecard_min_volume: 0}", nil,
			"analytics.scorecard_min_volume", []string{"must be at least 1"}},
		{"scorecard weeks beyond the seen counts", "analytics: {scorecard_weeks: 11}", nil,
			"analytics.scorecard_weeks", []string{"must be 2 to 10 weeks, got 11"}},
		{"dashboard open beyond loopback", "dashboard: {enabled: true}", nil,
			"dashboard.token", []string{"is required when the dashboard is enabled", `":8080"`}},
		{"dashboard trusted header malformed", "dashboard: {trusted_header: 'X Forwarded: User'}", nil,
			"dashboard.trusted_header", []string{"must be an HTTP header name"}},
		{"zero retention", "tickets: {retention: 0}", nil,
			"tickets.retention", []string{"must be positive"}},
		{"retention shorter than reopen window", "tickets: {retention: 12h}", nil,
			"tickets.retention", []string{"must be at least tickets.reopen_window (1d), got 12h"}},
		{"zero body", "server: {max_body_bytes: 0}", nil,
			"server.max_body_bytes", []string{"must be positive"}},
		{"int not a number", "server: {max_body_bytes: lots}", nil,
			"server.max_body_bytes", []string{"must be a whole number", `"lots"`}},
		{"bool not a bool", "notices: {enabled: maybe}", nil,
			"notices.enabled", []string{"must be true or false"}},
		{"zero daily cap", "notices: {daily_cap: 0}", nil,
			"notices.daily_cap", []string{"must be positive"}},
		{"negative overlap", "sources: {stripe: {enabled: false, overlap: -1m}}", nil,
			"sources.stripe.overlap", []string{"must not be negative"}},
		{"zero timeout", "sources: {stripe: {enabled: false, timeout: 0s}}", nil,
			"sources.stripe.timeout", []string{"must be positive"}},
		{"negative retries", "sources: {stripe: {enabled: false, max_retries: -1}}", nil,
			"sources.stripe.max_retries", []string{"must not be negative"}},
		{"negative rate", "sources: {stripe: {enabled: false, rate_limit: -2}}", nil,
			"sources.stripe.rate_limit", []string{"positive number of requests per second"}},
		{"zero posts per second", "slack: {posts_per_second: 0}", nil,
			"slack.posts_per_second", []string{"must be a positive number"}},
		{"escalation negative", "sla: {escalation: [{after: -1m, action: mention_leads}]}", nil,
			"sla.escalation[0].after", []string{"must not be negative"}},
		{"escalation order", "sla: {escalation: [{after: 1h, action: mention_leads}, {after: 30m, action: mention_leads}]}", nil,
			"sla.escalation[1].after", []string{"in order"}},
		{"escalation action", "sla: {escalation: [{after: 0s, action: page_ceo}]}", nil,
			"sla.escalation[0].action", []string{`unknown action "page_ceo"`, "mention_leads, post_escalation_channel"}},

		// schedules
		{"bad cron", `sources: {stripe: {enabled: false, schedule: "61 * * * *"}}`, nil,
			"sources.stripe.schedule", []string{"bad schedule", "61"}},
		{"cron step beyond the minutes", `sources: {stripe: {enabled: false, schedule: "*/61 * * * *"}}`, nil,
			"sources.stripe.schedule", []string{"minute step 61", "0-59"}},
		{"cron step of 90 minutes", `sources: {stripe: {enabled: false, schedule: "*/90 * * * *"}}`, nil,
			"sources.stripe.schedule", []string{"minute step 90", "not every 90"}},
		{"cron hour out of range", `sources: {stripe: {enabled: false, schedule: "0 25 * * *"}}`, nil,
			"sources.stripe.schedule", []string{"bad schedule", "above maximum (23)"}},
		{"cron hour step in a range", `sources: {stripe: {enabled: false, schedule: "0 8-18/12 * * *"}}`, nil,
			"sources.stripe.schedule", []string{"hour step 12", "8-18"}},
		{"cron step with TZ and seconds", `sources: {stripe: {enabled: false, schedule: "CRON_TZ=UTC */70 * * * * *"}}`, nil,
			"sources.stripe.schedule", []string{"second step 70"}},
		{"cron TZ without spec panics in the parser", `sources: {stripe: {enabled: false, schedule: "TZ=UTC"}}`, nil,
			"sources.stripe.schedule", []string{"bad schedule"}},
		{"cron bad zone", `sources: {stripe: {enabled: false, schedule: "CRON_TZ=Mars/Base 0 * * * *"}}`, nil,
			"sources.stripe.schedule", []string{"bad location"}},
		{"every too short", `sources: {stripe: {enabled: false, schedule: "@every 500ms"}}`, nil,
			"sources.stripe.schedule", []string{"at least 1s"}},
		{"every bad duration", `sources: {stripe: {enabled: false, schedule: "@every often"}}`, nil,
			"sources.stripe.schedule", []string{"Go duration"}},
		{"cron never fires", `sources: {stripe: {enabled: false, schedule: "0 0 30 2 *"}}`, nil,
			"sources.stripe.schedule", []string{"never fires"}},
		{"unknown descriptor", `sources: {stripe: {enabled: false, schedule: "@fortnightly"}}`, nil,
			"sources.stripe.schedule", []string{"bad schedule"}},

		// sources
		{"unknown source type", "sources: {shop: {type: shopfy}}", nil,
			"sources.shop.type", []string{`unknown source type "shopfy"`, `did you mean "shopify"`, "stripe, shopify, erpnext, aftership, kuaidi100"}},
		{"missing source type", "sources: {shop: {enabled: false}}", nil,
			"sources.shop.type", []string{"required"}},
		{"block does not match type", "sources: {pay: {type: shopify, enabled: false, api_url: 'https://x.myshopify.com', stripe: {secret_key: sk_x}}}", nil,
			"sources.pay.stripe", []string{`does not match type "shopify"`}},
		{"provides not allowed", "sources: {stripe: {enabled: false, provides: [orders]}}", nil,
			"sources.stripe.provides[0]", []string{`cannot provide "orders"`, "payments"}},
		{"bad source name", "sources: {My-Shop: {type: stripe, enabled: false}}", nil,
			"sources.My-Shop", []string{"lower-case"}},
		{"stripe secret missing", "sources: {stripe: {}}", nil,
			"sources.stripe.stripe.secret_key", []string{"required for an enabled stripe source"}},
		{"stripe secret from unset env", "sources: {stripe: {stripe: {secret_key: '${STRIPE_KEY}'}}}", nil,
			"sources.stripe.stripe.secret_key", []string{"required", "STRIPE_KEY is not set"}},
		{"stripe publishable key", "sources: {stripe: {stripe: {secret_key: pk_live_abc}}}", nil,
			"sources.stripe.stripe.secret_key", []string{"publishable key"}},
		{"shopify token missing", "sources: {shopify: {api_url: 'https://x.myshopify.com', shopify: {location_ids: ['1']}}}", nil,
			"sources.shopify.shopify.access_token", []string{"required for an enabled shopify source"}},
		{"shopify api url missing", "sources: {shopify: {shopify: {access_token: t}}}", nil,
			"sources.shopify.api_url", []string{"required"}},
		{"shopify empty location", "sources: {shopify: {api_url: 'https://x.myshopify.com', shopify: {access_token: t, location_ids: ['']}}}", nil,
			"sources.shopify.shopify.location_ids[0]", []string{"must not be empty"}},
		{"shopify api version", "sources: {shopify: {enabled: false, api_url: 'https://x.myshopify.com', shopify: {api_version: latest}}}", nil,
			"sources.shopify.shopify.api_version", []string{"quarterly version"}},
		{"aftership api version", "sources: {aftership: {enabled: false, aftership: {api_version: '2025-01'}}}", nil,
			"sources.aftership.aftership.api_version", []string{"2024-04, 2023-10, v4"}},
		{"erpnext key missing", "sources: {erp: {type: erpnext, api_url: 'https://erp.example.com', erpnext: {api_secret: s}}}", nil,
			"sources.erp.erpnext.api_key", []string{"required for an enabled erpnext source"}},
		{"erpnext secret missing", "sources: {erp: {type: erpnext, api_url: 'https://erp.example.com', erpnext: {api_key: k}}}", nil,
			"sources.erp.erpnext.api_secret", []string{"required"}},
		{"aftership key missing", "sources: {aftership: {}}", nil,
			"sources.aftership.aftership.api_key", []string{"required"}},
		{"kuaidi100 customer missing", "sources: {kd: {type: kuaidi100, kuaidi100: {key: k}}}", nil,
			"sources.kd.kuaidi100.customer", []string{"required"}},
		{"kuaidi100 key missing", "sources: {kd: {type: kuaidi100, kuaidi100: {customer: c}}}", nil,
			"sources.kd.kuaidi100.key", []string{"required"}},
		{"source api url scheme", "sources: {stripe: {enabled: false, api_url: 'ftp://api.stripe.com'}}", nil,
			"sources.stripe.api_url", []string{"absolute http:// or https:// URL"}},
		{"source api url relative", "sources: {stripe: {enabled: false, api_url: '/v1'}}", nil,
			"sources.stripe.api_url", []string{"absolute"}},
		{"source api url credentials", "sources: {stripe: {enabled: false, api_url: 'https://user:pw@api.stripe.com'}}", nil,
			"sources.stripe.api_url", []string{"must not carry credentials"}},

		// departments and slack
		{"department channel by name", "departments: {finance: {channel: finance}}", nil,
			"departments.finance.channel", []string{"Slack channel id", "orderbot slack channels"}},
		{"escalation channel lower case", "slack: {escalation_channel: c0esc}", nil,
			"slack.escalation_channel", []string{"Slack channel id"}},
		{"team id shape", "slack: {team_id: acme}", nil,
			"slack.team_id", []string{"Slack team id"}},
		{"twilio account sid shape", "notices: {twilio: {account_sid: AC123}}", nil,
			"notices.twilio.account_sid", []string{"AC and 32 hex digits"}},
		{"twilio account sid of another type", "notices: {twilio: {account_sid: MG0123456789abcdef0123456789abcdef}}", nil,
			"notices.twilio.account_sid", []string{"AC and 32 hex digits"}},
		{"twilio messaging service sid shape", "notices: {twilio: {messaging_service_sid: MG123}}", nil,
			"notices.twilio.messaging_service_sid", []string{"MG and 32 hex digits"}},
		{"aliyun template code shape", "notices: {aliyun: {templates: {shipping.stalled/open: '123'}}}", nil,
			"notices.aliyun.templates.shipping.stalled/open", []string{"SMS_123456789"}},
		{"department without channel", "departments: {finance: {leads: [U01]}}", nil,
			"departments.finance.channel", []string{"required"}},
		{"department bad lead", "departments: {finance: {channel: C0FIN, leads: ['@alice']}}", nil,
			"departments.finance.leads[0]", []string{"Slack user id"}},
		{"department bad group", "departments: {finance: {channel: C0FIN, allowed_groups: [U0ABC]}}", nil,
			"departments.finance.allowed_groups[0]", []string{"user-group id"}},
		{"department bad zone", "departments: {finance: {channel: C0FIN, timezone: Asia/Shangai}}", nil,
			"departments.finance.timezone", []string{`unknown time zone "Asia/Shangai"`}},
		{"signing secret missing", "slack: {bot_token: xoxb-1}" + allDepartments, nil,
			"slack.signing_secret", []string{"required"}},
		{"bot token missing in socket mode", "slack: {app_token: xapp-1}", nil,
			"slack.bot_token", []string{"required when slack.app_token is set"}},
		{"bot token is an app token", "slack: {bot_token: xapp-1, signing_secret: s}" + allDepartments, nil,
			"slack.bot_token", []string{"app-level token"}},
		{"escalation channel missing", "slack: {bot_token: xoxb-1, signing_secret: s}" + allDepartments, nil,
			"slack.escalation_channel", []string{"sla.escalation[1].action posts to the escalation channel"}},
		{"slack api url", "slack: {api_url: 'slack.com/api/'}", nil,
			"slack.api_url", []string{"absolute"}},
		{"slack api url slash", "slack: {api_url: 'http://127.0.0.1:9999/api'}", nil,
			"slack.api_url", []string{"must end with /"}},
		{"slack command", "slack: {command: ob}", nil,
			"slack.command", []string{"slash command"}},

		// top level
		{"bad timezone", "timezone: Europe/Berln", nil,
			"timezone", []string{`unknown time zone "Europe/Berln"`}},
		{"unknown timezone", "timezone: Nowhere", nil,
			"timezone", []string{"unknown time zone"}},
		{"log level", "log: {level: verbose}", nil,
			"log.level", []string{"debug, info, warn or error"}},
		{"log format", "log: {format: xml}", nil,
			"log.format", []string{"json or text"}},
		{"server addr", "server: {addr: 'localhost'}", nil,
			"server.addr", []string{"host:port"}},
		{"server port", "server: {addr: ':http-alt'}", nil,
			"server.addr", []string{"port must be a number"}},
		{"redis scheme", "redis: {url: 'http://127.0.0.1:6379'}", nil,
			"redis.url", []string{"must start with redis://"}},
		{"redis prefix braces", "redis: {prefix: '{ob}'}", nil,
			"redis.prefix", []string{"no braces"}},
		{"retention in flight too short", "redis: {retention: {in_flight: 12h, finished: 6h}}", nil,
			"redis.retention.in_flight", []string{"at least 1d"}},
		{"retention finished too short", "redis: {retention: {finished: 10m}}", nil,
			"redis.retention.finished", []string{"at least 1h"}},
		{"retention finished longer", "redis: {retention: {in_flight: 2d, finished: 3d}}", nil,
			"redis.retention.finished", []string{"not be longer than redis.retention.in_flight"}},

		// notices
		{"quiet hours hour", `notices: {quiet_hours: {start: "25:00"}}`, nil,
			"notices.quiet_hours.start", []string{`bad time of day "25:00"`}},
		{"quiet hours format", `notices: {quiet_hours: {end: "8am"}}`, nil,
			"notices.quiet_hours.end", []string{"HH:MM"}},
		{"notice zone", "notices: {default_timezone: Mars/Olympus}", nil,
			"notices.default_timezone", []string{"unknown time zone"}},
		{"sms provider", "notices: {sms: {provider: nexmo}}", nil,
			"notices.sms.provider", []string{"twilio, aliyun or none"}},
		{"email provider", "notices: {email: {provider: mailgun}}", nil,
			"notices.email.provider", []string{"sendgrid, smtp or none"}},
		{"twilio sid missing", "notices: {enabled: true, email: {provider: none}, twilio: {auth_token: t, from: '+15005550006'}}", nil,
			"notices.twilio.account_sid", []string{"required for SMS by Twilio"}},
		{"twilio token missing", "notices: {enabled: true, email: {provider: none}, twilio: {account_sid: AC0123456789abcdef0123456789abcdef, from: '+15005550006'}}", nil,
			"notices.twilio.auth_token", []string{"required"}},
		{"twilio sender missing", "notices: {enabled: true, email: {provider: none}, twilio: {account_sid: AC0123456789abcdef0123456789abcdef, auth_token: t}}", nil,
			"notices.twilio.from", []string{"messaging_service_sid"}},
		{"aliyun secret missing", "notices: {enabled: true, sms: {provider: aliyun}, email: {provider: none}, aliyun: {access_key_id: id, sign_name: S, templates: {shipping.stalled/open: SMS_1}}}", nil,
			"notices.aliyun.access_key_secret", []string{"required for SMS by Alibaba Cloud"}},
		{"aliyun sign name missing", "notices: {enabled: true, sms: {provider: aliyun}, email: {provider: none}, aliyun: {access_key_id: id, access_key_secret: s, templates: {shipping.stalled/open: SMS_1}}}", nil,
			"notices.aliyun.sign_name", []string{"required"}},
		{"aliyun templates missing", "notices: {enabled: true, sms: {provider: aliyun}, email: {provider: none}, aliyun: {access_key_id: id, access_key_secret: s, sign_name: S}}", nil,
			"notices.aliyun.templates", []string{"approved template codes"}},
		{"aliyun template key", "notices: {aliyun: {templates: {shipping.stalled: SMS_1}}}", nil,
			"notices.aliyun.templates.shipping.stalled", []string{"kind/event"}},
		{"aliyun template kind", "notices: {aliyun: {templates: {shipping.lost/open: SMS_1}}}", nil,
			"notices.aliyun.templates.shipping.lost/open", []string{"unknown kind"}},
		{"aliyun template event", "notices: {aliyun: {templates: {shipping.stalled/opened: SMS_1}}}", nil,
			"notices.aliyun.templates.shipping.stalled/opened", []string{"unknown event", "open, resolve, breach, manual"}},
		{"aliyun api url", "notices: {aliyun: {api_url: 'dysmsapi'}}", nil,
			"notices.aliyun.api_url", []string{"absolute"}},
		{"sendgrid key missing", "notices: {enabled: true, sms: {provider: none}, sendgrid: {from: a@example.com}}", nil,
			"notices.sendgrid.api_key", []string{"required for email by SendGrid"}},
		{"sendgrid from bad", "notices: {enabled: true, sms: {provider: none}, sendgrid: {api_key: k, from: 'not an address'}}", nil,
			"notices.sendgrid.from", []string{"bare email address"}},
		{"smtp host missing", "notices: {enabled: true, sms: {provider: none}, email: {provider: smtp}, smtp: {from: a@example.com}}", nil,
			"notices.smtp.host", []string{"required for email by SMTP"}},
		{"smtp password missing", "notices: {enabled: true, sms: {provider: none}, email: {provider: smtp}, smtp: {host: h, from: a@example.com, username: u}}", nil,
			"notices.smtp.password", []string{"required when notices.smtp.username is set"}},
		{"smtp port", "notices: {smtp: {port: 70000}}", nil,
			"notices.smtp.port", []string{"1-65535"}},
		{"both channels off", "notices: {enabled: true, sms: {provider: none}, email: {provider: none}}", nil,
			"notices", []string{"both"}},
		{"twilio api url", "notices: {twilio: {api_url: 'https://api.twilio.com?x=1'}}", nil,
			"notices.twilio.api_url", []string{"without query"}},
		{"shop name missing", "notices: {enabled: true, sms: {provider: none}, sendgrid: {api_key: k, from: a@example.com}}", nil,
			"notices.shop_name", []string{"required when notices are enabled"}},
		{"shop name two lines", "notices: {shop_name: \"A\\nB\"}", nil,
			"notices.shop_name", []string{"one line"}},
		{"default region", "notices: {default_region: China}", nil,
			"notices.default_region", []string{"two-letter country code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.doc, env(tt.env))
			if _, ok := findProblem(ps, tt.path, tt.want...); !ok {
				t.Fatalf("no problem at %q containing %q; got:%s", tt.path, tt.want, listProblems(ps))
			}
			// Every message names its key: the rendered error carries the path.
			_, err := ParseWith(testProviders, []byte(tt.doc), env(tt.env))
			if !strings.Contains(err.Error(), tt.path+": ") {
				t.Errorf("error text does not name %q:\n%v", tt.path, err)
			}
		})
	}
}

// TestDepartmentsRequiredOnlyWithSlack: enabled kinds must route to configured
// departments once Slack is on; without Slack nothing is routed.
func TestDepartmentsRequiredOnlyWithSlack(t *testing.T) {
	slack := "slack: {bot_token: xoxb-1, signing_secret: s, escalation_channel: C0ESC}\n"

	// Slack off: no departments needed.
	mustParse(t, "departments: {}\n", noEnv)

	// Slack on, no departments: one problem per missing department, naming the kinds.
	ps := problemsOf(t, slack, noEnv)
	for _, d := range []string{"finance", "warehouse", "logistics", "support", "tech"} {
		if _, ok := findProblem(ps, "departments."+d, "missing"); !ok {
			t.Errorf("no problem for department %s:%s", d, listProblems(ps))
		}
	}
	if p, _ := findProblem(ps, "departments.finance"); !strings.Contains(p.Msg, "payment.unrecorded") {
		t.Errorf("finance problem does not name its kinds: %q", p.Msg)
	}

	// Disabled kinds need no department: disable every kind of tech and support.
	doc := slack + `
departments:
  finance: {channel: C0FIN}
  warehouse: {channel: C0WH}
  logistics: {channel: C0LOG}
kinds:
  inventory.sync_lag: {enabled: false}
  system.stuck: {enabled: false}
  system.state_violation: {enabled: false}
  system.source_down: {enabled: false}
  shipping.not_received: {enabled: false}
  customer.invalid_phone: {enabled: false}
  customer.invalid_address: {department: logistics}
`
	mustParse(t, doc, noEnv)

	// An explicit route to a missing department is reported at the kind.
	ps = problemsOf(t, slack+allDepartments+"kinds: {payment.missing: {department: accounting}}\n", noEnv)
	if _, ok := findProblem(ps, "kinds.payment.missing.department", `"accounting" is not configured`); !ok {
		t.Fatalf("no problem at the kind's department:%s", listProblems(ps))
	}
}

// TestDisabledSourceNeedsNoSecrets: credentials are only required for sources
// and providers that are in use.
func TestDisabledSourceNeedsNoSecrets(t *testing.T) {
	doc := `
sources:
  stripe: {enabled: false}
  shopify: {enabled: false, api_url: "https://x.myshopify.com"}
  erp: {type: erpnext, enabled: false, api_url: "https://erp.example.com"}
  aftership: {enabled: false}
  kuaidi100: {enabled: false}
notices:
  enabled: false
  sms: {provider: aliyun}
  email: {provider: smtp}
`
	c := mustParse(t, doc, noEnv)
	if c.Sources["stripe"].Enabled {
		t.Fatal("enabled: false was not honoured")
	}
}

// TestAllProblemsAtOnce: one bad file reports every problem, across the
// structural (unknown key, bad value) and semantic stages.
func TestAllProblemsAtOnce(t *testing.T) {
	doc := `
servr: {}
server: {addr: nowhere, max_body_bytes: -1}
timezone: Mars/Base
tickets: {reopen_window: soon}
sources:
  stripe: {schedule: "99 * * * *"}
kinds:
  payment.unknown: {}
notices: {quiet_hours: {start: "7pm"}}
`
	ps := problemsOf(t, doc, noEnv)
	want := []string{"servr", "server.addr", "server.max_body_bytes", "timezone", "tickets.reopen_window",
		"sources.stripe.schedule", "sources.stripe.stripe.secret_key", "kinds.payment.unknown", "notices.quiet_hours.start"}
	for _, p := range want {
		if _, ok := findProblem(ps, p); !ok {
			t.Errorf("missing problem at %s; got:%s", p, listProblems(ps))
		}
	}
	// A bad value is reported once, not again as "must be positive" on the
	// zero value it left behind.
	n := 0
	for _, p := range ps {
		if p.Path == "tickets.reopen_window" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("tickets.reopen_window reported %d times:%s", n, listProblems(ps))
	}
	_, err := ParseWith(testProviders, []byte(doc), noEnv)
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != len(ps) {
		t.Fatalf("errors.As: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "config: ") || !strings.Contains(err.Error(), "problems:") {
		t.Errorf("error text: %q", err.Error())
	}
	if orderbot.KindOf(err) != orderbot.KindInvalid {
		t.Errorf("kind = %q", orderbot.KindOf(err))
	}
}

// TestStructuralProblems: wrong shapes, duplicates and documents that are not
// one mapping.
func TestStructuralProblems(t *testing.T) {
	tests := []struct {
		name, doc, path, want string
	}{
		{"scalar for mapping", "server: 8080", "server", "must be a mapping"},
		{"list for mapping", "sources: [stripe]", "sources", "must be a mapping"},
		{"mapping for list", "sla: {escalation: {after: 1m}}", "sla.escalation", "must be a list"},
		{"list for scalar", "timezone: [UTC]", "timezone", "must be a string"},
		{"mapping for duration", "sla: {sweep_every: {s: 1}}", "sla.sweep_every", "must be a duration"},
		{"duplicate key", "log: {level: info}\nlog: {level: debug}\n", "log", "duplicate key (first set on line 1)"},
		{"second document", "log: {level: info}\n---\nlog: {level: debug}\n", "", "single YAML document"},
		{"not a mapping", "- a\n- b\n", "", "must be a mapping of keys"},
		{"scalar document", "hello", "", "must be a mapping of keys"},
		{"malformed", "server: {addr: ':80'\n", "", "malformed YAML"},
		{"tab indentation", "server:\n\taddr: ':80'\n", "", "malformed YAML"},
		{"unterminated env", "timezone: ${TZ", "timezone", "unterminated ${"},
		{"bad env name", "timezone: ${1TZ}", "timezone", "bad environment reference"},
		{"unterminated env in a duration", "sla:\n  sweep_every: ${X\n", "sla.sweep_every", "unterminated ${"},
		{"secret mapping shape", "slack: {bot_token: {path: /x}}", "slack.bot_token", "single key file"},
		{"secret list", "slack: {bot_token: [a]}", "slack.bot_token", "string or a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.doc, noEnv)
			if _, ok := findProblem(ps, tt.path, tt.want); !ok {
				t.Fatalf("no problem at %q containing %q; got:%s", tt.path, tt.want, listProblems(ps))
			}
			// One mistake, one problem: later stages do not repeat it.
			if len(ps) != 1 {
				t.Errorf("%d problems for one mistake:%s", len(ps), listProblems(ps))
			}
		})
	}
}

// TestUnknownKeys: unknown keys at every depth are errors naming the full path,
// with a suggestion when a valid key is close.
func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name, doc, path, want string
	}{
		{"top level", "servr: {}", "servr", `did you mean "server"`},
		{"top level far", "frobnicate: 1", "frobnicate", "valid keys here: analytics, dashboard, departments, kinds, log, notices, redis, server, sla, slack, sources, tickets, timezone"},
		{"server", "server: {adr: ':80'}", "server.adr", `did you mean "addr"`},
		{"source", "sources: {shopify: {shopfy: {}}}", "sources.shopify.shopfy", `did you mean "shopify"`},
		{"source block", "sources: {shopify: {shopify: {acess_token: x}}}", "sources.shopify.shopify.acess_token", `did you mean "access_token"`},
		{"kind", "kinds: {payment.unrecorded: {sevrity: low}}", "kinds.payment.unrecorded.sevrity", `did you mean "severity"`},
		{"kind notices", "kinds: {payment.unrecorded: {notices: {on_opn: true}}}", "kinds.payment.unrecorded.notices.on_opn", `did you mean "on_open"`},
		{"escalation step", "sla: {escalation: [{after: 0s, actoin: mention_leads}]}", "sla.escalation[0].actoin", `did you mean "action"`},
		{"department", "departments: {finance: {chanel: C1}}", "departments.finance.chanel", `did you mean "channel"`},
		{"notices smtp", "notices: {smtp: {startls: true}}", "notices.smtp.startls", `did you mean "starttls"`},
		{"notices quiet hours", "notices: {quiet_hours: {begin: '22:00'}}", "notices.quiet_hours.begin", "valid keys here: end, start"},
		{"extension key below top level", "log: {x-note: hi}", "log.x-note", "valid keys here: format, level"},
		{"merged into log", "x-defaults: &d {levle: debug}\nlog:\n  <<: *d\n", "log.levle", `did you mean "level"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.doc, noEnv)
			if _, ok := findProblem(ps, tt.path, "unknown key", tt.want); !ok {
				t.Fatalf("no problem at %q containing %q; got:%s", tt.path, tt.want, listProblems(ps))
			}
		})
	}
}

// TestMergeKeys: YAML anchors and merge keys work for repeated blocks, and
// explicit keys win over merged ones; top-level x- keys may hold anchors.
func TestMergeKeys(t *testing.T) {
	doc := `
x-source: &src {enabled: false, timeout: 30s, max_retries: 5}
sources:
  stripe: {<<: *src, max_retries: 1}
  aftership: *src
departments:
  finance: &dept {channel: C0FIN, leads: [U0LEAD], timezone: Asia/Shanghai}
  warehouse:
    <<: *dept
    channel: C0WH
`
	c := mustParse(t, doc, noEnv)
	wh := c.Departments["warehouse"]
	if wh.Channel != "C0WH" || wh.Timezone != "Asia/Shanghai" || len(wh.Leads) != 1 {
		t.Fatalf("warehouse = %+v", wh)
	}
	st, as := c.Sources["stripe"], c.Sources["aftership"]
	if st.Enabled || st.Timeout.D() != 30*time.Second || st.MaxRetries != 1 {
		t.Errorf("stripe = %+v", st)
	}
	if as.Enabled || as.MaxRetries != 5 || as.Type != "aftership" {
		t.Errorf("aftership = %+v", as)
	}
}

// TestAliasBomb: exponential expansion through aliases and merge keys is
// refused after a bounded amount of work, not walked or decoded. The refusal
// names the alias budget, which is what bounds the work; no wall-clock check
// (a timed unit test fails on a busy machine, not on a regression).
func TestAliasBomb(t *testing.T) {
	doc := `
x-a: &a {level: info, format: json}
x-b: &b {<<: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]}
x-c: &c {<<: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]}
x-d: &d {<<: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]}
x-e: &e {<<: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}
x-f: &f {<<: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]}
log: {<<: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]}
`
	ps := problemsOf(t, doc, noEnv)
	if _, ok := findProblem(ps, "", "too many aliases"); !ok {
		t.Fatalf("alias bomb not refused as such:%s", listProblems(ps))
	}
}
