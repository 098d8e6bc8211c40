package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderbot/orderbot"
)

// content is what tx:ID holds: the parts of a ticket that can be long and come
// from outside. Its JSON is compared byte for byte to detect an "updated"
// recurrence, so it must encode deterministically (a struct does).
type content struct {
	Summary string          `json:"s"`
	Facts   []orderbot.Fact `json:"f,omitempty"`
}

func encodeContent(a *orderbot.Anomaly) (string, error) {
	b, err := json.Marshal(content{Summary: a.Summary, Facts: a.Facts})
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// The packed fields of a ticket hash (lua/common.lua): identity and appearance,
// parts separated by the ASCII unit separator.
const unitSep = "\x1f"

// packIdentity returns the "m" field (kind, subject) and the "o" field (order
// id, source). They are two fields, and an order id equal to the subject (every
// ticket grouped by order) is stored as sameAsSubject, so each stays within the
// 64 bytes a listpack hash value may have.
func packIdentity(a *orderbot.Anomaly) (m, o string) {
	oid := a.OrderID
	if oid != "" && oid == a.Subject {
		oid = sameAsSubject
	}
	return string(a.Kind) + unitSep + a.Subject, oid + unitSep + a.Source
}

// sameAsSubject stands for "the order id is the subject" in the "o" field.
const sameAsSubject = "\x1e"

func packAppearance(a *orderbot.Anomaly, contentDigest string) string {
	return a.Department + unitSep + string(a.Severity) + unitSep + a.Stage + unitSep + contentDigest
}

// part returns the i-th part of a packed field.
func part(packed string, i int) string {
	for ; i > 0; i-- {
		_, rest, ok := strings.Cut(packed, unitSep)
		if !ok {
			return ""
		}
		packed = rest
	}
	p, _, _ := strings.Cut(packed, unitSep)
	return p
}

// hasSeparator reports whether s holds a byte the packed encoding reserves.
func hasSeparator(s string) bool { return strings.ContainsAny(s, "\x00\x1e\x1f") }

// decodeTicket builds the domain ticket from a ticket hash as the scripts return
// it (one string "field NUL value NUL ...", see lua/common.lua), its content JSON
// and its resolution JSON (either may be empty). found is false for an empty
// hash (no such ticket). It switches on field names rather than building a map:
// it runs once per upsert on the hot path.
func decodeTicket(id string, hash any, contentJSON, resolutionJSON string) (t orderbot.Ticket, found bool, err error) {
	str, ok := hash.(string)
	if !ok {
		return t, false, fmt.Errorf("ticket %s: hash is %T, want a string", id, hash)
	}
	if str == "" {
		return t, false, nil
	}
	t.ID = id
	var m, o, a string
	for str != "" {
		name, rest, ok := strings.Cut(str, "\x00")
		if !ok {
			return t, false, fmt.Errorf("ticket %s: field %q has no value", id, name)
		}
		val, rest2, _ := strings.Cut(rest, "\x00")
		str = rest2
		switch name {
		case "m":
			m = val
		case "o":
			o = val
		case "a":
			a = val
		case "s":
			t.State = orderbot.TicketState(val)
		case "ow":
			t.Owner = val
		case "n":
			t.Count = atoi64(val)
		case "oa":
			t.OpenedAt = fromMs(atoi64(val))
		case "ls":
			t.LastSeenAt = fromMs(atoi64(val))
		case "ua":
			t.UpdatedAt = fromMs(atoi64(val))
		case "ca":
			t.ClaimedAt = fromMs(atoi64(val))
		case "su":
			t.SnoozedUntil = fromMs(atoi64(val))
		case "ad":
			t.AckDue = fromMs(atoi64(val))
		case "rd":
			t.ResolveDue = fromMs(atoi64(val))
		case "e":
			t.Escalation = int(atoi64(val))
		case "ro":
			t.Reopened = int(atoi64(val))
		case "v":
			t.Version = atoi64(val)
		}
	}
	t.Kind, t.Subject = orderbot.Kind(part(m, 0)), part(m, 1)
	t.OrderID, t.Source = part(o, 0), part(o, 1)
	if t.OrderID == sameAsSubject {
		t.OrderID = t.Subject
	}
	t.Department, t.Severity, t.Stage = part(a, 0), orderbot.Severity(part(a, 1)), part(a, 2)
	t.Fingerprint = orderbot.Fingerprint(t.Kind, t.Subject)
	if contentJSON != "" {
		var c content
		if err := json.Unmarshal([]byte(contentJSON), &c); err != nil {
			return t, true, fmt.Errorf("ticket %s content: %w", id, err)
		}
		t.Summary, t.Facts = c.Summary, c.Facts
	}
	if resolutionJSON != "" && t.State == orderbot.StateResolved {
		var r orderbot.Resolution
		if err := json.Unmarshal([]byte(resolutionJSON), &r); err != nil {
			return t, true, fmt.Errorf("ticket %s resolution: %w", id, err)
		}
		t.Resolution = &r
	}
	return t, true, nil
}

// normalizeID accepts what people type ("t1042", " T1042 ") and returns the
// canonical id, or ok=false when it is not a ticket id at all.
func normalizeID(id string) (string, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if len(id) < 2 || len(id) > 20 || id[0] != 'T' {
		return "", false
	}
	for _, c := range id[1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return id, true
}

// idNumber is the numeric part of a canonical id, for newest-first ordering.
func idNumber(id string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "T"), 10, 64)
	return n
}
