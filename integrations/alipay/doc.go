// Package alipay is the Alipay payment source: it asks Alipay's open platform
// gateway (alipay.trade.query, API version 1.0) about one order at a time, by
// out_trade_no, the shop's order id.
//
// Alipay has no feed of trades to poll, and its payment callbacks get lost (掉单:
// "paid, but the shop shows unpaid"), so the client implements
// orderbot.PaymentQuerier: the poll cycle asks it about the orders whose payment
// is in doubt — awaiting payment, marked paid without a provider payment, or
// cancelled while unpaid — and the answers become payments that
// payment.unrecorded, payment.missing and payment.after_close read.
//
// Every request is a form POST to /gateway.do signed RSA2 (SHA256withRSA,
// PKCS#1 v1.5) with the app's private key over the sorted k=v parameters. Every
// answer is verified with the Alipay public key over the raw text of the
// alipay_trade_query_response value, taken from the body as it arrived (never
// re-marshalled: a different escaping would change the signed text). An answer
// without a valid signature is refused, except an error that Alipay could not
// sign (a wrong app id or key), which cannot be mistaken for a payment.
//
// Trade statuses map to payments: TRADE_SUCCESS and TRADE_FINISHED are
// succeeded payments of total_amount (CNY); WAIT_BUYER_PAY is pending;
// TRADE_CLOSED is cancelled, or, when the trade had been paid (send_pay_date
// set), a succeeded payment refunded in full. Errors arrive with HTTP 200:
// code 20000 (service unavailable) and sub_code ACQ.SYSTEM_ERROR are retried by
// the shared HTTP policy; 40004 ACQ.TRADE_NOT_EXIST is KindNotFound; bad
// credentials (20001, 40006, isv.invalid-*) are KindUnauthorized.
package alipay
