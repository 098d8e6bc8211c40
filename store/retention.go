package store

import (
	"strconv"
	"time"
)

// Default retention of cached records; see Options.
const (
	DefaultInFlightRetention = 30 * 24 * time.Hour
	DefaultFinishedRetention = 7 * 24 * time.Hour
)

// recordExpiry is when a record saved now expires, on Redis's clock (whole
// seconds, as EXPIREAT takes them): after the in-flight window for a record
// that may still change, after the finished one otherwise.
func (s *Store) recordExpiry(inFlight bool) time.Time {
	d := s.opts.FinishedRetention
	if inFlight {
		d = s.opts.InFlightRetention
	}
	return s.now().Add(s.skew + d).Truncate(time.Second)
}

// nowSeconds is the time record expiries are compared with, on Redis's clock.
func (s *Store) nowSeconds() int64 { return s.now().Add(s.skew).Unix() }

// demandExpiry is the hour (since the Unix epoch, rounded up) from which an
// order's demand contribution counts as expired with its record. Hours rather
// than seconds, so that saving an unchanged order again within the hour
// leaves its contribution string as it was and the demand script skips it.
func demandExpiry(t time.Time) int64 {
	return (t.Unix() + 3599) / 3600
}

// fmtDemandExpiry is demandExpiry as the contribution's prefix.
func fmtDemandExpiry(t time.Time) string { return strconv.FormatInt(demandExpiry(t), 10) }
