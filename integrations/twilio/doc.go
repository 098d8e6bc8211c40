// Package twilio sends SMS notices through Twilio Programmable Messaging
// (providers.md §6): one POST /2010-04-01/Accounts/{AccountSid}/Messages.json
// per message, form-encoded, with HTTP Basic auth, under the shared outbound
// HTTP policy (integrations/httpclient).
//
// A send is a non-idempotent POST, so the policy never retries it; a send
// that timed out or lost its connection after the request was written is
// reported as notice.ErrOutcomeUnknown, never as a failure that invites a
// resend. Twilio's error codes become *orderbot.Error kinds with a sentence
// staff can read on a ticket: 21211/21614 invalid number (KindInvalid), 21610
// the customer opted out with STOP (KindPermanent), 429/20429 too many
// requests (KindRateLimited), 20003/401 bad credentials (KindUnauthorized).
// Twilio's own error text is not copied into errors because it repeats the
// phone number.
package twilio
