package store

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// The contact index maps a customer's phone or email to the ids of their
// cached orders, for lookups by either. It is split over contactShards hashes
// (see shardTags), each mapping a contact's digest to a short list of
// "expiry:order id" entries. One hash field per contact rather than a key per
// contact costs about half the memory (no key, no expiry entry, a binary
// digest for a name), and one script per shard per batch rather than two
// commands per contact is most of what indexing 100,000 orders used to cost.
// Each entry expires with its order's record: the script drops expired
// entries of the contacts it writes and sweeps a few others each call, so the
// index shrinks as orders leave the cache.

// contactShards is how many hashes the contact index is split over: enough
// that a Redis Cluster of up to a few dozen masters gets a share each.
const contactShards = 64

// contactsPerEntry is how many orders the index keeps per contact (the newest).
const contactsPerEntry = 50

// contactDigest is the field a contact is kept under: a digest rather than the
// contact, so the index never holds a customer's phone or email. Ten bytes
// make a collision among a hundred million contacts a one-in-a-billion event,
// and a lookup shows only orders, which staff see anyway.
func contactDigest(norm string) string {
	sum := sha256.Sum256([]byte(norm))
	return string(sum[:10])
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

// sweepEvery is the least time between the starts of two sweeps over one
// contact shard (and over the demand contributions, whose script works in
// hours): entries expire after days, so an hour late is close enough, and a
// pass an hour costs far less than looking at one entry per entry written.
const sweepEvery = time.Hour

// contactChunk is how many orders one IndexContacts pipeline carries.
const contactChunk = 2500

// IndexContacts records which orders carry which customer phone and email, so
// staff can look an order up by either. Each entry expires with the order's
// record (see Options.InFlightRetention and FinishedRetention).
func (s *Store) IndexContacts(ctx context.Context, orders []orderbot.Order) error {
	const op = "store.index_contacts"
	return parallel(len(orders), contactChunk, func(lo, hi int) error {
		var args [contactShards][]any
		for i := lo; i < hi; i++ {
			o := &orders[i]
			if o.ID == "" {
				continue
			}
			exp := ""
			var seen [3]string
			for j, c := range [3]string{o.Customer.Phone, o.Customer.Email, o.ShippingAddress.Phone} {
				norm := NormalizeContact(c)
				// The customer's and the address's phone are usually one number.
				if norm == "" || norm == seen[0] || norm == seen[1] {
					continue
				}
				seen[j] = norm
				if exp == "" {
					exp = strconv.FormatInt(s.recordExpiry(o.InFlight()).Unix(), 10)
				}
				d := contactDigest(norm)
				k := shardOf(d, contactShards)
				if args[k] == nil {
					args[k] = []any{s.nowSeconds(), contactsPerEntry, int64(sweepEvery / time.Second)}
				}
				args[k] = append(args[k], d, o.ID, exp)
			}
		}
		var calls []scriptCall
		for k := range args {
			if args[k] != nil {
				calls = append(calls, scriptCall{keys: s.contactKeys(k), args: args[k]})
			}
		}
		if len(calls) == 0 {
			return nil
		}
		if _, err := s.evalShaCalls(ctx, scriptContacts, calls); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// OrdersByContact returns the ids of orders whose customer has this phone number
// or email address (any formatting), newest first, at most limit of them.
func (s *Store) OrdersByContact(ctx context.Context, contact string, limit int) ([]string, error) {
	norm := NormalizeContact(contact)
	if norm == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "store.orders_by_contact", "that is neither a phone number nor an email address")
	}
	d := contactDigest(norm)
	v, err := s.rdb.HGet(ctx, s.contactKeys(shardOf(d, contactShards))[0], d).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail("store.orders_by_contact", err)
	}
	return liveContacts(v, s.nowSeconds(), limit), nil
}

// liveContacts returns the order ids of an entry list that have not expired
// at now, newest first, at most limit (0 = all).
func liveContacts(v string, now int64, limit int) []string {
	var ids []string
	for _, e := range strings.Split(v, "\x1e") {
		exp, id, ok := strings.Cut(e, ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(exp, 10, 64); err == nil && n > now {
			ids = append(ids, id)
		}
	}
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}
