// Package demo is orderbot's embedded default: simulated shop, payment, ERP and
// courier services on loopback, fed with realistic data by package simulate, so
// that `orderbot demo` (and the acceptance tests) run the production code paths —
// the real adapters, poll cycle, detection and ticket store — with nothing
// installed and no accounts.
//
// The simulated services are the providers' wire-format fakes from
// internal/fakes/*fake: they speak exactly what Stripe, Shopify, ERPNext,
// AfterShip, Kuaidi100 and Alipay speak, so the adapters cannot tell the
// difference. Each source type brings its stand-in as a Simulated, which
// cmd/orderbot lists next to the type's spec.
//
// Feed keeps the services in step with a simulate.Timeline: each step loads
// only what changed in the shop since the last, dated within the step, so no
// record lands behind a poll cursor; Feed.Fix makes the shop do what a staff
// resolution says was done.
//
// StartPage serves the Slack stand-in's page (slackfake.UI) on loopback, acting
// as the demo user, so a newcomer can watch cards arrive and click them.
package demo
