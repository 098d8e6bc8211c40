// Package kuaidi100fake is an in-process Kuaidi100 real-time query service
// (POST /poll/query.do) for tests, acceptance runs (`orderbot poll --once`) and
// the simulated courier of `orderbot demo`.
//
// The Server stores domain records (orderbot.Shipment, keyed by tracking number,
// with Carrier holding the Kuaidi100 company code) and answers queries in
// Kuaidi100's wire format (docs/providers.md §5): the form content type, the
// customer code and the MD5 sign over the exact param string are checked, and
// every refusal is Kuaidi100's HTTP-200 error answer ({"result":false,
// "returnCode":...}): 400 unknown carrier or incomplete data, 408 missing or
// wrong phone tail, 500 no trace, 503 bad signature. Answers follow the
// requested resultv2 (basic state codes, or advanced sub-states with per-node
// statusCode). Failures are injected, and requests logged, through the
// embedded providerfake.Server (Inject, Requests, RequestCount,
// ResetRequests); InjectReturnCode queues Kuaidi100's own error codes.
//
// All methods are safe for concurrent use.
package kuaidi100fake
