// Package stripe is the Stripe adapter: an orderbot.PaymentSource that lists
// PaymentIntents, their charges and refunds from the Stripe REST API v1
// (providers.md §1) through the shared httpclient policy and maps them to
// orderbot.Payment.
//
// # Windows
//
// Stripe lists objects by creation time, not by update time, so a window
// [From, To) asks for intents created in it. Two kinds of change to an older
// intent would be missed by that alone:
//
//   - A refund of an older payment: ListPayments also lists the refunds created
//     in the window and delivers, after the window's intents, every intent they
//     belong to that was not among them, fetched by id, with all its refunds.
//   - A status change of an older intent (3-D Secure completed minutes later, a
//     bank debit that succeeds days later): Options.Lookback widens the intent
//     listing to start that much before the window, at the cost of listing
//     those intents again on every poll. The poll's own overlap covers changes
//     within the overlap; Lookback covers the slower payment methods a shop uses.
//
// Every delivered Payment is the intent's state at the time of the call with
// all its refunds, so delivering one twice (overlapping windows, a refund in
// the window) is harmless to a consumer that upserts by id; within one call an
// intent is delivered at most once.
package stripe
