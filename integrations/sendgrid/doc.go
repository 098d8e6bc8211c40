// Package sendgrid sends email notices through SendGrid's v3 Mail Send API
// (providers.md §8): one POST /v3/mail/send per message with a Bearer API key
// and a JSON body, 202 Accepted with X-Message-Id on success, under the shared
// outbound HTTP policy (integrations/httpclient).
//
// A send is a non-idempotent POST, so the policy never retries it; a send
// that timed out or lost its connection after the request was written is
// reported as notice.ErrOutcomeUnknown. Subjects and addresses with line
// breaks are refused before anything is sent. SendGrid's errors become
// *orderbot.Error kinds: 400 KindInvalid with the first error's message, 401
// and 403 KindUnauthorized, 429 KindRateLimited with the wait taken from
// X-RateLimit-Reset when SendGrid sends no Retry-After.
package sendgrid
