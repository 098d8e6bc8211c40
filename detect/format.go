package detect

import (
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// Formatting helpers for Summary and Facts. They run only for anomalies (about
// 1 % of orders), never on the fine-order path.

func fact(label, value string) orderbot.Fact { return orderbot.Fact{Label: label, Value: value} }

// orderLabel is how staff know an order: its display name with the id when both
// exist ("#1001 (5512345678901)").
func orderLabel(o *orderbot.Order) string {
	if o.Name == "" || o.Name == o.ID {
		return o.ID
	}
	return o.Name + " (" + o.ID + ")"
}

// orderName is the short display name.
func orderName(o *orderbot.Order) string {
	if o.Name != "" {
		return o.Name
	}
	return o.ID
}

// age renders a duration compactly for humans: "2d3h", "5h12m", "42m", "30s".
// Negative durations render as their absolute value; callers say "ago" or "in".
func age(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return strconv.Itoa(days) + "d"
		}
		return strconv.Itoa(days) + "d" + strconv.Itoa(h) + "h"
	}
}

// stamp renders a time in UTC with its distance from now: "2024-05-01 10:00 UTC
// (5h12m ago)". Cards show it to people in several time zones, so UTC is named.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	s := t.UTC().Format("2006-01-02 15:04 UTC")
	switch d := now.Sub(t); {
	case d >= 0:
		return s + " (" + age(d) + " ago)"
	default:
		return s + " (in " + age(d) + ")"
	}
}

// itoa formats an integer.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clip shortens outside text (carrier messages, error strings) so a card line stays
// one line and bounded.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// more is the fact that says how many items a capped list left out.
func more(n int) orderbot.Fact { return fact("More", "and "+strconv.Itoa(n)+" more") }

// memberNames is how many members a grouped anomaly names in its summary (the
// facts list up to Options.MaxListed): enough to act on from `poll --once`
// output or a notification preview.
const memberNames = 5

// memberList names the first members of a group of n: "A, B and C", or
// "A, B, C, D, E and 7 more".
func memberList(names []string, n int) string {
	switch {
	case len(names) == 0:
		return strconv.Itoa(n) + " more"
	case n > len(names):
		return strings.Join(names, ", ") + " and " + strconv.Itoa(n-len(names)) + " more"
	case len(names) == 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// parcelLine describes a parcel for a fact value: carrier, tracking number,
// status and the newest checkpoint.
func parcelLine(ref *orderbot.ShipmentRef, sh *orderbot.Shipment, now time.Time) string {
	carrier := ref.Carrier
	if sh != nil && sh.Carrier != "" {
		carrier = sh.Carrier
	}
	var b strings.Builder
	if carrier != "" {
		b.WriteString(carrier)
		b.WriteByte(' ')
	}
	b.WriteString(ref.TrackingNumber)
	if sh == nil {
		b.WriteString(": no tracking record")
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(string(sh.Status))
	if sh.StatusCode != "" {
		b.WriteString(" (" + clip(sh.StatusCode, 40) + ")")
	}
	if cp, ok := lastCheckpoint(sh); ok {
		b.WriteString("; last checkpoint ")
		b.WriteString(stamp(cp.Time, now))
		if msg := checkpointText(cp); msg != "" {
			b.WriteString(" ")
			b.WriteString(msg)
		}
	} else if !sh.LastEventAt.IsZero() {
		b.WriteString("; last event ")
		b.WriteString(stamp(sh.LastEventAt, now))
	}
	return b.String()
}

// lastCheckpoint returns the newest checkpoint. Checkpoints are documented newest
// first, but a source may send them oldest first, so the newest is searched.
func lastCheckpoint(sh *orderbot.Shipment) (orderbot.Checkpoint, bool) {
	if len(sh.Checkpoints) == 0 {
		return orderbot.Checkpoint{}, false
	}
	best := sh.Checkpoints[0]
	for _, cp := range sh.Checkpoints[1:] {
		if cp.Time.After(best.Time) {
			best = cp
		}
	}
	return best, true
}

func checkpointText(cp orderbot.Checkpoint) string {
	var parts []string
	if cp.Message != "" {
		parts = append(parts, cp.Message)
	}
	if cp.Location != "" {
		parts = append(parts, cp.Location)
	}
	if len(parts) == 0 {
		return ""
	}
	return "\"" + clip(strings.Join(parts, ", "), 120) + "\""
}
