package conformance

import (
	"fmt"
	"testing"
)

type recorder struct{ errors []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheckNoSecret(t *testing.T) {
	for _, tc := range []struct {
		text string
		bad  bool
	}{
		{"stripe: HTTP 401: Invalid API Key provided: [REDACTED]", false},
		{"stripe: HTTP 401: Invalid API Key provided: sk_test_a+b/c", true},
		{"GET /v1/x?key=sk_test_a%2Bb%2Fc failed", true},
		{"GET /v1/keys/sk_test_a+b%2Fc failed", true},
	} {
		r := &recorder{}
		checkNoSecret(r, "error", tc.text, []string{"sk_test_a+b/c", ""})
		if got := len(r.errors) > 0; got != tc.bad {
			t.Errorf("checkNoSecret(%q) reported %v, want %v", tc.text, r.errors, tc.bad)
		}
		for _, e := range r.errors {
			if contains(e, "sk_test_a") {
				t.Errorf("the report itself leaks the secret: %s", e)
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
