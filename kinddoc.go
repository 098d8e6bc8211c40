package orderbot

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// KindsReference renders the anomaly kinds reference (docs/kinds.md) from the
// registry, so the document cannot drift from the defaults the code applies:
// `orderbot kinds` prints it and a test compares it with the committed file.
func KindsReference() string {
	var b strings.Builder
	b.WriteString("# Anomaly kinds\n\n")
	b.WriteString("<!-- Generated from the kind registry (kind.go) by `go run ./cmd/orderbot kinds > docs/kinds.md`; do not edit by hand. -->\n\n")
	b.WriteString("Every kind orderbot detects, with its defaults. Each default can be changed per kind under `kinds.<kind>` in the\n")
	b.WriteString("configuration (see [configuration.md](configuration.md#kinds)): `enabled`, `department`, `severity`, `ack_sla`,\n")
	b.WriteString("`resolve_sla`, `notices` and the detection thresholds listed for the kind.\n\n")
	b.WriteString("A kind opens one ticket per *grouping* subject (an order, a SKU, a source) and auto-resolves it when a later poll,\n")
	b.WriteString("one that fetched every data set the kind *needs*, no longer sees the condition. The *ack* target is how long the\n")
	b.WriteString("department has to claim the ticket, the *resolve* target how long to resolve it; a missed target escalates.\n\n")
	b.WriteString("| kind | title | department | severity | ack | resolve |\n|---|---|---|---|---|---|\n")
	for _, k := range Kinds() {
		s := specByKind[k]
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s | %s |\n", k, anchor(k), s.Title, s.Department, s.Severity,
			docDuration(s.AckSLA), resolveTarget(s))
	}
	for _, k := range Kinds() {
		s := specByKind[k]
		fmt.Fprintf(&b, "\n## %s\n\n**%s.** %s.\n\n", k, s.Title, upperFirst(s.Rule))
		fmt.Fprintf(&b, "| | |\n|---|---|\n")
		fmt.Fprintf(&b, "| department | %s |\n| severity | %s |\n| ack target | %s |\n| resolve target | %s |\n",
			s.Department, s.Severity, docDuration(s.AckSLA), resolveTarget(s))
		fmt.Fprintf(&b, "| one ticket per | %s |\n", s.GroupBy)
		if s.Manual {
			b.WriteString("| opened by | staff only (`/ob open`); never detected, never auto-resolved |\n")
		}
		needs := make([]string, len(s.Needs))
		for i, d := range s.Needs {
			needs[i] = string(d)
		}
		fmt.Fprintf(&b, "| needs | %s |\n", orNone(strings.Join(needs, ", ")))
		fmt.Fprintf(&b, "| customer notice | %s |\n", noticeText(s.Notices))
		for _, p := range s.ParamNames {
			fmt.Fprintf(&b, "| `%s` | %s (%s) |\n", p, paramValue(s.Params, p), paramMeaning[p])
		}
		fmt.Fprintf(&b, "| resolution codes | %s |\n", orNone("`"+strings.Join(s.Resolutions, "`, `")+"`"))
	}
	return b.String()
}

// anchor is GitHub's heading anchor: lower case, dots dropped.
func anchor(k Kind) string { return strings.ReplaceAll(string(k), ".", "") }

// paramMeaning says what each detection threshold does, by its config name.
var paramMeaning = map[string]string{
	"after":     "how long the condition must last before a ticket opens",
	"warn":      "how long before the deadline a warning ticket opens",
	"tolerance": "a difference (major currency units) must exceed this",
	"units":     "stock units: the difference that counts, or the default safety stock",
	"max_age":   "how old the newest record may be",
	"failures":  "failed polls in a row before the source counts as down",
	"statuses":  "how long an order may sit in each status",
	"skus":      "per-SKU safety stock",
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func orNone(s string) string {
	if s == "" || s == "``" {
		return "none"
	}
	return s
}

func resolveTarget(s *KindSpec) string {
	if s.ResolveByShipBy {
		return "the order's ship-by time"
	}
	return docDuration(s.ResolveSLA)
}

func noticeText(n Notices) string {
	var on []string
	if n.OnOpen {
		on = append(on, "when opened")
	}
	if n.OnBreach {
		on = append(on, "when its target is missed")
	}
	if n.OnResolve {
		on = append(on, "when resolved")
	}
	if len(on) == 0 {
		return "none by default (staff can send one from the card)"
	}
	return strings.Join(on, ", ")
}

// docDuration writes 90m as 1h30m and 48h as 2d, the way operators read them.
func docDuration(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	var parts []string
	if days := d / (24 * time.Hour); days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
		d -= m * time.Minute
	}
	if d > 0 {
		parts = append(parts, d.String())
	}
	return strings.Join(parts, "")
}

// paramValue renders the default of the threshold named as config names it.
func paramValue(p Params, name string) string {
	switch name {
	case "after":
		return docDuration(p.After)
	case "warn":
		return docDuration(p.Warn)
	case "tolerance":
		return fmt.Sprintf("%g", p.Tolerance)
	case "units":
		return fmt.Sprintf("%d", p.Units)
	case "max_age":
		return docDuration(p.MaxAge)
	case "failures":
		return fmt.Sprintf("%d", p.Failures)
	case "statuses":
		keys := make([]string, 0, len(p.Statuses))
		for st := range p.Statuses {
			keys = append(keys, string(st))
		}
		sort.Strings(keys)
		for i, st := range keys {
			keys[i] = fmt.Sprintf("%s %s", st, docDuration(p.Statuses[OrderStatus(st)]))
		}
		return orNone(strings.Join(keys, ", "))
	case "skus":
		if len(p.SKUs) == 0 {
			return "none (every SKU uses `units`)"
		}
		keys := make([]string, 0, len(p.SKUs))
		for sku, n := range p.SKUs {
			keys = append(keys, fmt.Sprintf("%s %d", sku, n))
		}
		sort.Strings(keys)
		return strings.Join(keys, ", ")
	}
	return "see configuration.md"
}
