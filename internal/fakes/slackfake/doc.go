// Package slackfake is a stand-in for the Slack Web API and for Slack itself as a
// sender of signed requests. Tests point slack-go at it with slack.OptionAPIURL and
// then assert what a channel shows: which cards were posted, how often each was
// updated, what its thread holds, which ephemeral messages a user saw and which
// modals were opened.
//
// It behaves like Slack where orderbot depends on it: the bot token is checked
// (form field or Bearer header), message timestamps are unique per message, Block
// Kit limits are enforced with invalid_blocks, chat.update keeps or drops blocks the
// way Slack documents, trigger ids expire after three seconds and work once,
// response URLs work five times, message metadata is returned by
// conversations.history only with include_all_metadata, and the next N calls of a
// method can be made to fail with 429 and Retry-After or with a 5xx.
//
// In the other direction it signs slash commands, interaction payloads and Events
// API callbacks exactly as Slack does (v0 HMAC-SHA256 over "v0:ts:body") and posts
// them to the bot's handler. The same package backs the local Slack stand-in of
// `orderbot demo`, so it depends on nothing of orderbot: UI (ui.go and the
// embedded ui/ files) is a web page over a Server that shows channels, cards
// rendered from their Block Kit, threads, ephemerals and modals, and turns the
// page's clicks, modal submissions and slash commands into signed Slack requests
// to the bot.
package slackfake
