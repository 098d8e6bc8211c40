// Package analytics is the manager's view of ticket history (product.md §8):
// counts by kind, department, stage, source, hour and weekday; time to claim
// and to resolve (median, 90th percentile) from fixed histogram buckets;
// breach rate; money at risk and recovered; customer notices sent and failed;
// auto-resolved against staff-resolved; top SKUs, couriers, payment channels
// and regions; and the change against the previous period.
//
// Every figure is read from the store's rollups (store/rollups.go), which the
// ticket scripts keep in the same atomic step as each ticket change. A figure
// therefore costs a read in proportion to the time buckets it spans, never to
// the number of tickets, and stays after resolved tickets are purged.
// `/ob stats`, the daily digest, the early warnings and the dashboard all read
// this one model. The early warnings: spikes per kind, SKU and courier against
// the usual level for the hour of the week (spike.go), the oversell forecast
// (oversell.go), and the courier and payment-channel scorecard, whose rates
// divide tickets per courier or channel by the parcels and payments the poll
// cycles saw, judged against their own past weeks (scorecard.go).
package analytics
