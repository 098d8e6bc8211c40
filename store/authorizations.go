package store

import (
	"context"

	"github.com/orderbot/orderbot"
)

// TrackAuthorizations keeps, per payment source, the set of its payments that
// are authorised but not yet captured or voided: ps adds those that are
// authorised and removes the others. The poll cycle fetches every payment of
// the set again on each poll (orderbot.PaymentGetter) until it settles.
func (s *Store) TrackAuthorizations(ctx context.Context, source string, ps []orderbot.Payment) error {
	const op = "store.track_authorizations"
	if len(ps) == 0 {
		return nil
	}
	if err := validSource(op, source); err != nil {
		return err
	}
	var add, drop []any
	for i := range ps {
		if ps[i].Status == orderbot.PaymentAuthorized {
			add = append(add, ps[i].ID)
		} else {
			drop = append(drop, ps[i].ID)
		}
	}
	pipe := s.rdb.Pipeline()
	if len(drop) > 0 {
		pipe.SRem(ctx, s.authKey(source), drop...)
	}
	if len(add) > 0 {
		pipe.SAdd(ctx, s.authKey(source), add...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// Authorizations returns the ids of a source's payments that were last seen
// authorised and not captured (TrackAuthorizations).
func (s *Store) Authorizations(ctx context.Context, source string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.authKey(source)).Result()
	if err != nil && !isNil(err) {
		return nil, s.fail("store.authorizations", err)
	}
	return ids, nil
}

// ForgetAuthorization drops a payment id the source no longer knows.
func (s *Store) ForgetAuthorization(ctx context.Context, source, id string) error {
	if err := s.rdb.SRem(ctx, s.authKey(source), id).Err(); err != nil {
		return s.fail("store.forget_authorization", err)
	}
	return nil
}
