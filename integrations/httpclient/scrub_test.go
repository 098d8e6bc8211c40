package httpclient

import (
	"encoding/base64"
	"testing"
)

// A secret is redacted wherever it stands as a whole token, in each of its
// wire forms, and never inside other words: a short secret must not mangle
// the text around it.
func TestScrubberRedactsWholeTokensOnly(t *testing.T) {
	sc := newScrubber([]string{"abc1", "s3cr3t/key+x"})
	basic := base64.StdEncoding.EncodeToString([]byte("abc1:"))
	cases := []struct{ in, want string }{
		{"key abc1 rejected", "key [REDACTED] rejected"},
		{"GET /v1?api_key=abc1&x=1", "GET /v1?api_key=[REDACTED]&x=1"},
		{`{"token":"abc1"}`, `{"token":"[REDACTED]"}`},
		{"abc1", "[REDACTED]"},
		{"Authorization: Basic " + basic, "Authorization: Basic [REDACTED]"},
		{"order abc123 and xabc1 and abc1_2 stay", "order abc123 and xabc1 and abc1_2 stay"},
		{"path /keys/s3cr3t%2Fkey+x/", "path /keys/[REDACTED]/"},
		{"q=s3cr3t%2Fkey%2Bx", "q=[REDACTED]"},
		{"raw s3cr3t/key+x.", "raw [REDACTED]."},
		{"nothing here", "nothing here"},
	}
	for _, tc := range cases {
		if got := sc.Replace(tc.in); got != tc.want {
			t.Errorf("Replace(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := newScrubber(nil).Replace("abc1"); got != "abc1" {
		t.Errorf("no secrets: %q", got)
	}
}
