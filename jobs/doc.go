// Package jobs runs orderbot's scheduled work: one poll job per source on its cron
// schedule and the SLA sweeper. The job bodies (Poller.Poll, Sweeper.Sweep) are
// plain functions that tests call directly; the Scheduler adds what production
// needs around them: panic recovery, an overlap guard, a per-tick claim and a
// lease in Redis so that with several replicas each tick runs on exactly one.
package jobs
