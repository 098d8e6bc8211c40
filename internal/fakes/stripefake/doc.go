// Package stripefake is a local Stripe API v1 server for tests, benchmarks and
// the demo's simulated payment provider. It stores domain payments
// (orderbot.Payment) and serves them as PaymentIntents, charges and refunds in
// Stripe's wire format (providers.md §1): Bearer or Basic auth checked exactly
// with Stripe's 401 envelope, list envelopes sorted newest first with
// created[gt|gte|lt|lte], limit, starting_after and ending_before, expand[] in
// both the curl and the indexed form (latest_charge, and latest_charge.refunds,
// which embeds the charge's ten newest refunds as a list with has_more, as
// Stripe does; the charge carries no refunds unless expanded, as on current
// API versions), unknown parameters rejected as Stripe
// does, and Request-Id headers. Failures are injected, and requests logged,
// through the embedded providerfake.Server (Inject, Requests, RequestCount,
// ResetRequests), in Stripe's error envelope.
//
// A Server is safe for concurrent use; pages are cut from sorted indexes, so
// listing 100,000 payments stays cheap.
package stripefake
