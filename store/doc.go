// Package store keeps orderbot's state in Redis: tickets and their indexes, SLA
// clocks, audit history, poll cursors and source health, the watch list of
// in-flight orders, cached normalised records (orders, payments, shipments,
// stock) with open demand per SKU, outbox streams of ticket changes and Slack
// clicks, and job leases.
//
// Redis key names are spelled in keys.go (the Slack poster's and the parcel
// queue's keys sit next to their code in slack.go and parcels.go), and every Lua
// script is in lua/, embedded and registered in the scripts slice of
// scripts.go. The scripts are loaded
// when a Store is made, because go-redis does not fall back from EVALSHA to EVAL
// inside a pipeline; a NOSCRIPT reply (Redis restarted or failed over) reloads
// them and re-runs exactly the calls that did not run.
//
// # Tickets
//
// A ticket is one string key holding its fields (short names, unix-ms times)
// as name NUL value pairs, summary and facts included; see lua/common.lua for
// the layout. Every ticket write is one Lua script: an upsert folds a batch of
// anomalies, one atomic step per fingerprint; a transition is a compare-and-set
// against the ticket's current state. The state machine these scripts store is
// the lifecycle table of package tickets (tickets.Table), and its tests drive
// the scripts against that table. The same script updates the
// state/department/kind/owner index sets, the SLA sorted sets, the audit
// history and the outbox of ticket changes, so a crash can never leave a change without its
// card update or a card update without its change.
//
// Upserts are the hot path (product.md §12 asks for 50,000 a second), and in
// Redis every Lua operation costs about as much as a simple command, so the
// layout serves them: count and last-seen time sit at fixed offsets at the
// front of the ticket string, followed by the fields a recurrence compares, so
// a plain recurrence is one GET, one substring match against an argument Go
// formatted, and one SETRANGE. Go formats every argument (the whole string of
// the ticket an open would create, its index keys and SLA scores); the script
// compares and concatenates, writes the index, SLA and fingerprint entries of
// a batch's new tickets with one command per key, and sends several batches
// per pipeline on several connections, so Go encodes and decodes while Redis
// runs scripts. See lua/upsert.lua.
//
// Audit history is a capped list per ticket, not a stream: a Redis stream
// preallocates a 4 KB node on its first entry, which alone would break the
// 2 KB-per-ticket budget, while a short list costs about 200 bytes. The open
// itself is not stored; Audit rebuilds it from OpenedAt, so an untouched ticket
// has no history key at all. Measured (TestMemoryPerOpenTicket): about 1.0 KB of
// used_memory per open ticket including its share of every index, SLA set and
// the outbox, about 1.4 KB once claimed.
//
// # One slot for the ticket space
//
// Keys that one script touches carry the same hash tag ({t} for the ticket
// space, {d} demand, {s} stock, {w} the watch list), so the same code runs on a
// single node, Sentinel or Redis Cluster. The ticket space is a single slot by
// design: atomic ticket changes need the indexes, SLA sets and outbox in the
// same script. On a cluster that puts every ticket on one shard; at about 1 KB a
// ticket that shard holds millions of open tickets, far more than any team can
// work, and the bulky record cache is untagged and spreads over all shards.
//
// # Record cache
//
// Orders, payments and parcels are single keys in the compact encoding of
// codec.go; the contact index is split over hash-tagged shards (contacts.go).
// Every record expires with its life cycle (Options.InFlightRetention while an
// order may change, FinishedRetention once it is finished), counted from its
// last save on the Store's clock and turned into Redis's with the skew measured
// when the Store is made, so memory levels off for a steady order rate (see
// docs/sizing.md). Members of shared collections expire too: the contact index
// and demand scripts keep an expiry per entry and sweep their hashes (one pass
// an hour at most, a batch's worth of entries per call), and the poll cycle
// takes expired orders off the watch list.
//
// # SLA clocks
//
// sla:ack holds open tickets with an ack target, sla:res open and claimed
// tickets with a resolve target, sla:wake snoozed tickets. Scores are a lower
// bound of when the sweeper must look next; SweepSLA (one script, so any number
// of replicas may sweep) computes the exact next event from the ticket, fires it
// once and reschedules. Snoozing pauses the clocks by storing the time left;
// waking restores it.
//
// # Outbox streams
//
// Two streams, named for what they carry: OutboxTicketChanges holds every
// ticket change (and each customer notice's line for its ticket's thread),
// written by the same script as the change; the Slack poster and the notifier
// each read it with a consumer group of their own. OutboxClicks holds the
// Slack clicks the bot acknowledged and has yet to apply. Consumers read with consumer groups (ReadOutbox), acknowledge
// (AckOutbox) and recover the entries of a consumer that died
// (ClaimStaleOutbox). Streams are bounded near Options.OutboxMaxLen, but an
// entry some group still needs (pending, or not yet delivered) is never trimmed:
// see lua/trim.lua.
//
// # Time
//
// Ticket scripts never read Redis's clock: the caller's time (Options.Now, or
// the time passed to SweepSLA) goes in as an argument, so tests can drive the
// clock and every ticket time is the engine's time.
package store
