// Package alipayfake is a local Alipay open-platform gateway for tests and the
// demo: it answers alipay.trade.query as Alipay does — form POST to
// /gateway.do, every common parameter checked (app_id, method, format,
// charset, sign_type RSA2, version, a Beijing-time timestamp within 15 minutes),
// the request's RSA2 signature verified with the app's public key, and every
// answer signed with its own "Alipay" key over the exact text of the
// alipay_trade_query_response value. Errors come with HTTP 200 in Alipay's
// codes: 40002 isv.* (unsigned) for a bad request, 40004 ACQ.TRADE_NOT_EXIST for
// an unknown trade, and injected 20000 or ACQ.SYSTEM_ERROR answers.
//
// It is a test double: the product never imports it.
package alipayfake
