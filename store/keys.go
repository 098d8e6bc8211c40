package store

import (
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

// Key layout. Every key starts with the Store's prefix. Keys that one Lua script
// touches together share a hash tag:
//
//	{t}  the ticket space: tickets (tkt:ID) and their resolution (rs:ID), the
//	     fingerprint index, the id counter, the state/department/kind/owner
//	     index sets, the SLA sorted sets, the snooze (wake) set, the resolved
//	     set, audit lists and the outbox streams that ticket changes are written
//	     to (a change and its outbox event commit in one script, so a crash can
//	     never lose or duplicate a card).
//	{d}  open demand per SKU and each order's recorded contribution to it.
//	{s}  stock per (side, source) and the set of sources of each side, so a
//	     replace is one atomic RENAME.
//	{w..} the watch list of in-flight orders, split over watchShards sorted
//	     sets under tags from shardTags (one ZADD per shard per batch).
//
// Records, cursors, leases and source health are single-key operations and carry
// no tag, so Redis Cluster spreads them across slots. The contact index is
// split over contactShards hashes, each under a tag of its own placed in its
// share of the slot range (shardTags), so one script per shard updates a
// batch's contacts and a cluster spreads the shards evenly over its masters
// (TestClusterSpreadsAPollCycle). New sharded key spaces take their tags from
// shardTags in the same way.
//
// The ticket space is one hash slot by design: every ticket script reads and
// writes indexes, SLA sets and the outbox together, and Redis runs a script only
// on keys of one slot. The price is that on Redis Cluster all ticket keys live on
// one shard. At ≤ 2 KB per open ticket a million open tickets fit in 2 GB, far
// beyond what a shop's operations team can work, so one shard is not the limit;
// the high-volume data (cached orders, payments, shipments) is untagged and does
// spread. Scripts build per-ticket key names (tkt:ID, idx:state:open, ...) from
// prefixes passed in ARGV rather than declaring each key: Redis Cluster accepts
// that because every such key carries the {t} tag and so lives in the slot of the
// declared KEYS.
const (
	tagTickets = "{t}"
	tagDemand  = "{d}"
	tagStock   = "{s}"
)

// Outbox stream names, each named for what it carries.
const (
	// OutboxTicketChanges carries every ticket change (and each notice's line
	// for the ticket's thread), written by the ticket and notice scripts in
	// the same step as the change. The Slack poster and the notifier read it,
	// each with its own consumer group.
	OutboxTicketChanges = "ticket-changes"
	// OutboxClicks carries acknowledged Slack card clicks to the bot's click
	// workers, so a click Slack was told we took survives a burst or a crash.
	OutboxClicks = "clicks"
)

// outboxRenamed maps stream names of earlier versions to today's; Store.New
// moves a stream that still has its old name (see migrateOutboxes).
var outboxRenamed = map[string]string{"slack": OutboxTicketChanges}

// Ticket space. A ticket is a string (see lua/common.lua); "tk:ID" held the
// earlier hash layout, and the new name means a Redis that still holds such
// tickets reads them as absent rather than failing with WRONGTYPE.
func (s *Store) ticketKey(id string) string { return s.key(tagTickets, "tkt", id) }
func (s *Store) resolutionKey(id string) string {
	return s.key(tagTickets, "rs", id)
}
func (s *Store) fpIndexKey() string        { return s.key(tagTickets, "fp") }
func (s *Store) seqKey() string            { return s.key(tagTickets, "seq") }
func (s *Store) auditKey(id string) string { return s.key(tagTickets, "audit", id) }
func (s *Store) outboxKey(name string) string {
	return s.key(tagTickets, "outbox", name)
}
func (s *Store) indexKey(field, value string) string {
	return s.key(tagTickets, "idx", field, value)
}
func (s *Store) slaKey(which string) string { return s.key(tagTickets, "sla", which) }
func (s *Store) resolvedKey() string        { return s.key(tagTickets, "resolved") }

// Flap guard (see flap.go), in the ticket space so the upsert script reaches
// the pending hash: per kind the conditions waiting to open, and per
// fingerprint the clearing count and the automatic resolutions of the churn
// window (strings with a TTL, so an abandoned one expires by itself).
func (s *Store) pendingKey(k orderbot.Kind) string { return s.key(tagTickets, "pend", string(k)) }
func (s *Store) clearingKey(fp string) string      { return s.key(tagTickets, "clr", fp) }
func (s *Store) churnKey(fp string) string         { return s.key(tagTickets, "churn", fp) }

// Index fields of indexKey.
const (
	idxState = "state"
	idxDept  = "dept"
	idxKind  = "kind"
	idxOwner = "owner"
)

// SLA sorted sets of slaKey.
const (
	slaAck     = "ack"
	slaResolve = "res"
	slaWake    = "wake"
)

// ticketKeys are the KEYS of every ticket script, in the order lua/common.lua
// reads them. stream is the outbox the script writes to.
func (s *Store) ticketKeys(stream string) []string {
	return []string{
		s.fpIndexKey(), s.seqKey(),
		s.slaKey(slaAck), s.slaKey(slaResolve), s.slaKey(slaWake),
		s.outboxKey(stream), s.resolvedKey(),
	}
}

// ticketLayout is ARGV[1..7] of every ticket script: the prefixes from which the
// script builds per-ticket key names, so key names are spelled only here.
func (s *Store) ticketLayout() []any {
	return []any{
		s.ticketKey(""), s.resolutionKey(""), s.auditKey(""),
		s.indexKey(idxState, ""), s.indexKey(idxDept, ""), s.indexKey(idxKind, ""), s.indexKey(idxOwner, ""),
	}
}

// Demand ({d}).
func (s *Store) demandKey() string        { return s.key(tagDemand, "demand") }
func (s *Store) demandContribKey() string { return s.key(tagDemand, "contrib") }

// demandSweepKey holds the demand script's HSCAN cursor over the
// contributions, from which it releases those that expired with their order.
func (s *Store) demandSweepKey() string { return s.key(tagDemand, "contribsweep") }

// Stock ({s}).
func (s *Store) stockKey(side, source string) string {
	return s.key(tagStock, "stock", side, source)
}
func (s *Store) stockTmpKey(side, source, nonce string) string {
	return s.key(tagStock, "stocktmp", side, source, nonce)
}
func (s *Store) stockSourcesKey(side string) string { return s.key(tagStock, "stocksrc", side) }

// stockDiffKey holds, per SKU, since when shop and ERP stock have differed
// beyond inventory.sync_lag's tolerance (unix ms); see stockdiff.go.
func (s *Store) stockDiffKey() string { return s.key(tagStock, "diffsince") }

// Watch list: one sorted set per shard, an order's shard picked by its id.
func (s *Store) watchKey(shard int) string { return s.key(s.watchTags[shard], "watch") }

// watchShards is how many sorted sets the watch list is split over.
const watchShards = 16

// Untagged single-key records.
func (s *Store) orderKey(id string) string { return s.key("ord", id) }

// paymentsKey holds one order's payments as a hash of payment id → JSON; the
// empty order id (unlinked payments) gets a key of its own.
func (s *Store) paymentsKey(orderID string) string {
	if orderID == "" {
		return s.key("payu")
	}
	return s.key("pay", orderID)
}
func (s *Store) shipmentKey(tracking string) string { return s.key("shp", tracking) }

// unlinkedPaymentsKey is the hash of payments without an order saved on the
// UTC day of t: one per day, so each expires on its own.
func (s *Store) unlinkedPaymentsKey(t time.Time) string {
	return s.key("payu", t.UTC().Format("20060102"))
}
func (s *Store) cursorKey(source string) string { return s.key("cursor", source) }

// authKey holds the ids of one payment source's payments that are authorised
// and not yet captured or voided; see authorizations.go.
func (s *Store) authKey(source string) string { return s.key("payauth", source) }

// urlPrefixKey holds the admin-link prefix of a source's orders (urlprefix.go).
func (s *Store) urlPrefixKey(source string) string { return s.key("urlprefix", source) }
func (s *Store) pollKey(source string) string      { return s.key("poll", source) }
func (s *Store) leaseKey(name string) string       { return s.key("lease", name) }
func (s *Store) tickKey(job string, tickMs int64) string {
	return s.key("tick", job, strconv.FormatInt(tickMs, 10))
}

// Contact index: contactShards hashes and their sweep cursors, each pair under
// one of the shard tags (see contacts.go).
func (s *Store) contactKeys(shard int) []string {
	t := s.contactTags[shard]
	return []string{s.key(t, "contacts"), s.key(t, "contactsweep")}
}
