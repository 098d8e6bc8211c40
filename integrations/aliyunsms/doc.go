// Package aliyunsms sends SMS notices through Alibaba Cloud SMS (Dysmsapi
// 2017-05-25 SendSms, providers.md §7): an RPC-style POST to the endpoint
// with the common parameters, the template code and its JSON parameters,
// signed with the RPC signature (HMAC-SHA1 over the percent-encoded, sorted
// parameters; Sign implements the documented steps exactly), under the shared
// outbound HTTP policy (integrations/httpclient).
//
// Alibaba has no idempotency for SendSms, so a send is never retried; a send
// that timed out or lost its connection after the request was written is
// reported as notice.ErrOutcomeUnknown. Message.Reference travels as OutId,
// which Alibaba echoes in delivery receipts.
//
// Business failures arrive as HTTP 200 with Code ≠ "OK" and gateway failures
// as HTTP 4xx with a Code; both become *orderbot.Error kinds with a sentence
// staff can read: isv.MOBILE_NUMBER_ILLEGAL KindInvalid,
// isv.BUSINESS_LIMIT_CONTROL (the per-number frequency limit) and the
// day/month limits and Throttling.User KindRateLimited, request-signature and
// access-key errors KindUnauthorized, account problems (balance, service
// stopped) KindPermanent, template and sign-name problems KindInvalid.
package aliyunsms
