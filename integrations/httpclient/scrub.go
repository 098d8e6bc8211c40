package httpclient

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces a secret in error strings and log lines.
const Redacted = "[REDACTED]"

// scrubber replaces secrets in text, each only where it stands as a whole
// token: a short secret ("abc1") must not mangle the words that happen to
// contain it ("abc123", "xabc1"), while the secret itself, in a query string,
// a header or quotes, is still found.
type scrubber struct {
	forms []string // longest first, so a secret that contains another is replaced whole
}

// isWordByte reports whether b continues a token: letters, digits and "_".
func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// Replace returns s with every whole-token occurrence of a secret form
// replaced by Redacted.
func (sc *scrubber) Replace(s string) string {
	if len(sc.forms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0 // s[last:i] is not yet copied
	for i := 0; i < len(s); {
		matched := ""
		if i == 0 || !isWordByte(s[i-1]) || !isWordByte(s[i]) {
			for _, f := range sc.forms {
				end := i + len(f)
				if strings.HasPrefix(s[i:], f) && (end == len(s) || !isWordByte(s[end]) || !isWordByte(s[end-1])) {
					matched = f
					break
				}
			}
		}
		if matched == "" {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(Redacted)
		i += len(matched)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// newScrubber replaces each secret and the forms it takes on the wire: URL
// query and path escaping (a key in a query string, echoed in an error) and
// base64 (a Basic auth header a provider echoes back).
func newScrubber(secrets []string) *scrubber {
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			add(enc.EncodeToString([]byte(s)))
			add(enc.EncodeToString([]byte(s + ":")))
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return &scrubber{forms: forms}
}
