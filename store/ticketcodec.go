package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/jsonstr"
)

// content is a ticket's "c" field: the parts of a ticket that can be long and
// come from outside. Its JSON is compared (by digest) to detect an "updated"
// recurrence, so it must encode deterministically and exactly as it always has:
// appendContent writes the bytes json.Marshal writes for it (a test holds the
// two together), without reflection, because it runs once per upsert. The
// money at risk is not here: it is the ticket field ar (appendAtRisk), the one
// place it is stored, because the rollup scripts read it there.
type content struct {
	Summary string          `json:"s"`
	Facts   []orderbot.Fact `json:"f,omitempty"`
}

// appendContent appends the JSON of a's content, byte for byte what
// json.Marshal(content{Summary: a.Summary, Facts: a.Facts}) returns.
func appendContent(dst []byte, a *orderbot.Anomaly) []byte {
	dst = append(dst, `{"s":`...)
	dst = jsonstr.AppendString(dst, a.Summary)
	if len(a.Facts) > 0 {
		dst = append(dst, `,"f":[`...)
		for i, f := range a.Facts {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"l":`...)
			dst = jsonstr.AppendString(dst, f.Label)
			dst = append(dst, `,"v":`...)
			dst = jsonstr.AppendString(dst, f.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// The packed fields of a ticket (lua/common.lua): identity, order link and
// appearance, parts separated by the ASCII unit separator.
const unitSep = "\x1f"

// sameAsSubject stands for "the order id is the subject" in the "o" field, so
// the common case (every ticket grouped by order) does not store the id twice.
const sameAsSubject = "\x1e"

// appendLook appends the upsert script's "look" argument: the ticket string's
// fields m (kind, subject), o (order id, source) and a (department, severity,
// stage, content digest, shape digest) and the name of the state field, exactly
// as they stand from byte HEAD of a ticket whose identity, order link and
// appearance are a's (see lua/common.lua), so the script recognises a plain
// recurrence with one substring match. content is a's content JSON
// (appendContent). The digests cover the money at risk too (the card shows
// it), so a changed amount takes the update path, which rewrites ar; a ticket
// without one keeps the digests it always had.
func appendLook(dst []byte, a *orderbot.Anomaly, content []byte) []byte {
	oid := a.OrderID
	if oid != "" && oid == a.Subject {
		oid = sameAsSubject
	}
	dst = append(dst, "m\x00"...)
	dst = append(dst, a.Kind...)
	dst = append(dst, unitSep...)
	dst = append(dst, a.Subject...)
	dst = append(dst, "\x00o\x00"...)
	dst = append(dst, oid...)
	dst = append(dst, unitSep...)
	dst = append(dst, a.Source...)
	dst = append(dst, "\x00a\x00"...)
	dst = append(dst, a.Department...)
	dst = append(dst, unitSep...)
	dst = append(dst, a.Severity...)
	dst = append(dst, unitSep...)
	dst = append(dst, a.Stage...)
	dst = append(dst, unitSep...)
	var rb [40]byte
	risk := appendAtRisk(rb[:0], a.AtRisk)
	dst = strconv.AppendUint(dst, fnvAdd(fnv64(content), risk), 36)
	dst = append(dst, unitSep...)
	dst = strconv.AppendUint(dst, shapeDigest(content, risk), 36)
	return append(dst, "\x00s\x00"...)
}

// shapeDigest is 64-bit FNV-1a of content with every number read as one "0":
// two contents with the same shape differ only in numbers (an age that grew
// from "3h" to "6h 10m", a count that moved). A number is a run of digits with
// the lower-case unit letters right after it, continued across a single space
// when another digit follows ("6h 10m"). The upsert script refreshes the card
// for such a change but writes no history entry, so a person's actions are
// not buried under "details changed" lines every poll.
// risk, the ticket's ar field as appendAtRisk writes it, is read after content
// the same way.
func shapeDigest(content, risk []byte) uint64 {
	return shapeFold(shapeFold(14695981039346656037, content), risk)
}

// shapeFold continues shapeDigest's hash h over content.
func shapeFold(h uint64, content []byte) uint64 {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(content); i++ {
		c := content[i]
		if isDigit(c) {
			for i+1 < len(content) {
				n := content[i+1]
				if isDigit(n) || (n >= 'a' && n <= 'z') {
					i++
				} else if n == ' ' && i+2 < len(content) && isDigit(content[i+2]) {
					i += 2
				} else {
					break
				}
			}
			c = '0'
		}
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// appendNewTicket appends the string of the ticket an upsert opens (see
// lua/common.lua): count 1, last seen, look (identity, order link, appearance,
// the state's name), state open, then the fields after the state in the order
// serialise writes them. look and seen are as appendLook and appendFixedTime
// wrote them; content is the content JSON.
func appendNewTicket(dst []byte, look, seen, content []byte, nowMs, ad, rd int64, atRisk orderbot.Money) []byte {
	dst = append(dst, "n\x000000000001\x00ls\x00"...)
	dst = append(dst, seen...)
	dst = append(dst, 0)
	dst = append(dst, look...)
	dst = append(dst, "open\x00oa\x00"...)
	dst = strconv.AppendInt(dst, nowMs, 10)
	dst = append(dst, "\x00ua\x00"...)
	dst = strconv.AppendInt(dst, nowMs, 10)
	dst = append(dst, "\x00v\x001"...)
	if ad != 0 {
		dst = append(dst, "\x00ad\x00"...)
		dst = strconv.AppendInt(dst, ad, 10)
	}
	if rd != 0 {
		dst = append(dst, "\x00rd\x00"...)
		dst = strconv.AppendInt(dst, rd, 10)
	}
	// al: the ack and resolve allowances, as setTargets in lua/common.lua
	// writes them, so a reopen without targets gets the same allowances.
	var da, dr int64
	if ad > 0 {
		da = max(1, ad-nowMs)
	}
	if rd > 0 {
		dr = max(1, rd-nowMs)
	}
	dst = append(dst, "\x00al\x00"...)
	dst = strconv.AppendInt(dst, da, 10)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, dr, 10)
	dst = append(dst, "\x00c\x00"...)
	dst = append(dst, content...)
	// ar, money at risk, is not one of serialise's known fields, so serialise
	// writes it after c too (lua/common.lua).
	return appendAtRisk(dst, atRisk)
}

// timeWidth and timeMax are fmtTime's fixed width and bound (lua/common.lua):
// a ticket's last-seen time is zero-padded so it sits at a fixed offset.
const (
	timeWidth = 15
	timeMax   = 99999999999999
)

// appendFixedTime appends a unix-ms time as fmtTime writes it: 15 characters,
// zero-padded after an optional sign.
func appendFixedTime(dst []byte, t int64) []byte {
	t = min(max(t, -timeMax), timeMax)
	var buf [20]byte
	digits := strconv.AppendInt(buf[:0], t, 10)
	width := timeWidth
	if t < 0 {
		dst = append(dst, '-')
		digits = digits[1:]
		width--
	}
	for i := len(digits); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

// applyCounters sets the count and last-seen time a plain recurrence wrote in
// place: counters is "<count> NUL ls NUL <last seen>", the bytes the upsert
// script wrote over the ticket string it returned (lua/upsert.lua).
func applyCounters(t *orderbot.Ticket, counters string) error {
	n, ls, ok := strings.Cut(counters, "\x00ls\x00")
	if !ok {
		return fmt.Errorf("ticket %s: malformed counters", t.ID)
	}
	t.Count, t.LastSeenAt = atoi64(n), fromMs(atoi64(ls))
	return nil
}

// ticketField returns one field of a ticket string; ok is false when the field
// is absent.
func ticketField(ticket, name string) (value string, ok bool) {
	for ticket != "" {
		n, rest, _ := strings.Cut(ticket, "\x00")
		v, rest2, _ := strings.Cut(rest, "\x00")
		if n == name {
			return v, true
		}
		ticket = rest2
	}
	return "", false
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

// hasSeparator reports whether s holds a byte the packed encoding reserves (NUL,
// \x1e, \x1f). A byte loop rather than strings.ContainsAny: it runs on seven
// fields of every upsert.
func hasSeparator(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x1f && (c == 0 || c == 0x1e || c == 0x1f) {
			return true
		}
	}
	return false
}

// decodeTicket builds the domain ticket from a ticket string as the scripts
// store and return it ("field NUL value NUL ...", see lua/common.lua) and its
// resolution JSON (may be empty). Summary and facts are decoded only when
// withContent is set: an upsert's caller has them already. found is false for
// an empty string (no such ticket). It switches on field names rather than
// building a map: it runs once per upsert on the hot path.
func decodeTicket(id string, raw any, resolutionJSON string, withContent bool) (t orderbot.Ticket, found bool, err error) {
	str, ok := raw.(string)
	if !ok {
		return t, false, fmt.Errorf("ticket %s: ticket is %T, want a string", id, raw)
	}
	if str == "" {
		return t, false, nil
	}
	t.ID = id
	var m, o, a, contentJSON string
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
		case "fl":
			t.Flapping = val != ""
		case "v":
			t.Version = atoi64(val)
		case "c":
			contentJSON = val
		case "ar":
			t.AtRisk = parseAtRisk(val)
		}
	}
	t.Kind, t.Subject = orderbot.Kind(part(m, 0)), part(m, 1)
	t.OrderID, t.Source = part(o, 0), part(o, 1)
	if t.OrderID == sameAsSubject {
		t.OrderID = t.Subject
	}
	t.Department, t.Severity, t.Stage = part(a, 0), orderbot.Severity(part(a, 1)), part(a, 2)
	t.Fingerprint = orderbot.Fingerprint(t.Kind, t.Subject)
	if withContent && contentJSON != "" {
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
