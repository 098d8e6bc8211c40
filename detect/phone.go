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
	if d.phones != nil {
		if v, ok := d.phones.get(raw, region); ok {
			return v
		}
	}
	_, v := parsePhone(raw, region)
	if d.phones != nil {
		d.phones.put(raw, region, v)
	}
	return v
}

// phoneEntry is a memoised verdict with the region it was judged for. The memo
// is keyed by the number alone, which hashes faster than a (number, region)
// pair; a number seen under another region (rare: the address country changed)
// is a miss and replaces the entry.
type phoneEntry struct {
	region string
	v      phoneVerdict
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
	cur map[string]phoneEntry
	old map[string]phoneEntry
}

func newPhoneCache(max int) *phoneCache {
	return &phoneCache{max: max, cur: make(map[string]phoneEntry)}
}

func (c *phoneCache) get(number, region string) (phoneVerdict, bool) {
	c.mu.RLock()
	e, ok := c.cur[number]
	promote := false
	if !ok {
		e, ok = c.old[number]
		promote = ok
	}
	c.mu.RUnlock()
	if !ok || e.region != region {
		return 0, false
	}
	if promote {
		c.put(number, region, e.v)
	}
	return e.v, true
}

func (c *phoneCache) put(number, region string, v phoneVerdict) {
	// The strings come from an order record; clone them so the memo does not
	// keep whole decoded pages of records alive.
	number, region = strings.Clone(number), strings.Clone(region)
	c.mu.Lock()
	if _, ok := c.cur[number]; !ok && len(c.cur) >= c.max {
		c.old = c.cur
		c.cur = make(map[string]phoneEntry, len(c.old))
	}
	c.cur[number] = phoneEntry{region: region, v: v}
	c.mu.Unlock()
}

// len reports the number of entries in both generations (tests).
func (c *phoneCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}
