// Package aliyunsmsfake is a local Alibaba Cloud SMS (Dysmsapi 2017-05-25)
// server for tests and the demo (providers.md §7). It answers SendSms by GET
// query or POST form, recomputes the RPC signature with its own
// implementation of the documented steps and refuses a mismatch
// (SignatureDoesNotMatch), an unknown key (InvalidAccessKeyId.NotFound), a
// stale Timestamp or a reused nonce as Alibaba's gateway does; checks the
// phone numbers (isv.MOBILE_NUMBER_ILLEGAL), the sign name, the template code
// and its JSON parameters; enforces an optional per-number frequency limit
// (isv.BUSINESS_LIMIT_CONTROL); and records every accepted SMS (Messages).
// Faults (Throttling.User, 500, slow answers) are injected and requests
// logged through the embedded providerfake.Server.
package aliyunsmsfake
