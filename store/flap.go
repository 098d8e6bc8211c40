package store

import (
	"context"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// The flap guard's state (orderbot.FlapGuard) lives here so that it survives a
// restart and every replica sees the same counts: the open side in the upsert
// script (lua/pending.lua), the resolve side and the churn check in
// lua/clearing.lua, the flapping mark in lua/flapping.lua.

// ActFlapping is the audit action of a ticket marked flapping.
const ActFlapping orderbot.Action = "flapping"

// PendingOfKind returns the fingerprints of kind k whose condition has been
// found but not yet for long enough to open a ticket (see Upsert.OpenAfter).
func (s *Store) PendingOfKind(ctx context.Context, k orderbot.Kind) ([]string, error) {
	fps, err := s.rdb.HKeys(ctx, s.pendingKey(k)).Result()
	if err != nil && !isNil(err) {
		return nil, s.fail("store.pending_of_kind", err)
	}
	return fps, nil
}

// DropPending forgets pending conditions of kind k: an evaluation found them
// gone, so their count of evaluations in a row starts over.
func (s *Store) DropPending(ctx context.Context, k orderbot.Kind, fps []string) error {
	if len(fps) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, s.pendingKey(k), fps...).Err(); err != nil {
		return s.fail("store.drop_pending", err)
	}
	return nil
}

// Cleared is an active ticket that an evaluation found cleared.
type Cleared struct {
	Fingerprint string
	LastSeen    time.Time // the ticket's LastSeenAt: when the condition was last found
	Flapping    bool
}

// ClearVerdict is what the flap guard says about a Cleared ticket.
type ClearVerdict string

// Verdicts of Clearing.
const (
	// ClearWait: not clear for long enough yet; leave it open.
	ClearWait ClearVerdict = "wait"
	// ClearResolve: auto-resolve it now. It is already counted as one of the
	// ticket's automatic resolutions in the churn window.
	ClearResolve ClearVerdict = "resolve"
	// ClearFlap: it was auto-resolved ChurnLimit times in ChurnWindow already;
	// mark it flapping (MarkFlapping) and leave it open.
	ClearFlap ClearVerdict = "flap"
	// ClearHold: it is flapping and not yet clear for a whole ChurnWindow.
	ClearHold ClearVerdict = "hold"
)

// Clearing counts one evaluation that found each ticket of cs cleared, at now,
// and returns per ticket whether the guard g lets it auto-resolve. Counts of a
// ticket whose condition was found again since (LastSeen after the first
// clear evaluation) start over. The call is atomic; calling it twice for the
// same now counts once.
func (s *Store) Clearing(ctx context.Context, g orderbot.FlapGuard, now time.Time, cs []Cleared) ([]ClearVerdict, error) {
	const op = "store.clearing"
	if len(cs) == 0 {
		return nil, nil
	}
	// The state must outlive the longest wait it measures; past that an
	// abandoned count (the ticket was resolved by staff) expires.
	ttl := max(g.ResolveFor, g.ChurnWindow) + 24*time.Hour
	args := make([]any, 0, 8+3*len(cs))
	args = append(args, s.clearingKey(""), s.churnKey(""), ms(now), max(g.ResolveAfter, 1),
		max(g.ResolveFor.Milliseconds(), 0), max(g.ChurnLimit, 0), max(g.ChurnWindow.Milliseconds(), 1), ttl.Milliseconds())
	for _, c := range cs {
		if hasSeparator(c.Fingerprint) {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "a fingerprint has a control character")
		}
		fl := "0"
		if c.Flapping {
			fl = "1"
		}
		args = append(args, c.Fingerprint, ms(c.LastSeen), fl)
	}
	rows, err := s.evalSha(ctx, scriptClearing, []string{s.fpIndexKey()}, args...).StringSlice()
	if err != nil {
		return nil, s.fail(op, err)
	}
	if len(rows) != len(cs) {
		return nil, orderbot.Errorf(orderbot.KindPermanent, op, "unexpected reply from the clearing script")
	}
	out := make([]ClearVerdict, len(rows))
	for i, r := range rows {
		out[i] = ClearVerdict(r)
	}
	return out, nil
}

// MarkFlapping marks an active ticket as flapping, with a history entry saying
// why, and queues a card update. It returns the ticket and ChangeUpdated, or
// an empty Change when the ticket is resolved or already marked.
func (s *Store) MarkFlapping(ctx context.Context, id, why string) (orderbot.Ticket, Change, error) {
	const op = "store.mark_flapping"
	nid, ok := normalizeID(id)
	if !ok {
		return orderbot.Ticket{}, "", orderbot.Errorf(orderbot.KindNotFound, op, "%q is not a ticket id", clip(id, 40))
	}
	why = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, why)
	args := append(s.ticketArgs(s.now(), 2), nid, why)
	raw, err := s.evalSha(ctx, scriptFlapping, s.tkeys, args...).Text()
	if err != nil {
		return orderbot.Ticket{}, "", s.fail(op, err)
	}
	if raw == "" {
		t, err := s.Get(ctx, nid)
		return t, "", err
	}
	t, _, err := decodeTicket(nid, raw, "", true)
	if err != nil {
		return orderbot.Ticket{}, "", orderbot.Wrap(orderbot.KindPermanent, op, err, "the ticket is unreadable")
	}
	return t, ChangeUpdated, nil
}
