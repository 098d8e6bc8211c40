// Package httpclient is the one outbound HTTP policy every provider adapter
// (Stripe, Shopify, ERPNext, AfterShip, Kuaidi100, and the notice senders) uses,
// so that timeouts, retries, backoff, rate limits, the circuit breaker, the
// response size cap, secret scrubbing and error classification live in one place
// and behave the same for every provider.
//
// A Client is built per provider with New and used through Do:
//
//   - a client-side token bucket (golang.org/x/time/rate) and provider pacing read
//     from response headers (Options.RateHeaders) space requests out before each
//     attempt;
//   - each attempt runs under its own timeout and through a circuit breaker
//     (github.com/sony/gobreaker/v2) that only 5xx answers, timeouts and network
//     failures trip: a 4xx is the caller's problem, not the provider's health;
//   - 429, 5xx, timeouts and network failures of idempotent requests are retried
//     with jittered exponential backoff (Backoff, on github.com/cenkalti/backoff/v5,
//     which Slack calls share) or the provider's Retry-After, each wait capped by
//     Options.MaxBackoff and cut short by context cancellation;
//   - every failure is an *orderbot.Error whose kind says what the caller should
//     do, and whose text never carries a configured secret.
//
// The transport is github.com/go-resty/resty/v2 with its own retries switched off:
// resty retries only network errors by default and would retry POSTs too, so the
// retry loop here decides instead.
package httpclient
