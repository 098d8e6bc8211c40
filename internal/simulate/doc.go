// Package simulate generates realistic synthetic shop data from a seed: orders
// with customers in China, the US and Europe (names, phones, emails, addresses,
// locales, time zones), line items, payments as a Stripe-like provider records
// them, parcels with carrier checkpoints, stock as the shop and the ERP each see
// it, and the health of the sources that feed them.
//
// At a configurable rate it seeds records that exhibit each detectable anomaly
// kind, and says which (kind, subject) pairs it seeded, so detection can be
// checked for recall and for false positives on the clean records. Everything
// else is built to stay within the kinds' thresholds.
//
// Generate returns a batch as of one moment, its records dated up to two weeks
// back: right for a snapshot, wrong for services that are polled while they
// run. A Timeline gives every order its whole life and reveals each record at
// its own time (Between), with the moment each seeded anomaly is present in
// full; Fix applies a staff resolution to the seeded records.
//
// The output depends only on the seed, the options and the arguments, never on
// the wall clock or map order, so tests, benchmarks and the demo's simulated
// providers see the same data for the same seed. The package imports only the
// domain package.
package simulate
