// Package smtp sends email notices through an SMTP relay with net/smtp:
// STARTTLS (required unless Options.AllowInsecure; or implicit TLS on port
// 465), AUTH PLAIN when a username is configured, one MAIL/RCPT/DATA per
// message, and a MIME message built here with encoded UTF-8 headers and
// quoted-printable text and HTML parts.
//
// Like the HTTP senders, a send is never retried. Everything before the end
// of DATA is a definite failure: nothing was handed over. Once the final "."
// is written, an error without an SMTP reply (a timeout, a dropped
// connection, a cancellation) means the server may have queued the message,
// and is reported as notice.ErrOutcomeUnknown. SMTP replies become
// *orderbot.Error kinds: 535/530 KindUnauthorized, 550/551/553 on the
// recipient KindInvalid, other 5xx KindPermanent, 4xx KindTransient; the
// server's own text is not copied into errors because it often repeats the
// address. Subjects, addresses and the reference with line breaks are
// refused before connecting.
package smtp
