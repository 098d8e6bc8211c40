package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in Go syntax ("90s", "15m", "1h30m") or with
// days ("2d", "1d12h"), because SLA and look-back windows are naturally counted in
// days and "48h" is easy to mistype as "4h". A bare number other than 0 is an
// error: "30" could mean seconds or minutes.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way the config file writes it: whole days as
// "2d", otherwise Go syntax without zero units ("1h30m", "90m" → "1h30m").
func (d Duration) String() string { return formatDuration(time.Duration(d)) }

// MarshalYAML writes the duration as a string such as "15m" or "2d".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML parses a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration such as 30s, 15m, 2h or 2d")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses Go duration syntax extended with a "d" (24h) unit:
// "2d", "1d12h", "1.5d", "-3d", "0". It rejects numbers without a unit.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("must be a duration such as 30s, 15m, 2h or 2d, got an empty value")
	}
	if in == "0" {
		return 0, nil
	}
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("bad duration %q: use a number with a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 2d", s)
	}
	tooLarge := func() (time.Duration, error) {
		return 0, fmt.Errorf("duration %q is too large", s)
	}
	rest := in
	neg := false
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "" {
		return bad()
	}
	// Split off every "<number>d" part; the remainder is Go syntax.
	var days time.Duration
	var goPart strings.Builder
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || (rest[i] >= '0' && rest[i] <= '9')) {
			i++
		}
		if i == 0 {
			return bad()
		}
		num := rest[:i]
		j := i
		for j < len(rest) && !(rest[j] == '.' || (rest[j] >= '0' && rest[j] <= '9')) {
			j++
		}
		unit := rest[i:j]
		if unit == "" {
			return bad()
		}
		if unit == "d" {
			// Whole days in integer arithmetic so long windows stay exact;
			// fractions through Go's own parser as hours.
			var d time.Duration
			if n, err := strconv.ParseInt(num, 10, 64); err == nil {
				if n > maxDays {
					return tooLarge()
				}
				d = time.Duration(n) * 24 * time.Hour
			} else {
				f, err := strconv.ParseFloat(num, 64)
				if err != nil || f > float64(maxDays) {
					return bad()
				}
				d = time.Duration(f * float64(24*time.Hour))
			}
			if days > math.MaxInt64-d {
				return tooLarge()
			}
			days += d
		} else {
			goPart.WriteString(num)
			goPart.WriteString(unit)
		}
		rest = rest[j:]
	}
	total := days
	if goPart.Len() > 0 {
		g, err := time.ParseDuration(goPart.String())
		if err != nil {
			return bad()
		}
		if total > math.MaxInt64-g {
			return tooLarge()
		}
		total += g
	}
	if neg {
		total = -total
	}
	return total, nil
}

// maxDays is the largest day count a time.Duration holds (about 292 years).
const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))

// formatDuration renders d as ParseDuration reads it, shortest form first.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		if d == math.MinInt64 {
			return d.String()
		}
		d = -d
	}
	units := []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", 1}}
	for _, u := range units {
		if d >= u.size {
			b.WriteString(strconv.FormatInt(int64(d/u.size), 10))
			b.WriteString(u.name)
			d %= u.size
		}
	}
	return b.String()
}

// ClockTime is a time of day, "HH:MM" in 24-hour form, held as minutes since
// midnight. Quiet hours use it.
type ClockTime int

// Clock returns the ClockTime of h:m.
func Clock(h, m int) ClockTime { return ClockTime(h*60 + m) }

// Hour returns the hour, 0–23.
func (c ClockTime) Hour() int { return orderbot.ClockTime(c).Hour() }

// Minute returns the minute, 0–59.
func (c ClockTime) Minute() int { return orderbot.ClockTime(c).Minute() }

// String formats the time as "HH:MM".
func (c ClockTime) String() string { return orderbot.ClockTime(c).String() }

// MarshalYAML writes the time as "HH:MM".
func (c ClockTime) MarshalYAML() (any, error) { return c.String(), nil }

// UnmarshalYAML parses "HH:MM" (also "H:MM"; "24:00" is not a time of day).
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseClockTime(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("bad time of day %q: use 24-hour HH:MM, e.g. \"21:00\"", n.Value)
	}
	*c = v
	return nil
}

// ParseClockTime parses "HH:MM" in 24-hour form.
func ParseClockTime(s string) (ClockTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time of day %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || h[0] == '+' || h[0] == '-' {
		return 0, fmt.Errorf("bad time of day %q", s)
	}
	return Clock(hh, mm), nil
}
