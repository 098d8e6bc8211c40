// Package twiliofake is a local Twilio Programmable Messaging server for
// tests and the demo (providers.md §6). It serves
// POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth
// checked exactly (20003 with 401 otherwise), validates To (21211 unless
// E.164), answers 21610 for numbers marked as opted out (OptOut), and records
// every accepted message (Messages) so a demo can show the SMS received.
// Faults (429 with code 20429, 500, slow answers) are injected and requests
// logged through the embedded providerfake.Server.
package twiliofake
