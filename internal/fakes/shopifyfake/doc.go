// Package shopifyfake is a local Shopify Admin REST server for tests,
// benchmarks and the demo's simulated shop. It stores domain orders
// (orderbot.Order) and stock (orderbot.StockLevel) and serves them in
// Shopify's wire format (providers.md §2) under /admin/api/{version}/:
// orders.json with status, updated_at/created_at bounds, ids, name, since_id,
// financial and fulfillment status filters; orders/{id}.json; locations.json;
// products.json (one product per SKU, one variant each, with its inventory
// item); inventory_levels.json by location_ids or inventory_item_ids. Lists
// page with opaque page_info cursors in Link headers (rel="next" and
// rel="previous"), and with page_info only limit and fields are accepted, as
// on Shopify. X-Shopify-Access-Token is checked exactly (401 envelope
// otherwise), every answer carries X-Shopify-Shop-Api-Call-Limit from a
// simulated leaky bucket that answers 429 with Retry-After when it overflows.
// Failures are injected, and requests logged, through the embedded
// providerfake.Server (Inject, Requests, RequestCount, ResetRequests), in
// Shopify's error envelope.
//
// Orders are listed by updated_at, then id, so an order updated while a client
// pages through a window comes back on a later page, as it can on Shopify.
//
// What the fake renders is the inverse of the adapter's mapping where Shopify
// can express it: Status becomes cancelled_at / closed_at (pending and
// processing follow from the financial status and gateway; Shopify has no
// on_hold), PaymentMethod a gateway name, Shipments one fulfillment per
// tracking number, line items' Fulfilled the quantities of the first
// fulfillment, Refunded one refund transaction, PaidAt processed_at. Customer
// time zones and opt-outs have no Shopify field and are not rendered.
//
// A Server is safe for concurrent use; pages are cut from sorted indexes, and
// each order is rendered and encoded once, when it is added (a few kilobytes
// kept per order), so paging 100,000 orders at 250 a page costs little more
// than copying bytes.
package shopifyfake
