#!/bin/sh
# Slack delivery: orderbot's poster against Prometheus Alertmanager on the same
# sink (the bot's local Slack fake; Alertmanager posts to its incoming-webhook
# endpoint). Both benchmarks run back to back in one `go test`, so they share
# the machine's load; compare them within one run.
#
#   BenchmarkCardThroughput       10,000 (and 1,000) distinct new tickets already in
#                                 the outbox, pacing and storm control out of the way:
#                                 cards/s, CPU µs per card (process incl. the fake),
#                                 Redis CPU µs per card
#   BenchmarkAlertmanagerSameSink 10,000 alerts pushed to /api/v2/alerts, every alert
#                                 its own group (group_by ['...'], group_wait 0s):
#                                 messages/s at the fake, Alertmanager CPU µs per
#                                 message (its rusage), the fake's CPU µs per message
#
# Needs redis-server and Alertmanager on PATH (apt-get install redis-server
# prometheus-alertmanager), or ALERTMANAGER_BIN naming the binary. COUNT repeats
# the pair (default 1); OB_AM_ALERTS changes the number of alerts.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${ALERTMANAGER_BIN:-}" ] && ! command -v prometheus-alertmanager >/dev/null && ! command -v alertmanager >/dev/null; then
	echo "no Alertmanager: apt-get install prometheus-alertmanager, or set ALERTMANAGER_BIN" >&2
	exit 1
fi
command -v redis-server >/dev/null || { echo "no redis-server: apt-get install redis-server" >&2; exit 1; }
uptime
exec go test ./bot -run '^$' -bench 'CardThroughput|AlertmanagerSameSink' -benchtime 1x -count "${COUNT:-1}"
