// Package erpnextfake is an in-process ERPNext (Frappe v1 REST) site for tests,
// acceptance runs (`orderbot poll --once`) and the simulated ERP of `orderbot
// demo`.
//
// The Server stores domain records (orderbot.Order as Sales Orders,
// orderbot.StockLevel as Bins) and serves them in Frappe's wire format
// (docs/providers.md §3): token auth checked exactly, the list endpoint with
// fields, filters, or_filters, order_by, limit_start and limit_page_length, single
// documents with their items child table, and Frappe's error envelopes.
// Failures are injected, and requests logged, through the embedded
// providerfake.Server (Inject, Requests, RequestCount, ResetRequests); the
// 429 and 500 answers use Frappe's rate-limiter text and exception envelope.
// It renders the wire format independently of the adapter, so a round trip
// through both checks each against the other.
//
// All methods are safe for concurrent use.
package erpnextfake
