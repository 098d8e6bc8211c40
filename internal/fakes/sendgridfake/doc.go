// Package sendgridfake is a local SendGrid v3 Mail Send server for tests and
// the demo (providers.md §8). It serves POST /v3/mail/send with the Bearer
// key checked exactly (401 in SendGrid's errors envelope otherwise),
// validates the JSON body as SendGrid does (400 with an errors array naming
// the field), refuses unverified senders with 403 when Options.Senders is
// set, answers 202 with X-Message-Id (200 in sandbox mode, nothing recorded),
// and records every accepted email (Messages) so a demo can show the emails
// received. Faults (429 with X-RateLimit-* headers, 500, slow answers) are
// injected and requests logged through the embedded providerfake.Server.
package sendgridfake
