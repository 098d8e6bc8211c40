// Package detect holds orderbot's detection rules: pure functions from a snapshot
// of normalised records and a clock to anomalies. Nothing here does I/O, so every
// rule is table-tested without Redis or HTTP, and the whole rule set is benchmarked
// on a large snapshot.
//
// A Detector runs every enabled kind over a Snapshot and returns a Result: the
// anomalies found, which (kind, subject) pairs were evaluated with complete data
// (so the ticket engine may auto-resolve tickets whose condition cleared), and the
// next time each in-flight order must be looked at again even if it does not
// change (the watch list that makes time-based kinds fire).
//
// Conventions every rule follows:
//
//   - Thresholds. A duration fires once it has fully elapsed: a payment 15
//     minutes old is unrecorded at exactly 15 minutes, a ship-by deadline is
//     breached at the deadline. Amount and unit tolerances must be exceeded
//     (a difference of exactly 0.01 or exactly 5 units is fine); stock at or
//     below safety stock is low; demand above available stock is oversold.
//   - Coverage. A kind runs only when every data set it needs has coverage. A
//     rule that concludes from an absence (no payment yet, order not marked paid,
//     no carrier scan, no newer checkpoint) also needs the data set to be
//     complete past the moment that matters; until then its verdict for that
//     subject is unknown: no anomaly, WasEvaluated false, and its re-check
//     asks for the order on the next cycle.
//   - Re-checks (Result.Next, Result.NextChecks). For each order with a
//     pending time-based verdict, the earliest future time it can change;
//     snap.Now for an order that must be looked at every cycle (stuck, or
//     waiting for coverage). Parcel rules keep watching a
//     completed order while its parcel travels, and a payment whose order the
//     store does not know is watched under that order id.
//   - Grouping. Order kinds: one anomaly per order and kind, parcels and payments
//     listed in Facts. SKU kinds: per SKU. inventory.sync_lag: per shop-side
//     source. system.stuck: per "<source>/<status>". system.source_down: per
//     source.
//   - Privacy. Facts and summaries carry masked contact data only
//     (orderbot.MaskPhone, MaskEmail, MaskAddress); outside text is clipped to
//     one bounded line.
//   - Order. Anomalies are sorted by kind, then subject, with one anomaly per
//     fingerprint; nothing depends on map iteration order.
//
// Speed: detection of a fine order allocates nothing, and its cost is almost
// all cache misses on the records joined to it. A snapshot that carries each
// order's payments and parcels aligned with it (Snapshot.Records) spares the
// two hash joins per order and runs about 1.5 to 2 times as fast as one joined
// through the Payments and Shipments maps; both give the same result. The poll
// cycle builds the aligned form (the store reads records in request order);
// the maps form suits callers that join a handful of orders by hand.
package detect
