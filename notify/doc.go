// Package notify sends customers SMS and email notices about their orders'
// problems (product.md §7) without ever spamming them.
//
// A notice starts from a ticket event — automatically when the kind's
// notices.on_open / on_resolve / on_breach switch is on (Run reads the ticket
// change stream with its own consumer group), or by hand from the card's
// "Notify customer" modal — and goes through these rules, in order:
//
//   - one notice per order, kind and template, ever: the notice's id is derived
//     from that triple and the store creates it only if it does not exist, so
//     racing triggers make one notice;
//   - SMS when the customer's phone is a valid mobile number (E.164, read with
//     the shipping country as region), else email, else the ticket says that
//     neither is possible;
//   - the opt-out list (file, the store's list that provider opt-out answers
//     feed, and the source's own consent flag) wins over everything;
//   - quiet hours in the customer's time zone move the due time to their end,
//     never drop the notice; a per-recipient daily cap moves it to the next
//     allowed time on the next day.
//
// An oversold SKU's ticket is about the SKU, not one order: its "on open"
// notice goes to every open order with the SKU that the ERP's available stock
// does not cover, oldest orders served first (delayNotices). Those notices are
// bulk: the ticket's thread gets one summary line instead of one per order,
// and a line of its own only for a send whose outcome is unknown.
//
// Delivery is an outbox: the notice's state is written before the provider
// call ("sending", with a lease) and after it (sent, failed, or queued again
// for a definite "not sent" such as a rate limit). A send whose outcome cannot
// be known — the process died mid-call, or the provider did not answer — is
// marked "unknown" and posted to the ticket thread with Resend and Mark sent
// buttons; it is never sent again by itself. Every notice and the provider's
// answer go to the ticket thread with the recipient masked.
package notify
