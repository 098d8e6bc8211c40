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
package detect
