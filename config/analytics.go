package config

import (
	"net"
	"regexp"
)

// Analytics configures the early warnings that read the analytics rollups.
type Analytics struct {
	// SpikeFactor and SpikeMinCount: a kind's hourly count is a spike when it
	// is at least SpikeMinCount and more than SpikeFactor times its usual
	// level for that hour of the week (the median over SpikeWeeks weeks).
	SpikeFactor   float64 `yaml:"spike_factor"`
	SpikeMinCount int     `yaml:"spike_min_count"`
	SpikeWeeks    int     `yaml:"spike_weeks"`
	// ScorecardFactor, ScorecardMinVolume and ScorecardWeeks: a courier's
	// or payment channel's rate this week has degraded when the week saw at
	// least ScorecardMinVolume parcels or payments and the rate is more than
	// ScorecardFactor times its median over the ScorecardWeeks weeks before.
	ScorecardFactor    float64 `yaml:"scorecard_factor"`
	ScorecardMinVolume int     `yaml:"scorecard_min_volume"`
	ScorecardWeeks     int     `yaml:"scorecard_weeks"`
}

func defaultAnalytics() Analytics {
	return Analytics{SpikeFactor: 3, SpikeMinCount: 10, SpikeWeeks: 4,
		ScorecardFactor: 2, ScorecardMinVolume: 100, ScorecardWeeks: 4}
}

func (v validator) analytics() {
	a := v.c.Analytics
	if !(a.SpikeFactor > 1) || a.SpikeFactor > 1000 {
		v.add("analytics.spike_factor", "must be a number above 1 (how many times the usual level), got %v", a.SpikeFactor)
	}
	if a.SpikeMinCount < 1 {
		v.add("analytics.spike_min_count", "must be at least 1, got %d", a.SpikeMinCount)
	}
	if a.SpikeWeeks < 2 || a.SpikeWeeks > 10 {
		// Hour rollups are kept ten weeks (jobs.HourRollupRetention).
		v.add("analytics.spike_weeks", "must be 2 to 10 weeks, got %d", a.SpikeWeeks)
	}
	if !(a.ScorecardFactor > 1) || a.ScorecardFactor > 1000 {
		v.add("analytics.scorecard_factor", "must be a number above 1 (how many times the usual rate), got %v", a.ScorecardFactor)
	}
	if a.ScorecardMinVolume < 1 {
		v.add("analytics.scorecard_min_volume", "must be at least 1 (parcels or payments in a week), got %d", a.ScorecardMinVolume)
	}
	if a.ScorecardWeeks < 2 || a.ScorecardWeeks > 10 {
		// Seen counts are kept twelve weeks (store.CountSeen).
		v.add("analytics.scorecard_weeks", "must be 2 to 10 weeks, got %d", a.ScorecardWeeks)
	}
}

// Dashboard configures the read-only web dashboard served by `serve` at
// /dashboard. It shows ticket figures, so it is never open to the network by
// default: with a listen address beyond loopback it needs a token or a
// trusted proxy header.
type Dashboard struct {
	Enabled bool `yaml:"enabled"`
	// Token, when set, is required as "Authorization: Bearer <token>", or
	// once as ?token= (which sets a cookie).
	Token Secret `yaml:"token"`
	// TrustedHeader names a header an authenticating proxy in front of
	// orderbot sets (X-Forwarded-User, X-Auth-Request-Email); a request that
	// carries it non-empty is let in.
	TrustedHeader string `yaml:"trusted_header"`
}

func (v validator) dashboard() {
	d := v.c.Dashboard
	if d.TrustedHeader != "" && !headerName.MatchString(d.TrustedHeader) {
		v.add("dashboard.trusted_header", "must be an HTTP header name such as X-Forwarded-User, got %q", truncate(d.TrustedHeader, 60))
	}
	if d.Enabled && !d.Token.IsSet() && d.TrustedHeader == "" && !loopbackAddr(v.c.Server.Addr) {
		v.add("dashboard.token", "is required when the dashboard is enabled and server.addr (%q) listens beyond loopback: set a token or dashboard.trusted_header, or listen on 127.0.0.1", v.c.Server.Addr)
	}
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// loopbackAddr reports whether a listen address only accepts local
// connections: an explicit loopback IP or localhost. ":8080" listens on every
// interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
