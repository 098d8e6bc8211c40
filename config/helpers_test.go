package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

// env returns a lookup over m, so tests never depend on the real environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

var noEnv = env(nil)

// allDepartments configures every department the default kinds route to.
const allDepartments = `
departments:
  finance: {channel: C0FIN}
  warehouse: {channel: C0WH}
  logistics: {channel: C0LOG}
  support: {channel: C0SUP}
  tech: {channel: C0TECH}
`

func mustParse(t *testing.T, doc string, lookup func(string) (string, bool)) *Config {
	t.Helper()
	c, err := ParseWith(testProviders, []byte(doc), lookup)
	if err != nil {
		t.Fatalf("Parse: %v\n--- document:\n%s", err, doc)
	}
	return c
}

// problemsOf parses doc and returns its problems; it fails the test when the
// document is accepted or the error is not an *Error of kind invalid.
func problemsOf(t *testing.T, doc string, lookup func(string) (string, bool)) []Problem {
	t.Helper()
	_, err := ParseWith(testProviders, []byte(doc), lookup)
	if err == nil {
		t.Fatalf("Parse accepted:\n%s", doc)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error is %T, want *config.Error: %v", err, err)
	}
	if !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("error kind = %q, want invalid", orderbot.KindOf(err))
	}
	return ce.Problems
}

// findProblem returns the problem at path whose message contains every want.
func findProblem(ps []Problem, path string, want ...string) (Problem, bool) {
	for _, p := range ps {
		if p.Path != path {
			continue
		}
		ok := true
		for _, w := range want {
			if !strings.Contains(p.Msg, w) {
				ok = false
			}
		}
		if ok {
			return p, true
		}
	}
	return Problem{}, false
}

func listProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
