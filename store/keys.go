package store

// Key layout. Every key starts with the Store's prefix. Keys that one Lua script
// touches together share a hash tag:
//
//	{t}  the ticket space: tickets, fingerprint index, state/department/kind/owner
//	     indexes, SLA sorted sets, snooze set, audit streams and the outbox streams
//	     that ticket changes are written to (a change and its outbox event commit in
//	     one script, so a crash can never lose or duplicate a card).
//	{w}  the watch list of in-flight orders.
//
// Records, cursors, leases and source health are single-key operations and carry no
// tag, so Redis Cluster spreads them across slots.
const (
	tagTickets = "{t}"
	tagWatch   = "{w}"
)

// Outbox stream names.
const (
	// OutboxSlack carries ticket changes to the Slack poster.
	OutboxSlack = "slack"
	// OutboxNotify carries customer notices to the notifier.
	OutboxNotify = "notify"
)

func (s *Store) ticketKey(id string) string { return s.key(tagTickets, "ticket", id) }
func (s *Store) fpIndexKey() string         { return s.key(tagTickets, "fp") }
func (s *Store) seqKey() string             { return s.key(tagTickets, "seq") }
func (s *Store) auditKey(id string) string  { return s.key(tagTickets, "audit", id) }
func (s *Store) outboxKey(name string) string {
	return s.key(tagTickets, "outbox", name)
}
func (s *Store) indexKey(field, value string) string {
	return s.key(tagTickets, "idx", field, value)
}
func (s *Store) slaKey(which string) string { return s.key(tagTickets, "sla", which) }
