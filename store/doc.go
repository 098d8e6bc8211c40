// Package store keeps orderbot's state in Redis: tickets and their indexes, SLA
// clocks, audit history, poll cursors, the watch list of in-flight orders, cached
// normalised records, outbox streams for the Slack poster and the notifier, and
// job leases.
//
// Every Redis key name and Lua script lives in this package. Keys a script touches
// together share a hash tag, so the same code runs on a single node, Sentinel or
// Redis Cluster.
package store
