package detect

import (
	"errors"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// phoneVerdict is the outcome of validating one phone number for one region.
type phoneVerdict uint8

const (
	phoneValid phoneVerdict = iota
	// phoneUnjudged: a number in national format with no region to read it in
	// (no address country, no default region, or a region the numbering plan
	// does not know). It is not reported.
	phoneUnjudged
	phoneNotNumber
	phoneTooShort
	phoneTooLong
	phoneBadCountryCode
	phoneInvalid // well formed, but no valid number of its country has this shape

)

// bad reports whether the verdict is an invalid number to report.
func (v phoneVerdict) bad() bool { return v >= phoneNotNumber }

// reason is the plain-text problem for a card.
func (v phoneVerdict) reason(region string) string {
	switch v {
	case phoneNotNumber:
		return "not a phone number"
	case phoneTooShort:
		return "too short to be a phone number"
	case phoneTooLong:
		return "too long to be a phone number"
	case phoneBadCountryCode:
		return "unknown country calling code"
	case phoneInvalid:
		if region == "" {
			return "not a valid number"
		}
		return "not a valid number for " + region
	}
	return ""
}

// international reports whether the number is written with a leading plus (ASCII
// or full-width), so it carries its own country code.
func international(raw string) bool {
	s := strings.TrimLeft(raw, " \t\r\n(")
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "＋")
}

// parsePhone validates raw as a phone number of region (ISO 3166-1 alpha-2, upper
// case; empty when unknown) and returns its E.164 form when valid. A number in
// international format is judged on its own country code, so a foreign mobile on
// a domestic address is valid (cross-border gifts are ordinary); a national
// number must be valid in region. This is the slow path (tens of microseconds);
// Detector.phone memoises it.
func parsePhone(raw, region string) (string, phoneVerdict) {
	hasDigit := false
	for i := 0; i < len(raw); i++ {
		if raw[i] >= '0' && raw[i] <= '9' {
			hasDigit = true
			break
		}
	}
	if !hasDigit && !strings.ContainsAny(raw, "０１２３４５６７８９") {
		return "", phoneNotNumber
	}
	intl := international(raw)
	if region == "" && !intl {
		return "", phoneUnjudged
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			if !intl {
				return "", phoneUnjudged
			}
			return "", phoneBadCountryCode
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return "", phoneTooShort
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return "", phoneTooLong
		}
		return "", phoneNotNumber
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", phoneInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), phoneValid
}

// phone returns the verdict for raw in region, from the memo when it has it.
func (d *Detector) phone(raw, region string) phoneVerdict {
	if d.phones == nil {
		_, v := parsePhone(raw, region)
		return v
	}
	k, ok := makePhoneKey(raw, region)
	if !ok {
		// Too long to memoise: such numbers are rare and judged every time.
		_, v := parsePhone(raw, region)
		return v
	}
	if v, ok := d.phones.get(&k); ok {
		return v
	}
	_, v := parsePhone(raw, region)
	d.phones.put(&k, v)
	return v
}

// Limits of a memo key; a longer number or region is not memoised.
const (
	phoneKeyNumber = 26
	phoneKeyRegion = 4
)

// phoneKey is a (number, region) pair stored inline. A key without pointers
// keeps each memo lookup to the table's own memory (a string key would be
// compared through its pointer, one more cache miss per order), makes the memo
// free for the garbage collector to scan, and needs no copy of the order's
// strings when stored.
type phoneKey struct {
	number  [phoneKeyNumber]byte
	nlen    uint8
	region  [phoneKeyRegion]byte
	regionN uint8
}

func makePhoneKey(number, region string) (phoneKey, bool) {
	var k phoneKey
	if len(number) > phoneKeyNumber || len(region) > phoneKeyRegion {
		return k, false
	}
	copy(k.number[:], number)
	k.nlen = uint8(len(number))
	copy(k.region[:], region)
	k.regionN = uint8(len(region))
	return k, true
}

// phoneCache is a bounded memo of phone verdicts, safe for concurrent use. It
// keeps two generations: lookups hit the current one under a read lock; when
// the current generation is full it becomes the old one and the oldest is
// dropped, and a hit in the old generation is copied forward. Numbers looked up
// every cycle therefore stay, numbers of shipped orders age out, and memory is
// bounded by twice the generation size, without per-entry LRU bookkeeping on
// the hot path.
type phoneCache struct {
	mu  sync.RWMutex
	max int
	cur map[phoneKey]phoneVerdict
	old map[phoneKey]phoneVerdict
}

func newPhoneCache(max int) *phoneCache {
	return &phoneCache{max: max, cur: make(map[phoneKey]phoneVerdict)}
}

func (c *phoneCache) get(k *phoneKey) (phoneVerdict, bool) {
	c.mu.RLock()
	v, ok := c.cur[*k]
	promote := false
	if !ok {
		v, ok = c.old[*k]
		promote = ok
	}
	c.mu.RUnlock()
	if promote {
		c.put(k, v)
	}
	return v, ok
}

func (c *phoneCache) put(k *phoneKey, v phoneVerdict) {
	c.mu.Lock()
	if _, ok := c.cur[*k]; !ok && len(c.cur) >= c.max {
		c.old = c.cur
		c.cur = make(map[phoneKey]phoneVerdict, len(c.old))
	}
	c.cur[*k] = v
	c.mu.Unlock()
}
