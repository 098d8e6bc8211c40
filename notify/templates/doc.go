// Package templates writes customer notices (product.md §7): the email subject,
// plain-text and HTML bodies, the SMS text with its segment count, and the
// parameters of an approved Alibaba Cloud SMS template, for one anomaly kind,
// ticket event and locale.
//
// Deciding whether, when and over which channel a notice goes out is the
// notifier's job (package notify); this package only turns a kind, an event, a
// locale and the order's details into safe text.
//
// # Templates
//
// Built-in templates live in builtin/<locale>/<kind>.<event>.tmpl, in English
// ("en") and Simplified Chinese ("zh-CN"), for the customer-facing kinds and the
// events where a notice makes sense. _default.manual.tmpl is the generic text
// staff can send about a customer-facing kind that has no manual template of its
// own. Inventory and system kinds concern SKUs and sources, not one customer's
// order: they have no templates, Has reports false and Render fails with
// KindNotFound. Automatic events (open, resolve, breach) have no generic
// fallback on purpose: a vague "something is up with your order" sent by a
// detector would worry customers more than it helps.
//
// notices.templates_dir names a directory laid out the same way; Load overlays
// its files on the built-ins, so an operator copies one built-in file, edits it,
// and the rest stay as shipped. Load parses and trial-renders every file and
// reports every problem at once, each with its file and reason.
//
// A file holds sections, each a text/template definition:
//
//	subject  email subject (required)
//	sms      SMS text (required); keep it within two parts (306 GSM-7 or
//	         134 UCS-2 characters) with realistic data
//	text     plain-text email body (required)
//	html     HTML email body (optional); when absent, the text body is escaped
//	         and its blank-line separated paragraphs become <p>, its line
//	         breaks <br>
//
// The html section is executed by html/template, so every value is escaped for
// its context; the others are plain text. Anything outside a section, an
// unknown section name or a missing required section is an error. Leading and
// trailing white space of each section is dropped, runs of blank lines collapse
// to one, and a section that renders empty is an error.
//
// # Placeholders
//
//	{{.Shop}}            shop name (always set)
//	{{.Order}}           order number as the customer knows it: OrderName, else OrderID (always set)
//	{{.OrderName}}       e.g. "#1001"; may be empty
//	{{.OrderID}}         source order id; may be empty
//	{{.CustomerName}}    may be empty
//	{{.TrackingNumber}}  may be empty
//	{{.Carrier}}         e.g. "UPS", "顺丰速运"; may be empty
//	{{.TicketID}}        reference the customer can quote when replying; may be empty
//	{{.Resolution}}      resolution code staff chose, for resolve notices, e.g.
//	                     "refunded", "reshipped" (orderbot.KindSpec.Resolutions);
//	                     may be empty, so branch on the codes you know and keep a
//	                     true {{else}}
//	{{.ExpectedDate}}    expected delivery date written for the locale in the
//	                     customer's zone ("Fri, Mar 7", "3月7日"); empty when unknown
//
// Any other field is an error, caught when Load trial-renders the file.
// Templates may use the text/template actions and built-in functions (if, with,
// eq, ...). Guard optional values with {{with}} or {{if}}: Load trial-renders
// each file once with every placeholder set and once with only Shop and Order.
//
// Every value is untrusted: before a template sees it, it is made one line
// (control characters, CR, LF and tabs become spaces), stripped of invisible
// direction marks and invalid UTF-8, and capped at 100 characters. After
// rendering, the subject is made one line again and capped at 150 characters,
// so nothing can inject a mail header; the SMS and text bodies lose every
// control character but the line feed. Values are never interpreted: mrkdwn or
// markup in an order name shows literally in SMS and text, and escaped in HTML.
//
// An example override, zh-CN/shipping.stalled.open.tmpl:
//
//	{{define "subject"}}订单{{.Order}}物流更新{{end}}
//
//	{{define "sms"}}【{{.Shop}}】您的订单{{.Order}}物流暂未更新，我们已联系快递核查，请耐心等待。{{end}}
//
//	{{define "text"}}
//	{{if .CustomerName}}{{.CustomerName}}，您好：{{else}}您好：{{end}}
//
//	您的订单{{.Order}}{{with .TrackingNumber}}（运单号{{.}}）{{end}}物流信息已多日未更新，我们已联系快递公司核查。
//
//	{{.Shop}}
//	{{end}}
//
// # Locales
//
// Render picks the template locale from the order's locale, case-insensitively
// and accepting "_" for "-": an exact match ("zh-CN"), else the same language
// ("zh", "zh-Hans-CN", "zh_TW" → zh-CN; "en-US", "en_GB" → en), else English.
// It then takes the kind's own template in that locale or, for a manual notice,
// the generic one, before trying English and the other locales.
//
// # SMS
//
// Rendered.Segments and Encoding say how many parts the SMS text takes (see
// SMSSegments). Alibaba Cloud SMS (China) does not send free text: it sends an
// approved template code (notices.aliyun.templates) with variables, and the
// SMS section of a zh-CN template is what Twilio sends and previews show.
// Rendered.Params holds the variables under fixed names, each one line without
// 【】 and at most 35 characters:
//
//	shop, order, name, tracking, carrier, date
//
// Empty values are left out, so a template whose variable has no value fails
// at Alibaba with isv.TEMPLATE_MISSING_PARAMETERS instead of sending a gap. A
// template submitted for approval would read, for shipping.stalled/open:
//
//	您的订单${order}物流信息已多日未更新，我们已联系快递公司核查，运单号${tracking}，有进展会及时通知您。
//
// (the signature is added by Alibaba; variables must not stand next to each
// other, and links must be fixed text, oms-practice.md §5.1).
package templates
