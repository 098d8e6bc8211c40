package bot

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Slack text handling: every string from outside (names, subjects, summaries,
// notes, facts) goes through esc before it is placed in any text Slack parses, so
// "<!channel>" from a customer shows as text and pings nobody. Our own mentions,
// links and dates are added after escaping and are never cut in half by clip.

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc escapes the three characters Slack treats as control characters, and only
// those (docs.slack.dev/messaging/formatting-message-text).
func esc(s string) string { return slackEscaper.Replace(s) }

// ellipsis marks truncated text.
const ellipsis = "…"

// clip shortens s to at most max characters (runes, as Slack counts them),
// ending with an ellipsis. It never cuts inside an entity such as "&amp;" or a
// token such as "<@U123>" or "<!date^…>", which would break formatting or show
// half a mention.
func clip(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	cut := r[:max-1]
	// Back up to before an unterminated entity or token at the cut.
	for i := len(cut) - 1; i >= 0 && i >= len(cut)-12; i-- {
		if cut[i] == ';' {
			break
		}
		if cut[i] == '&' {
			cut = cut[:i]
			break
		}
	}
	if lt := lastIndexRune(cut, '<'); lt >= 0 && lastIndexRune(cut, '>') < lt {
		cut = cut[:lt]
	}
	return strings.TrimRight(string(cut), " \n") + ellipsis
}

func lastIndexRune(rs []rune, c rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == c {
			return i
		}
	}
	return -1
}

// oneLine folds newlines and runs of spaces, for text that must stay on one line
// (headers, list entries, fallback text).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// mention renders a Slack user id as a mention; anything else (such as the
// system actor "orderbot") is shown as escaped text.
func mention(id string) string {
	if userIDPattern.MatchString(id) {
		return "<@" + id + ">"
	}
	if id == "" {
		return "nobody"
	}
	return esc(id)
}

var groupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)

// mentionGroup renders a user group id as a group mention.
func mentionGroup(id string) string {
	if groupIDPattern.MatchString(id) {
		return "<!subteam^" + id + ">"
	}
	return esc(id)
}

var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)

// channelLink renders a channel id as a channel link.
func channelLink(id string) string {
	if channelIDPattern.MatchString(id) {
		return "<#" + id + ">"
	}
	return "#" + esc(id)
}

// slackDate renders t with Slack's date formatting, which each reader sees in
// their own time zone; the fallback uses loc.
func slackDate(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.In(loc).Format("2006-01-02 15:04 MST"))
}

// human renders a duration for a countdown: "under a minute", "12m", "3h 5m",
// "2d 4h".
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}

// link renders a mrkdwn link; the label is outside text, the URL is ours (from a
// template with escaped values) but may hold '&'.
func link(u, label string) string {
	label = strings.NewReplacer("|", "/").Replace(oneLine(label))
	return "<" + esc(u) + "|" + esc(label) + ">"
}

// expandLink fills a link template; ok is false when a placeholder it uses is
// empty for this ticket, or the result is not an http(s) URL.
func expandLink(tmpl string, vals map[string]string) (string, bool) {
	out := tmpl
	for k, v := range vals {
		ph := "{" + k + "}"
		if !strings.Contains(out, ph) {
			continue
		}
		if v == "" {
			return "", false
		}
		out = strings.ReplaceAll(out, ph, url.PathEscape(v))
	}
	if strings.ContainsAny(out, "{}") {
		return "", false
	}
	u, err := url.Parse(out)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	return out, true
}

// humanCode turns a resolution code such as "order_marked_paid" into "Order
// marked paid".
func humanCode(code string) string {
	s := strings.ReplaceAll(code, "_", " ")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

var ticketIDPattern = regexp.MustCompile(`^T[0-9]{1,18}$`)

var escapedMention = regexp.MustCompile(`&lt;@([UW][A-Z0-9]{2,20})&gt;`)

// userText prepares a sentence from an *orderbot.Error for mrkdwn: everything is
// escaped (messages may quote what a user typed), then user mentions the store
// wrote ("already claimed by <@U…>") are restored so they render as names.
func userText(s string) string {
	return escapedMention.ReplaceAllString(esc(sentence(s)), "<@$1>")
}

// echo prepares a fragment of what a user typed for quoting back: control
// characters dropped, clipped, escaped.
func echo(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return esc(clip(s, max))
}
