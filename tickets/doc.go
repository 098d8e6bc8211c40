// Package tickets is the ticket engine and the ticket lifecycle. The engine
// turns a detection Result into ticket changes: it computes each ticket's SLA
// targets from the kind's settings, folds anomalies into tickets by fingerprint
// (open, recur, update, reopen), auto-resolves tickets whose condition a later
// cycle saw cleared, and opens manual tickets that staff raise from Slack.
//
// # Lifecycle
//
// Every change of a ticket's state goes through Lifecycle: the engine's
// upserts and auto-resolves (Detect, Clearing, MarkFlapping, Apply), Slack
// clicks (bot calls Apply) and the SLA sweeper (jobs calls Sweep). The
// machine is the table Table returns: for each (state, event) rows tried in
// order, each with a guard, an outcome (applied, unchanged, refused, invalid),
// the next state, the Change reported and its effects. The store's Lua
// scripts (store/lua) are its storage: they evaluate the guards against the
// ticket as it is and apply the row atomically, so any number of replicas may
// act at once. TestLifecycleScriptsMatchTable drives the scripts with random
// events and checks each outcome against the table.
//
//	none     ── detected, flap guard not yet satisfied ──► pending
//	pending  ── cleared ──► none
//	none, pending ── detected ──► open
//	open     ── claim (by the actor), reassign (to the target) ──► claimed
//	claimed  ── release ──► open
//	claimed  ── reassign ──► claimed (new owner)
//	open, claimed ── snooze ──► snoozed (SLA clocks paused)
//	snoozed  ── claim, reassign ──► claimed (clocks resume)
//	snoozed  ── wake, once the snooze ended (sweeper) ──► claimed if owned, else open
//	open, claimed, snoozed ── resolve, auto_resolve, cleared (flap guard agrees) ──► resolved
//	resolved ── reopen, or detected within the reopen window ──► open (fresh SLA targets)
//	resolved ── detected after the reopen window ──► a new ticket, open
//	open, claimed, snoozed ── escalate, sla_step ──► same state, escalation + 1
//	open, claimed, snoozed ── detected ──► same state (updated, or recurred quietly)
//	open, claimed, snoozed ── cleared, flap guard disagrees ──► same state (clearing, or marked flapping)
//	any state ── note ──► same state
//
// Effects: a snooze pauses the SLA clocks (the time left is kept) and anything
// that leaves snoozed resumes them; claim owns the ticket by the actor,
// reassign by the target, release clears the owner; resolving records the
// resolution and takes the ticket off every SLA set; a reopen gives fresh SLA
// targets and counts Reopened. A repeat that would change nothing (claim by
// the owner, release of an open ticket, reopen of an active one, ...) succeeds
// with an empty Change; an action the state forbids is a KindConflict error
// saying why.
//
// Each kind's flap guard (orderbot.FlapGuard) decides the detected and cleared
// guards: a new condition opens only after enough evaluations in a row (or
// long enough), a cleared one resolves only after enough evaluations found it
// cleared, and a ticket that would auto-resolve more often than its churn
// limit stays open, marked flapping. The counts are kept by the store
// (Upsert.OpenAfter, Store.Clearing).
//
// The engine holds no state of its own: every decision that must be atomic (one
// ticket per fingerprint, one winner per transition) is made by the store's Lua
// scripts, so any number of engines on any number of replicas may run at once.
package tickets
