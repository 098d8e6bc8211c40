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

// newScrubber replaces each secret and the forms it takes on the wire: URL
// query and path escaping (a key in a query string, echoed in an error) and
// base64 (a Basic auth header a provider echoes back).
func newScrubber(secrets []string) *strings.Replacer {
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
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}
