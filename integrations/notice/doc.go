// Package notice is the contract between the customer-notice flow and the
// provider adapters that deliver a notice (twilio, aliyunsms, sendgrid,
// smtp): a Message to send, the Receipt a provider gives back, the Sender
// interface every adapter implements, and ErrOutcomeUnknown, which an adapter
// wraps when a request may have reached the provider but no answer was read.
//
// A notice must never go out twice, so adapters never retry a send and the
// caller must tell three outcomes apart:
//
//   - success: a Receipt with the provider's id;
//   - a definite failure: an *orderbot.Error whose kind says why (invalid
//     recipient, opted out, rate limited, bad credentials, provider down);
//     nothing was delivered, so a later attempt is safe;
//   - outcome unknown: errors.Is(err, ErrOutcomeUnknown); the provider may
//     have accepted the message, so it must be shown to staff, not resent.
//     Its kind is KindPermanent so that orderbot.Retryable is false and no
//     generic retry stage resends it.
//
// The package also holds the small piece of HTTP machinery the HTTP adapters
// share to tell the last two cases apart: Transport and Track record whether
// a request was written and whether its answer was read in full.
package notice
