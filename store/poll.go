package store

import (
	"context"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// SourceHealth is the poll record of one source.
type SourceHealth struct {
	Failures    int    // consecutive failed polls; 0 after a success
	LastError   string // message of the last failure, already free of secrets
	LastSuccess time.Time
	LastAttempt time.Time
}

// maxPollError bounds a stored poll error message.
const maxPollError = 500

func validSource(op, source string) error {
	if source == "" || len(source) > 128 {
		return orderbot.Errorf(orderbot.KindInvalid, op, "a source name is required (at most 128 bytes)")
	}
	return nil
}

// Cursor returns the committed poll cursor of a source; zero if it was never
// committed. Cursors are kept in milliseconds, so the value returned may be up
// to a millisecond earlier than the one committed, never later: a poll starting
// there re-reads at most a millisecond, and misses nothing.
func (s *Store) Cursor(ctx context.Context, source string) (time.Time, error) {
	const op = "store.cursor"
	if err := validSource(op, source); err != nil {
		return time.Time{}, err
	}
	v, err := s.rdb.Get(ctx, s.cursorKey(source)).Int64()
	if isNil(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, s.fail(op, err)
	}
	return fromMs(v), nil
}

// CommitCursor moves a source's cursor to t, atomically and never backwards: a
// slow replica finishing an older poll after a newer one cannot rewind it.
func (s *Store) CommitCursor(ctx context.Context, source string, t time.Time) error {
	const op = "store.commit_cursor"
	if err := validSource(op, source); err != nil {
		return err
	}
	if t.IsZero() {
		return orderbot.Errorf(orderbot.KindInvalid, op, "a cursor time is required")
	}
	if err := s.evalSha(ctx, scriptCursor, []string{s.cursorKey(source)}, t.UnixMilli()).Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// RecordPoll records one poll attempt of a source and returns its health after
// it: a success resets Failures and sets LastSuccess, a failure increments
// Failures and keeps errMsg (which must already be free of secrets).
func (s *Store) RecordPoll(ctx context.Context, source string, ok bool, errMsg string, at time.Time) (SourceHealth, error) {
	const op = "store.record_poll"
	if err := validSource(op, source); err != nil {
		return SourceHealth{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	flag := "0"
	if ok {
		flag = "1"
	}
	vals, err := s.evalSha(ctx, scriptPoll, []string{s.pollKey(source)}, flag, clip(cleanText(errMsg), maxPollError), at.UnixMilli()).StringSlice()
	if err != nil {
		return SourceHealth{}, s.fail(op, err)
	}
	return healthOf(vals), nil
}

// SourceHealth returns the poll health of each source; a source never polled has
// the zero SourceHealth.
func (s *Store) SourceHealth(ctx context.Context, sources []string) (map[string]SourceHealth, error) {
	const op = "store.source_health"
	pipe := s.rdb.Pipeline()
	cmds := make([]interface{ Val() []any }, len(sources))
	for i, src := range sources {
		cmds[i] = pipe.HMGet(ctx, s.pollKey(src), "f", "e", "s", "a")
	}
	if len(sources) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, s.fail(op, err)
		}
	}
	out := make(map[string]SourceHealth, len(sources))
	for i, src := range sources {
		vals := make([]string, 4)
		for j, v := range cmds[i].Val() {
			vals[j], _ = v.(string)
		}
		out[src] = healthOf(vals)
	}
	return out, nil
}

func healthOf(v []string) SourceHealth {
	if len(v) != 4 {
		return SourceHealth{}
	}
	f, _ := strconv.Atoi(v[0])
	sOK, _ := strconv.ParseInt(v[2], 10, 64)
	a, _ := strconv.ParseInt(v[3], 10, 64)
	return SourceHealth{Failures: f, LastError: v[1], LastSuccess: fromMs(sOK), LastAttempt: fromMs(a)}
}
