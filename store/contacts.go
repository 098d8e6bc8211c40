package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/orderbot/orderbot"
)

// contactKey names the set of order ids for one phone number or email address.
// The key carries a hash of the normalised contact, so listing keys never shows
// a customer's phone or email.
func (s *Store) contactKey(norm string) string {
	sum := sha256.Sum256([]byte(norm))
	return s.key("contact", hex.EncodeToString(sum[:12]))
}

// NormalizeContact turns a phone number or email address into the form the
// contact index is keyed by: a lower-cased email, or the last ten digits of a
// phone (so "+86 138-1234-5678" and "13812345678" meet). It returns "" for text
// that is neither.
func NormalizeContact(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "@") {
		return strings.ToLower(v)
	}
	var digits []byte
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '+' || c == '-' || c == ' ' || c == '(' || c == ')' || c == '.':
		default:
			return ""
		}
	}
	if len(digits) < 7 {
		return ""
	}
	if len(digits) > 10 {
		digits = digits[len(digits)-10:]
	}
	return "tel:" + string(digits)
}

// IndexContacts records which orders carry which customer phone and email, so
// staff can look an order up by either. Entries expire with the record cache.
func (s *Store) IndexContacts(ctx context.Context, orders []orderbot.Order) error {
	const op = "store.index_contacts"
	pipe := s.rdb.Pipeline()
	n := 0
	for i := range orders {
		o := &orders[i]
		for _, c := range []string{o.Customer.Phone, o.Customer.Email, o.ShippingAddress.Phone} {
			norm := NormalizeContact(c)
			if norm == "" {
				continue
			}
			k := s.contactKey(norm)
			pipe.SAdd(ctx, k, o.ID)
			pipe.PExpire(ctx, k, s.opts.RecordRetention)
			n++
		}
		if n >= 2000 {
			if _, err := pipe.Exec(ctx); err != nil {
				return s.fail(op, err)
			}
			pipe, n = s.rdb.Pipeline(), 0
		}
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// OrdersByContact returns the ids of orders whose customer has this phone number
// or email address (any formatting), at most limit of them.
func (s *Store) OrdersByContact(ctx context.Context, contact string, limit int) ([]string, error) {
	norm := NormalizeContact(contact)
	if norm == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "store.orders_by_contact", "that is neither a phone number nor an email address")
	}
	ids, err := s.rdb.SMembers(ctx, s.contactKey(norm)).Result()
	if err != nil {
		return nil, s.fail("store.orders_by_contact", err)
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}
