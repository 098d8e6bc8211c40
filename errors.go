package orderbot

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies an error so that callers decide what to do (retry, tell the
// user, fail the poll) without matching strings.
type ErrorKind string

// Error kinds.
const (
	KindInvalid      ErrorKind = "invalid" // bad input or config; do not retry
	KindNotFound     ErrorKind = "not_found"
	KindConflict     ErrorKind = "conflict"     // state changed under the caller
	KindUnauthorized ErrorKind = "unauthorized" // bad or missing credentials
	KindRateLimited  ErrorKind = "rate_limited" // retry after RetryAfter
	KindTransient    ErrorKind = "transient"    // retry with backoff
	KindPermanent    ErrorKind = "permanent"    // the remote refused for good
)

// Error is the error type every layer returns. Msg is a plain sentence safe to show
// a user; it never holds a secret.
type Error struct {
	Kind       ErrorKind
	Op         string        // what was being done, e.g. "shopify.list_orders"
	Msg        string        // plain sentence
	RetryAfter time.Duration // for KindRateLimited, when known
	Err        error         // cause, may be nil
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind.
func Errorf(kind ErrorKind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Msg: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error of the given kind around a cause.
func Wrap(kind ErrorKind, op string, err error, msg string) *Error {
	return &Error{Kind: kind, Op: op, Msg: msg, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or "" when none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsKind reports whether err's chain holds an *Error of kind k.
func IsKind(err error, k ErrorKind) bool { return KindOf(err) == k }

// Retryable reports whether a later attempt of the same request may succeed.
func Retryable(err error) bool {
	k := KindOf(err)
	return k == KindTransient || k == KindRateLimited
}

// UserMessage returns a sentence to show a Slack user for err: the Msg of an *Error,
// or a generic sentence so internals never leak.
func UserMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return "Something went wrong on our side; please try again."
}
