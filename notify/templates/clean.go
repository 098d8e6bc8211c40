package templates

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length caps, in runes.
const (
	// maxValue bounds every Data value: order names, shop names and tracking
	// numbers are short, and a huge value must not turn a notice into a wall of
	// text or a dozen SMS parts.
	maxValue = 100
	// maxSubject keeps a subject within what mail clients show and well under
	// the 998-octet line limit of RFC 5322.
	maxSubject = 150
	// maxParam is the length limit of one Alibaba Cloud SMS template variable.
	// providers.md §7 does not state it (it only lists isv.PARAM_LENGTH_LIMIT);
	// Alibaba's template rules allow at most 35 characters per variable, so a
	// longer value would make the send fail.
	maxParam = 35
)

// invisible reports characters that change how text displays without being
// seen: bidirectional embeddings, overrides and isolates (which can make
// "#1001 gpj.exe" read as something else) and the byte order mark.
func invisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
		r == 0x200E, r == 0x200F, r == 0xFEFF:
		return true
	}
	return false
}

// cleanValue makes an untrusted Data value safe to place in any part of a
// notice: one line (line breaks, tabs and runs of white space become one
// space), no other control characters, no invisible direction marks, no invalid
// UTF-8, trimmed and capped. It does not escape: HTML escaping is html/template's
// job, and in SMS and plain text mrkdwn or markup is shown literally anyway.
func cleanValue(s string) string {
	return clip(oneLine(s), maxValue)
}

// oneLine turns every white-space character (line breaks and tabs included)
// into a space, collapses runs of them, drops other control characters,
// invisible marks and invalid bytes, and trims.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalid(s, i), invisible(r):
			continue
		case unicode.IsSpace(r): // CR, LF, tab, NEL, U+2028, U+2029, NBSP, ...
			space = b.Len() > 0
			continue
		case unicode.IsControl(r): // NUL, ESC, DEL, ...: nothing to keep
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isInvalid reports whether the U+FFFD decoded at s[i] stands for an invalid
// byte rather than a real replacement character.
func isInvalid(s string, i int) bool {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n == 1
}

// cleanSubject makes a rendered subject one header-safe line: no CR, LF or other
// control character can survive, so nothing can start a new header.
func cleanSubject(s string) string {
	return clip(oneLine(s), maxSubject)
}

// cleanBody tidies a rendered SMS or plain-text body: CRLF and CR become LF,
// tabs become spaces, other control characters and invisible marks are
// dropped, trailing spaces are trimmed from each line, blank lines left by
// conditional sections collapse to one, and the whole is trimmed.
func cleanBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r' || r == 0x2028 || r == 0x2029:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteByte('\n')
		case unicode.IsControl(r), invisible(r), r == utf8.RuneError && isInvalid(s, i):
		default:
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// cleanHTML drops control characters other than line breaks and tabs from a
// rendered HTML body. Values are already clean and escaped; this only guards
// against control characters in a template file itself.
func cleanHTML(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r == '\r' || unicode.IsControl(r) || invisible(r) {
			return -1
		}
		return r
	}, s))
}

// cleanParam prepares a value for an Alibaba Cloud SMS template variable: on top
// of cleanValue, the full-width brackets 【】 that frame the SMS signature
// become ordinary ones (Alibaba forbids them in the body, and a value must not
// pose as a signature), and the value is capped to maxParam.
func cleanParam(s string) string {
	s = strings.NewReplacer("【", "[", "】", "]").Replace(oneLine(s))
	return clip(s, maxParam)
}

// clip caps s to max runes, marking a cut with an ellipsis.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:max-1]), unicode.IsSpace) + "…"
}
