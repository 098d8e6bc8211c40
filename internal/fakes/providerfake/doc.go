// Package providerfake is the machinery the provider fakes (stripefake,
// shopifyfake, erpnextfake, aftershipfake, kuaidi100fake) share, so that every
// fake injects failures, logs requests and writes answers the same way and a
// test that knows one fake knows them all.
//
// A fake supplies its wire format through Config: Gate (credentials, paths,
// rate limits: checks that answer before any fault is consumed), Serve (the
// API itself) and the provider's own envelopes for an injected 429 and 5xx.
// Server does the rest: a FIFO queue of injected faults (rate limited with
// Retry-After, server error, malformed JSON, a field of the wrong JSON type, a
// slow answer) with repeat counts and path filters, a bounded request log that
// records each request before its answer is written (so a client that has its
// answer always finds its request logged), and the loopback HTTP server.
//
// It is a normal package so that the fakes in other packages can use it;
// production code never imports it.
package providerfake
