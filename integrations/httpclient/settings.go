package httpclient

import (
	"log/slog"
	"time"

	"github.com/orderbot/orderbot"
)

// Settings are the options every adapter takes alike; each adapter's Options
// embeds them, so the fields, their meaning and their defaulting exist once.
type Settings struct {
	// Name is the source name from config; empty takes the adapter's default.
	// Sources stamp it on what they return; senders label their logs with it.
	Name string
	// APIURL is the API base; empty takes the adapter's default (adapters
	// whose base differs per customer require it).
	APIURL string
	// Timeout bounds one attempt; 0 takes Options.Timeout's default.
	Timeout time.Duration
	// MaxRetries is Options.MaxRetries (0 = its default, -1 = none). Senders
	// never retry a send and refuse a positive value.
	MaxRetries int
	// RateLimit is requests per second; 0 takes the adapter's default,
	// negative means unlimited.
	RateLimit float64
	// Logger receives adapter warnings; nil takes slog.Default().
	Logger *slog.Logger
	// HTTPOptions, when set, adjusts the HTTP policy after the adapter filled it
	// in: wiring adds a metrics registry, tests shorten waits.
	HTTPOptions func(*Options)
}

// Fill replaces unset fields with an adapter's defaults: name, API URL (""
// leaves it for the adapter to require) and rate limit; a negative rate limit
// becomes 0, which Options reads as unlimited.
func (s *Settings) Fill(name, apiURL string, rateLimit float64) {
	if s.Name == "" {
		s.Name = name
	}
	if s.APIURL == "" {
		s.APIURL = apiURL
	}
	switch {
	case s.RateLimit == 0:
		s.RateLimit = rateLimit
	case s.RateLimit < 0:
		s.RateLimit = 0
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
}

// FillSender is Fill for an adapter that sends customer notices: a send is
// not idempotent, so its requests are never retried, and a positive
// MaxRetries is a KindInvalid error rather than a setting silently dropped.
func (s *Settings) FillSender(op, name, apiURL string, rateLimit float64) error {
	if s.MaxRetries > 0 {
		return orderbot.Errorf(orderbot.KindInvalid, op, "%s: sends are never retried, so max retries must be 0", name)
	}
	s.Fill(name, apiURL, rateLimit)
	s.MaxRetries = -1
	return nil
}

// NewClient builds the HTTP client of an adapter: o holds what is the
// adapter's own (headers, secrets, error decoders); the settings fill the
// provider, timeout, retries and rate limit, and the base URL and logger
// unless o sets them. HTTPOptions adjusts the result last.
func (s *Settings) NewClient(provider string, o Options) (*Client, error) {
	o.Provider = provider
	if o.BaseURL == "" {
		o.BaseURL = s.APIURL
	}
	o.Timeout, o.MaxRetries, o.RateLimit = s.Timeout, s.MaxRetries, s.RateLimit
	if o.Logger == nil {
		o.Logger = s.Logger
	}
	if s.HTTPOptions != nil {
		s.HTTPOptions(&o)
	}
	return New(o)
}
