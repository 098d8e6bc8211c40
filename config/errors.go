package config

import (
	"strconv"
	"strings"

	"github.com/orderbot/orderbot"
)

// Problem is one thing wrong with a configuration: the key path it is about
// ("sources.shopify.timeout", "sla.escalation[1].after") and a plain sentence.
// Path is empty for problems about the document as a whole.
type Problem struct {
	Path string
	Msg  string
}

// String renders the problem as "path: msg".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Error is every problem found in one configuration. Load, Parse and Validate
// return it so that an operator fixes the whole file in one round instead of one
// key per restart. It unwraps to an *orderbot.Error of kind invalid, so
// orderbot.KindOf and orderbot.IsKind work on it like on every other error.
type Error struct {
	Problems []Problem
	invalid  *orderbot.Error
}

func newError(problems []Problem) *Error {
	return &Error{
		Problems: problems,
		invalid:  orderbot.Errorf(orderbot.KindInvalid, "config", "invalid configuration"),
	}
}

// Error lists every problem, one per line after a count.
func (e *Error) Error() string {
	var b strings.Builder
	switch len(e.Problems) {
	case 0:
		return "config: invalid configuration"
	case 1:
		b.WriteString("config: ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	b.WriteString("config: ")
	b.WriteString(strconv.Itoa(len(e.Problems)))
	b.WriteString(" problems:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns an *orderbot.Error of kind invalid, so callers classify a bad
// configuration without knowing this package.
func (e *Error) Unwrap() error {
	if e.invalid == nil {
		return orderbot.Errorf(orderbot.KindInvalid, "config", "invalid configuration")
	}
	return e.invalid
}

// problems collects Problems while walking a configuration. A path that already
// has a problem (say, a duration that did not parse) gets no second one from a
// later stage (say, "must be positive" on the zero value left behind), so every
// message points at a real mistake.
type problems struct {
	list []Problem
	seen map[string]bool
}

func (ps *problems) add(path, msg string) {
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	ps.list = append(ps.list, Problem{Path: path, Msg: msg})
	ps.seen[path] = true
}

// addUnlessReported adds a problem unless path or one of its parents already has one.
func (ps *problems) addUnlessReported(path, msg string) {
	if ps.reported(path) {
		return
	}
	ps.add(path, msg)
}

// reported reports whether path or a parent of path already has a problem.
func (ps *problems) reported(path string) bool {
	if ps.seen == nil {
		return false
	}
	for p := path; ; {
		if ps.seen[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			return false
		}
		p = p[:i]
	}
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return newError(ps.list)
}
