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
	var h [24]byte
	hex.Encode(h[:], sum[:12])
	return s.key("contact", string(h[:]))
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
	var buf [32]byte // on the stack: a phone number takes no allocation but the result
	digits := buf[:0]
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
// Chunks of orders go in parallel pipelines, like the other record writes.
func (s *Store) IndexContacts(ctx context.Context, orders []orderbot.Order) error {
	const op = "store.index_contacts"
	return parallel(len(orders), contactChunk, func(lo, hi int) error {
		pipe := s.rdb.Pipeline()
		n := 0
		for i := lo; i < hi; i++ {
			o := &orders[i]
			var seen [3]string
			for j, c := range [3]string{o.Customer.Phone, o.Customer.Email, o.ShippingAddress.Phone} {
				norm := NormalizeContact(c)
				// The customer's and the address's phone are usually one number.
				if norm == "" || norm == seen[0] || norm == seen[1] {
					continue
				}
				seen[j] = norm
				k := s.contactKey(norm)
				pipe.SAdd(ctx, k, o.ID)
				pipe.PExpire(ctx, k, s.opts.RecordRetention)
				n++
			}
		}
		if n == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// contactChunk is how many orders one IndexContacts pipeline carries: up to
// three contacts of two commands each.
const contactChunk = 500

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
