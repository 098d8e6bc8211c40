// Package memory is an in-process source that serves orders, payments, stock and
// parcels from memory. The poll-cycle tests use it to exercise the cycle's logic
// (windows, joins, crash safety) without HTTP; the HTTP adapters in the sibling
// packages have their own tests against wire-format fakes.
package memory
