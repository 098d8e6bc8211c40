// Package smtpfake is a local SMTP server for tests and the demo: ESMTP with
// STARTTLS on a self-signed certificate (CertPool gives clients its root),
// AUTH PLAIN checked exactly and only after TLS, MAIL/RCPT/DATA with
// dot-unstuffing, and every accepted message parsed (subject decoded, text
// and HTML parts decoded) and recorded (Messages) so a demo can show the
// emails received. Faults are queued with Inject: a refused recipient (550),
// a temporary failure at the end of DATA (451), or no answer after the end
// of DATA, which leaves the client unable to know whether the message was
// taken. It uses only the standard library.
package smtpfake
