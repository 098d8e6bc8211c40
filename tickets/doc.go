// Package tickets is the ticket engine: it turns a detection Result into ticket
// changes in the store. It computes each ticket's SLA targets from the kind's
// settings, folds anomalies into tickets by fingerprint (open, recur, update,
// reopen), auto-resolves tickets whose condition a later cycle saw cleared, and
// opens manual tickets that staff raise from Slack.
//
// Each kind's flap guard (orderbot.FlapGuard) decides when: a new condition
// opens only after enough evaluations in a row (or long enough), a cleared one
// resolves only after enough evaluations found it cleared, and a ticket that
// would auto-resolve more often than its churn limit stays open, marked
// flapping. The counts are kept by the store (Upsert.OpenAfter, Store.Clearing).
//
// The engine holds no state of its own: every decision that must be atomic (one
// ticket per fingerprint, one winner per transition) is made by the store's Lua
// scripts, so any number of engines on any number of replicas may run at once.
package tickets
