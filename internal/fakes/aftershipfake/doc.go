// Package aftershipfake is an in-process AfterShip Tracking API (page-based
// versions: 2024-04, 2023-10, v4) for tests, acceptance runs (`orderbot poll
// --once`) and the simulated courier of `orderbot demo`.
//
// The Server stores domain records (orderbot.Shipment) and serves them in
// AfterShip's wire format (docs/providers.md §4): the meta/data envelope, the
// API-key header of the configured version checked exactly, GET /trackings with
// page/limit, updated_at_min/max, created_at_min/max (created_at_min defaulting
// to 30 days ago, as AfterShip does), tracking_numbers, slug and tag filters,
// GET /trackings/{slug}/{tracking_number}, x-ratelimit-* headers with an
// optional per-second limit, and meta.code error envelopes. Failures are
// injected, and requests logged, through the embedded providerfake.Server
// (Inject, Requests, RequestCount, ResetRequests), in AfterShip's envelopes.
//
// All methods are safe for concurrent use.
package aftershipfake
