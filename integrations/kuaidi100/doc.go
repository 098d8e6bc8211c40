// Package kuaidi100 looks parcels up at Kuaidi100 (快递100) with its real-time
// query (实时快递查询) as an orderbot.TrackingSource.
//
// Wire format: docs/providers.md §5. A query is a form POST of customer, param
// (a JSON string) and sign = UPPER(hex(MD5(param + key + customer))), signed
// over the exact param bytes sent. It changes nothing at Kuaidi100, so it is
// marked idempotent and the shared policy (integrations/httpclient) may retry
// it. Kuaidi100 reports most errors with HTTP 200 and {"result":false,
// "returnCode":...}; those are turned into error kinds here (see
// returnCodeError).
//
// Carriers are named by Kuaidi100 company codes (shunfeng, yuantong, ...); the
// adapter maps the slugs orders carry (sf-express, yto, ...) through a
// configurable table, and sends the last four digits of a configured phone for
// carriers that hide traces behind it (SF Express).
package kuaidi100
