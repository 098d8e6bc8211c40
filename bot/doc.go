// Package bot is orderbot's Slack side: it puts every ticket in front of the
// department that owns it as an interactive card and lets staff act on it.
//
//   - cards.go builds every piece of Block Kit the bot sends (ticket cards, storm
//     summaries, thread lines, escalation posts, slash-command replies, the Resolve
//     modal), escapes outside text and enforces Block Kit limits by truncation.
//   - Poster consumes the store's Slack outbox: one card per ticket (never two, even
//     across a crash), chat.update coalesced per ticket, history as thread replies,
//     SLA escalation steps, storm summaries, per-channel pacing and retries.
//   - Handler serves POST /slack/interactions, /slack/commands and /slack/events:
//     signature and timestamp verified on the raw body first, acked at once, the
//     work done after the ack; RunSocketMode feeds the same dispatch from a Socket
//     Mode connection. A card click is acked only once it is in the click queue
//     (a Redis stream) that RunClicks works through on any replica, so a burst or
//     a crash never loses an acknowledged click: it is carried out, or its user
//     is told the bot is busy.
//
// The bot reads and changes tickets only through the store; manual tickets and
// order lookups go through the TicketOpener and OrderDirectory interfaces that the
// ticket engine implements.
package bot
