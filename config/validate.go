package config

import (
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/robfig/cron/v3"
)

var (
	namePattern    = regexp.MustCompile(`^[a-z0-9_-]+$`)
	userIDPattern  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	commandPattern = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)
	prefixPattern  = regexp.MustCompile(`^[A-Za-z0-9_:.-]{1,64}$`)
)

// Validate checks a Config built in code (Parse validates what it returns):
// every problem at once, as an *Error. Call ApplyDefaults first.
func (c *Config) Validate() error {
	var ps problems
	c.validate(&ps)
	return ps.err()
}

func (c *Config) validate(ps *problems) {
	v := validator{c: c, ps: ps}
	v.server()
	v.log()
	v.zone("timezone", c.Timezone, true)
	v.redis()
	v.tickets()
	v.analytics()
	v.dashboard()
	v.sla()
	v.sources()
	v.departments()
	v.kinds()
	v.slack()
	v.notices()
	v.ids()
}

type validator struct {
	c  *Config
	ps *problems
}

func (v validator) add(path, format string, args ...any) {
	v.ps.addUnlessReported(path, fmt.Sprintf(format, args...))
}

// required reports a missing value, naming the ${VAR} that left it empty.
func (v validator) required(path, why string) {
	msg := "required " + why
	if names := v.c.unsetAt[path]; len(names) > 0 {
		msg += fmt.Sprintf(" (environment variable %s is not set)", strings.Join(names, ", "))
	}
	v.ps.addUnlessReported(path, msg)
}

func (v validator) positive(path string, d Duration) {
	if d <= 0 {
		v.add(path, "must be positive, got %s", d)
	}
}

func (v validator) nonNegative(path string, d Duration) {
	if d < 0 {
		v.add(path, "must not be negative, got %s", d)
	}
}

func (v validator) zone(path, name string, required bool) {
	if name == "" {
		if required {
			v.required(path, "(an IANA time zone such as UTC or Asia/Shanghai)")
		}
		return
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" {
		v.add(path, "unknown time zone %q: use an IANA name such as UTC, Europe/Berlin or Asia/Shanghai", truncate(name, 60))
	}
}

// apiURL checks a base URL. The value is never echoed: a URL may carry
// credentials.
func (v validator) apiURL(path, raw string, required bool) {
	if raw == "" {
		if required {
			v.required(path, "(the base URL of the API)")
		}
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.add(path, "must be an absolute http:// or https:// URL")
	case u.User != nil:
		v.add(path, "must not carry credentials; put them in the secret keys")
	case u.RawQuery != "" || u.Fragment != "":
		v.add(path, "must be a base URL without query or fragment")
	}
}

// derivedZone checks a zone that defaults to the top-level timezone; when it
// holds that default and the top-level one is already reported, once is enough.
func (v validator) derivedZone(path, name string) {
	if name == v.c.Timezone && v.ps.reported("timezone") {
		return
	}
	v.zone(path, name, false)
}

func (v validator) server() {
	s := v.c.Server
	if host, port, err := net.SplitHostPort(s.Addr); err != nil {
		v.add("server.addr", "must be host:port or :port, got %q", truncate(s.Addr, 60))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		v.add("server.addr", "port must be a number 0-65535, got %q", truncate(port, 20))
	} else if strings.ContainsAny(host, " /") {
		v.add("server.addr", "bad host %q", truncate(host, 60))
	}
	if s.MaxBodyBytes <= 0 {
		v.add("server.max_body_bytes", "must be positive, got %d", s.MaxBodyBytes)
	}
	v.positive("server.shutdown_timeout", s.ShutdownTimeout)
}

func (v validator) log() {
	switch v.c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", "must be debug, info, warn or error, got %q", truncate(v.c.Log.Level, 30))
	}
	switch v.c.Log.Format {
	case "json", "text":
	default:
		v.add("log.format", "must be json or text, got %q", truncate(v.c.Log.Format, 30))
	}
}

func (v validator) redis() {
	r := v.c.Redis
	raw := r.URL.Value()
	if raw == "" {
		v.required("redis.url", "(set it or REDIS_URL, e.g. redis://127.0.0.1:6379/0)")
	} else {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			v.add("redis.url", "is not a valid URL")
		case u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "redis-sentinel" && u.Scheme != "redis-cluster":
			v.add("redis.url", "must start with redis://, rediss://, redis-sentinel:// or redis-cluster://")
		case u.Host == "":
			v.add("redis.url", "names no host")
		}
	}
	// Braces would break the hash tags that keep a script's keys in one slot.
	if !prefixPattern.MatchString(r.Prefix) {
		v.add("redis.prefix", "must be 1-64 characters of letters, digits, _ : . - (no braces or spaces), got %q", truncate(r.Prefix, 70))
	}
	// An in-flight order must stay cached long enough for the time-based rules
	// (stalled, overdue, stuck parcels) to look at it again; a finished one
	// long enough for a late refund or a lookup, and never longer than one
	// still in flight.
	rt := r.Retention
	if rt.InFlight < Duration(24*time.Hour) {
		v.add("redis.retention.in_flight", "must be at least 1d (orders in flight must stay cached for the time-based rules), got %s", rt.InFlight)
	}
	switch {
	case rt.Finished < Duration(time.Hour):
		v.add("redis.retention.finished", "must be at least 1h, got %s", rt.Finished)
	case rt.Finished > rt.InFlight && rt.InFlight >= Duration(24*time.Hour):
		v.add("redis.retention.finished", "must not be longer than redis.retention.in_flight (%s), got %s", rt.InFlight, rt.Finished)
	}
}

func (v validator) tickets() {
	t := v.c.Tickets
	v.positive("tickets.reopen_window", t.ReopenWindow)
	if t.StormThreshold <= 0 {
		v.add("tickets.storm_threshold", "must be positive, got %d", t.StormThreshold)
	}
	v.positive("tickets.storm_window", t.StormWindow)
	switch {
	case t.Retention <= 0:
		v.add("tickets.retention", "must be positive, got %s", t.Retention)
	case t.Retention < t.ReopenWindow:
		// A recurrence within the reopen window must find its ticket.
		v.add("tickets.retention", "must be at least tickets.reopen_window (%s), got %s", t.ReopenWindow, t.Retention)
	}
}

func (v validator) sla() {
	s := v.c.SLA
	v.positive("sla.sweep_every", s.SweepEvery)
	v.nonNegative("sla.warn_before", s.WarnBefore)
	for i, step := range s.Escalation {
		p := fmt.Sprintf("sla.escalation[%d]", i)
		v.nonNegative(p+".after", step.After)
		if i > 0 && step.After < s.Escalation[i-1].After {
			v.add(p+".after", "steps must be in order: %s is before the previous step's %s", step.After, s.Escalation[i-1].After)
		}
		if !knownAction(step.Action) {
			v.add(p+".action", "unknown action %q; valid: %s", truncate(string(step.Action), 40), joinQuoted(EscalationActions))
		}
		if step.Action == EscalatePostEscalationChannel && v.c.Slack.Configured() && v.c.Slack.EscalationChannel == "" {
			v.add("slack.escalation_channel", "required: %s.action posts to the escalation channel", p)
		}
	}
}

func knownAction(a EscalationAction) bool {
	for _, x := range EscalationActions {
		if a == x {
			return true
		}
	}
	return false
}

func (v validator) sources() {
	for _, name := range sortedKeys(v.c.Sources) {
		v.source(name, v.c.Sources[name])
	}
}

func (v validator) source(name string, s Source) {
	p := "sources." + name
	if !namePattern.MatchString(name) {
		v.add(p, "source names must be lower-case letters, digits, _ or -")
	}
	types := v.c.providers.SourceTypes()
	spec, known := v.c.providers.Source(string(s.Type))
	switch {
	case s.Type == "":
		v.required(p+".type", "(one of "+strings.Join(types, ", ")+")")
	case !known:
		msg := fmt.Sprintf("unknown source type %q", truncate(string(s.Type), 40))
		if sug, ok := suggest(string(s.Type), types); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		v.add(p+".type", "%s; valid: %s", msg, strings.Join(types, ", "))
	}
	if err := checkSchedule(s.Schedule); err != nil {
		v.add(p+".schedule", "%v", err)
	}
	v.apiURL(p+".api_url", s.APIURL, known && s.Enabled)
	if known {
		allowed := spec.Defaults().Allowed
		if len(s.Provides) == 0 {
			v.add(p+".provides", "must list at least one data set")
		}
		for i, d := range s.Provides {
			if !containsDataSet(allowed, d) {
				v.add(fmt.Sprintf("%s.provides[%d]", p, i), "a %s source cannot provide %q; it provides %s",
					s.Type, truncate(string(d), 30), joinQuoted(allowed))
			}
		}
	}
	v.orderLinks(name, s)
	v.nonNegative(p+".overlap", s.Overlap)
	v.positive(p+".initial_lookback", s.InitialLookback)
	v.positive(p+".recheck_every", s.RecheckEvery)
	v.positive(p+".timeout", s.Timeout)
	if s.MaxRetries < 0 {
		v.add(p+".max_retries", "must not be negative, got %d", s.MaxRetries)
	}
	if !(s.RateLimit > 0) || math.IsInf(s.RateLimit, 0) {
		v.add(p+".rate_limit", "must be a positive number of requests per second, got %v", s.RateLimit)
	}
	if known && s.Block != nil {
		s.Block.Validate(blockProblems{v: v, prefix: p + "." + string(s.Type) + ".", typ: string(s.Type)}, s.Enabled)
	}
}

// blockProblems lets a provider's block report problems under its key path.
type blockProblems struct {
	v      validator
	prefix string
	typ    string
}

func (b blockProblems) Add(path, format string, args ...any) {
	b.v.add(b.prefix+path, format, args...)
}

// Required reports a missing value; a bare why says which source needs it.
func (b blockProblems) Required(path, why string) {
	if why == "" {
		why = "for an enabled " + b.typ + " source"
	}
	b.v.required(b.prefix+path, why)
}

// scheduleParser is the parser the job scheduler uses: optional seconds field
// and descriptors such as @hourly and @every 1m.
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec as orderbot does: five fields, an optional
// leading seconds field, an optional TZ=/CRON_TZ= prefix, or a descriptor
// (@hourly, @every 1m). robfig/cron v3.0.1 panics on some malformed TZ= specs;
// the panic becomes an error. "@every" intervals below one second are refused
// (the library would silently round them up), as are specs that never fire.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty schedule")
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("bad schedule %q: %v", truncate(spec, 60), r)
		}
	}()
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("bad schedule %q: @every takes a Go duration such as 30s, 1m or 1h", truncate(spec, 60))
		}
		if d < time.Second {
			return nil, fmt.Errorf("bad schedule %q: the interval must be at least 1s", truncate(spec, 60))
		}
	}
	sched, err = scheduleParser.Parse(spec)
	if err == nil {
		err = checkCronSteps(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("bad schedule %q: %v", truncate(spec, 60), err)
	}
	if sched.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("bad schedule %q: it never fires", truncate(spec, 60))
	}
	return sched, nil
}

func checkSchedule(spec string) error {
	_, err := ParseSchedule(spec)
	return err
}

func (v validator) departments() {
	for _, name := range sortedKeys(v.c.Departments) {
		d := v.c.Departments[name]
		p := "departments." + name
		if !namePattern.MatchString(name) {
			v.add(p, "department names must be lower-case letters, digits, _ or -")
		}
		if strings.TrimSpace(d.Channel) == "" {
			v.required(p+".channel", "(the Slack channel id the department's cards go to)")
		} else if strings.ContainsAny(d.Channel, " \t#") {
			v.add(p+".channel", "must be a Slack channel id such as C0123ABCD, got %q", truncate(d.Channel, 40))
		}
		for i, u := range d.Leads {
			if !userIDPattern.MatchString(u) {
				v.add(fmt.Sprintf("%s.leads[%d]", p, i), "must be a Slack user id such as U0123ABCD, got %q", truncate(u, 40))
			}
		}
		for i, u := range d.AllowedUsers {
			if !userIDPattern.MatchString(u) {
				v.add(fmt.Sprintf("%s.allowed_users[%d]", p, i), "must be a Slack user id such as U0123ABCD, got %q", truncate(u, 40))
			}
		}
		for i, g := range d.AllowedGroups {
			if !groupIDPattern.MatchString(g) {
				v.add(fmt.Sprintf("%s.allowed_groups[%d]", p, i), "must be a Slack user-group id such as S0123ABCD, got %q", truncate(g, 40))
			}
		}
		v.derivedZone(p+".timezone", d.Timezone)
	}
}

func (v validator) kinds() {
	kinds := make([]string, 0, len(v.c.Kinds))
	for k := range v.c.Kinds {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	valid := stringsOf(orderbot.SortedKinds())
	for _, ks := range kinds {
		k := orderbot.Kind(ks)
		o := v.c.Kinds[k]
		p := "kinds." + ks
		spec, ok := orderbot.Spec(k)
		if !ok {
			msg := fmt.Sprintf("unknown kind %q", truncate(ks, 60))
			if s, ok := suggest(ks, valid); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.add(p, "%s; valid kinds: %s", msg, strings.Join(valid, ", "))
			continue
		}
		if o.Department != nil && !namePattern.MatchString(*o.Department) {
			v.add(p+".department", "must be a department name (lower-case letters, digits, _ or -), got %q", truncate(*o.Department, 40))
		}
		if o.Severity != nil && !o.Severity.Valid() {
			v.add(p+".severity", "must be low, medium, high or critical, got %q", truncate(string(*o.Severity), 30))
		}
		if o.AckSLA != nil {
			v.positive(p+".ack_sla", *o.AckSLA)
		}
		if o.ResolveSLA != nil {
			v.positive(p+".resolve_sla", *o.ResolveSLA)
		}
		eff, _ := orderbot.DefaultSettings(k)
		eff = o.apply(eff)
		if !eff.ResolveByShipBy && eff.AckSLA > 0 && eff.ResolveSLA > 0 && eff.ResolveSLA < eff.AckSLA {
			v.add(p+".resolve_sla", "%s is shorter than the ack target %s", Duration(eff.ResolveSLA), Duration(eff.AckSLA))
		}
		v.params(p+".params", spec, o.Params, eff.Params)
		v.flap(p+".flap", spec, o.Flap, eff.Flap)
	}
	// Only with Slack configured does a department have to exist: without it
	// tickets are kept in Redis and nobody is routed to.
	if !v.c.Slack.Configured() {
		return
	}
	byDept := map[string][]string{}
	settings := v.c.KindSettings()
	for _, k := range orderbot.Kinds() {
		s := settings[k]
		if !s.Enabled || !v.c.syncKindRuns(k) {
			continue
		}
		if _, ok := v.c.Departments[s.Department]; ok {
			continue
		}
		if o, ok := v.c.Kinds[k]; ok && o.Department != nil {
			v.add("kinds."+string(k)+".department", "department %q is not configured under departments", s.Department)
			continue
		}
		byDept[s.Department] = append(byDept[s.Department], string(k))
	}
	for _, d := range sortedKeys(byDept) {
		v.add("departments."+d, "missing: the enabled kinds %s route to it by default (add the department, or disable or re-route those kinds)",
			strings.Join(byDept[d], ", "))
	}
}

func (v validator) params(p string, spec orderbot.KindSpec, o *KindParams, eff orderbot.Params) {
	if o == nil {
		return
	}
	allowed := map[string]bool{}
	for _, n := range spec.ParamNames {
		allowed[n] = true
	}
	for _, name := range o.set() {
		if allowed[name] {
			continue
		}
		takes := "it takes no parameters"
		if len(spec.ParamNames) > 0 {
			takes = "it takes: " + strings.Join(spec.ParamNames, ", ")
		}
		v.add(p+"."+name, "not a parameter of %s (%s)", spec.Kind, takes)
	}
	if o.After != nil && allowed["after"] {
		v.positive(p+".after", *o.After)
	}
	if o.Warn != nil && allowed["warn"] {
		v.nonNegative(p+".warn", *o.Warn)
		if eff.After > 0 && eff.Warn >= eff.After {
			v.add(p+".warn", "%s must be shorter than after (%s)", Duration(eff.Warn), Duration(eff.After))
		}
	}
	if o.Tolerance != nil && allowed["tolerance"] {
		if t := *o.Tolerance; t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			v.add(p+".tolerance", "must be a number ≥ 0, got %v", t)
		}
	}
	if o.Units != nil && allowed["units"] && *o.Units < 0 {
		v.add(p+".units", "must not be negative, got %d", *o.Units)
	}
	if o.MaxAge != nil && allowed["max_age"] {
		v.positive(p+".max_age", *o.MaxAge)
	}
	if o.CaptureWithin != nil && allowed["capture_within"] {
		v.positive(p+".capture_within", *o.CaptureWithin)
	}
	if o.Failures != nil && allowed["failures"] && *o.Failures < 1 {
		v.add(p+".failures", "must be at least 1, got %d", *o.Failures)
	}
	if o.Statuses != nil && allowed["statuses"] {
		valid := []string{string(orderbot.OrderPending), string(orderbot.OrderProcessing), string(orderbot.OrderOnHold)}
		for _, st := range sortedKeys(o.Statuses) {
			sp := p + ".statuses." + string(st)
			if st.Terminal() || !containsString(valid, string(st)) {
				v.add(sp, "not a non-terminal order status; valid: %s", strings.Join(valid, ", "))
				continue
			}
			v.positive(sp, o.Statuses[st])
		}
	}
	if o.SKUs != nil && allowed["skus"] {
		for _, sku := range sortedKeys(o.SKUs) {
			if strings.TrimSpace(sku) == "" {
				v.add(p+".skus", "a SKU must not be empty")
				continue
			}
			if o.SKUs[sku] < 0 {
				v.add(p+".skus."+sku, "safety stock must not be negative, got %d", o.SKUs[sku])
			}
		}
	}
}

func (v validator) slack() {
	s := v.c.Slack
	v.apiURL("slack.api_url", s.APIURL, true)
	if s.APIURL != "" && !strings.HasSuffix(s.APIURL, "/") {
		v.add("slack.api_url", "must end with / (Slack method names are appended to it)")
	}
	if !commandPattern.MatchString(s.Command) {
		v.add("slack.command", "must be a slash command such as /ob, got %q", truncate(s.Command, 40))
	}
	if !(s.PostsPerSecond > 0) || math.IsInf(s.PostsPerSecond, 0) {
		v.add("slack.posts_per_second", "must be a positive number, got %v", s.PostsPerSecond)
	}
	if s.UpdatesPerMinute <= 0 {
		v.add("slack.updates_per_minute", "must be a positive number, got %d", s.UpdatesPerMinute)
	}
	for _, ch := range []struct{ path, v string }{{"slack.escalation_channel", s.EscalationChannel}, {"slack.digest_channel", s.DigestChannel}} {
		if strings.ContainsAny(ch.v, " \t#") {
			v.add(ch.path, "must be a Slack channel id such as C0123ABCD, got %q", truncate(ch.v, 40))
		}
	}
	if _, ok := s.DigestAt(); !ok {
		v.add("slack.digest_time", "must be a local time of day as HH:MM (24-hour), got %q", truncate(s.DigestTime, 20))
	}
	switch {
	case s.AppToken.IsSet() && !s.BotToken.IsSet():
		v.required("slack.bot_token", "when slack.app_token is set (Socket Mode still posts with the bot token)")
	case s.BotToken.IsSet() && !s.AppToken.IsSet() && !s.SigningSecret.IsSet():
		v.required("slack.signing_secret", "to verify Slack's requests in HTTP mode (or set app_token for Socket Mode)")
	}
	if strings.HasPrefix(s.BotToken.Value(), "xapp-") {
		v.add("slack.bot_token", "is an app-level token (xapp-); bot_token takes the bot token (xoxb-), app_token the xapp- one")
	}
}

func (v validator) notices() {
	n := v.c.Notices
	if n.DailyCap <= 0 {
		v.add("notices.daily_cap", "must be positive, got %d", n.DailyCap)
	}
	v.derivedZone("notices.default_timezone", n.DefaultTimezone)
	if r := n.DefaultRegion; r != "" && !validRegion(r) {
		v.add("notices.default_region", "must be a two-letter country code such as CN or US, got %q", truncate(r, 10))
	}
	if strings.ContainsAny(n.ShopName, "\r\n") || len([]rune(n.ShopName)) > 60 {
		v.add("notices.shop_name", "must be one line of at most 60 characters")
	}
	v.apiURL("notices.twilio.api_url", n.Twilio.APIURL, true)
	v.apiURL("notices.aliyun.api_url", n.Aliyun.APIURL, true)
	v.apiURL("notices.sendgrid.api_url", n.SendGrid.APIURL, true)
	if n.SMTP.Port < 1 || n.SMTP.Port > 65535 {
		v.add("notices.smtp.port", "must be 1-65535, got %d", n.SMTP.Port)
	}
	for _, key := range sortedKeys(n.Aliyun.Templates) {
		p := "notices.aliyun.templates." + key
		k, ev, ok := splitTemplateKey(key)
		switch {
		case !ok:
			v.add(p, "key must be kind/event, e.g. shipping.stalled/open")
		case !k.Known():
			v.add(p, "unknown kind %q", truncate(string(k), 60))
		case !knownEvent(ev):
			v.add(p, "unknown event %q; valid: %s", truncate(string(ev), 30), joinQuoted(TemplateEvents))
		case strings.TrimSpace(n.Aliyun.Templates[key]) == "":
			v.add(p, "the template code must not be empty")
		}
	}
	switch n.SMS.Provider {
	case SMSTwilio, SMSAliyun, SMSNone:
	default:
		v.add("notices.sms.provider", "must be twilio, aliyun or none, got %q", truncate(string(n.SMS.Provider), 30))
	}
	switch n.Email.Provider {
	case EmailSendGrid, EmailSMTP, EmailNone:
	default:
		v.add("notices.email.provider", "must be sendgrid, smtp or none, got %q", truncate(string(n.Email.Provider), 30))
	}
	if !n.Enabled {
		return
	}
	if n.SMS.Provider == SMSNone && n.Email.Provider == EmailNone {
		v.add("notices", "enabled with both sms.provider and email.provider set to none")
	}
	if strings.TrimSpace(n.ShopName) == "" {
		v.required("notices.shop_name", "when notices are enabled: every notice names the shop")
	}
	need := func(path string, ok bool, what string) {
		if !ok {
			v.required(path, what)
		}
	}
	switch n.SMS.Provider {
	case SMSTwilio:
		t := n.Twilio
		need("notices.twilio.account_sid", t.AccountSID != "", "for SMS by Twilio")
		need("notices.twilio.auth_token", t.AuthToken.IsSet(), "for SMS by Twilio")
		if t.From == "" && t.MessagingServiceSID == "" {
			v.add("notices.twilio.from", "required for SMS by Twilio (or set messaging_service_sid)")
		}
	case SMSAliyun:
		a := n.Aliyun
		need("notices.aliyun.access_key_id", a.AccessKeyID.IsSet(), "for SMS by Alibaba Cloud")
		need("notices.aliyun.access_key_secret", a.AccessKeySecret.IsSet(), "for SMS by Alibaba Cloud")
		need("notices.aliyun.sign_name", a.SignName != "", "for SMS by Alibaba Cloud (the approved signature)")
		if len(a.Templates) == 0 {
			v.add("notices.aliyun.templates", "required for SMS by Alibaba Cloud: it sends only approved template codes")
		}
	}
	switch n.Email.Provider {
	case EmailSendGrid:
		need("notices.sendgrid.api_key", n.SendGrid.APIKey.IsSet(), "for email by SendGrid")
		v.from("notices.sendgrid.from", n.SendGrid.From, "for email by SendGrid")
	case EmailSMTP:
		need("notices.smtp.host", n.SMTP.Host != "", "for email by SMTP")
		v.from("notices.smtp.from", n.SMTP.From, "for email by SMTP")
		if n.SMTP.Username != "" && !n.SMTP.Password.IsSet() {
			v.required("notices.smtp.password", "when notices.smtp.username is set")
		}
	}
}

// from checks a sender address. The operator's own address is not customer
// data, so it may be echoed.
func (v validator) from(path, addr, why string) {
	if addr == "" {
		v.required(path, why)
		return
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Name != "" {
		v.add(path, "must be a bare email address such as notices@example.com")
	}
}

func knownEvent(e TemplateEvent) bool {
	for _, x := range TemplateEvents {
		if e == x {
			return true
		}
	}
	return false
}

func containsDataSet(list []orderbot.DataSet, d orderbot.DataSet) bool {
	for _, x := range list {
		if x == d {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func stringsOf[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func joinQuoted[S ~string](in []S) string {
	parts := make([]string, len(in))
	for i, s := range in {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// validRegion reports whether r is two upper-case ASCII letters (an ISO
// 3166-1 alpha-2 code; the phone library judges whether it has a plan).
func validRegion(r string) bool {
	return len(r) == 2 && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z'
}
