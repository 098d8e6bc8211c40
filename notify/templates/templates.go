package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/orderbot/orderbot"
)

// Data is what a notice is about. Every field is untrusted (it comes from the
// shop, the customer or a carrier): Render makes each one a single clean line
// before any template sees it, escapes it in the HTML body, and never lets it
// reach a subject as more than one line.
type Data struct {
	Shop           string // shop name as customers know it; required
	OrderName      string // order number as the customer sees it, e.g. "#1001"
	OrderID        string // source order id; used when OrderName is empty
	CustomerName   string // may be empty: templates greet generically then
	TrackingNumber string
	Carrier        string // carrier name as the customer knows it, e.g. "UPS", "顺丰速运"
	TicketID       string // quoted as a reference the customer can reply with
	// Resolution is the resolution code staff chose (orderbot.KindSpec
	// Resolutions, e.g. "refunded"), for resolve notices; resolve templates
	// say something true for any code, and more for the codes they know.
	Resolution string
	// ExpectedDelivery is zero when unknown.
	ExpectedDelivery time.Time
	// Location is the customer's zone, in which dates are written; nil is UTC.
	Location *time.Location
}

// Rendered is a notice ready for the channels.
type Rendered struct {
	Locale  string // template locale actually used: "en" or "zh-CN"
	Subject string // email subject: one line, no control characters, at most 150 characters
	Text    string // plain-text email body
	HTML    string // HTML email body; every value escaped
	SMS     string // SMS text (what Twilio sends and previews show); control characters removed
	// Segments and Encoding are SMSSegments(SMS).
	Segments int
	Encoding string
	// Params are the variables of an approved Alibaba Cloud SMS template, which
	// sends a template code plus these instead of SMS: shop, order, name,
	// tracking, carrier, date. Empty values are left out; each value is one
	// line without 【】, at most 35 characters.
	Params map[string]string
}

// DefaultKind names the generic templates used for a manual notice about a
// customer-facing kind that has no template of its own for that event.
const DefaultKind orderbot.Kind = "_default"

// Section names of a template file.
const (
	sectionSubject = "subject"
	sectionSMS     = "sms"
	sectionText    = "text"
	sectionHTML    = "html"
)

// Set is a parsed, validated set of templates. It is read-only and safe for
// concurrent use.
type Set struct {
	byKey map[key]*tmpl
}

type key struct {
	locale string
	kind   orderbot.Kind
	event  orderbot.NoticeEvent
}

// tmpl is one parsed template file.
type tmpl struct {
	file string                 // where it came from, for errors
	text *texttemplate.Template // subject, sms and text sections
	html *htmltemplate.Template // nil: HTML is derived from the text section
}

// builtinFS holds builtin/; "all:" because go:embed skips files starting with
// "_" otherwise, and the generic templates are _default.<event>.tmpl.
//
//go:embed all:builtin
var builtinFS embed.FS

var builtin = sync.OnceValue(func() *Set {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(err)
	}
	s := &Set{byKey: map[key]*tmpl{}}
	if err := s.addDir(sub, func(p string) string { return "builtin/" + p }); err != nil {
		panic("templates: broken built-in templates: " + err.Error())
	}
	return s
})

// Builtin returns the templates shipped with orderbot (builtin/<locale>/), parsed
// once. It panics if they are broken, which the package tests rule out.
func Builtin() *Set { return builtin() }

// Locales returns the template locales, English first.
func (s *Set) Locales() []string { return append([]string(nil), supported...) }

// Has reports whether Render has a template for kind and event: the kind's
// own in any locale or, for a manual notice, the generic one. Internal kinds
// (inventory.*, system.*) never have one.
func (s *Set) Has(kind orderbot.Kind, event orderbot.NoticeEvent) bool {
	if !customerFacing(kind) || !knownEvent(event) {
		return false
	}
	for _, l := range supported {
		if s.byKey[key{l, kind, event}] != nil || event == orderbot.NoticeManual && s.byKey[key{l, DefaultKind, event}] != nil {
			return true
		}
	}
	return false
}

// Render writes the notice for kind and event in the template locale that best
// matches locale (see the package doc). It looks in that locale for the kind's
// own template and then, for a manual notice, the generic one, and then does
// the same in English and the remaining locales: a customer who cannot read the
// language is served worse than one who gets the generic wording.
//
// Errors are *orderbot.Error: KindInvalid for an unknown kind or event, missing
// shop name or order reference, or a template that fails or renders an empty
// part; KindNotFound for an internal kind or a kind without a template for the
// event.
func (s *Set) Render(kind orderbot.Kind, event orderbot.NoticeEvent, locale string, d Data) (Rendered, error) {
	const op = "templates.render"
	switch {
	case !kind.Known():
		return Rendered{}, orderbot.Errorf(orderbot.KindInvalid, op, "unknown kind %q", clip(string(kind), 40))
	case !knownEvent(event):
		return Rendered{}, orderbot.Errorf(orderbot.KindInvalid, op, "unknown notice event %q", clip(string(event), 40))
	case !customerFacing(kind):
		return Rendered{}, orderbot.Errorf(orderbot.KindNotFound, op, "%s is an internal kind: customers get no notice about it", kind)
	}
	t, used := s.find(kind, event, locale)
	if t == nil {
		return Rendered{}, orderbot.Errorf(orderbot.KindNotFound, op, "no %s notice template for %s", event, kind)
	}
	p := newPlaceholders(used, d)
	switch {
	case p.Shop == "":
		return Rendered{}, orderbot.Errorf(orderbot.KindInvalid, op, "a notice needs the shop name")
	case p.Order == "":
		return Rendered{}, orderbot.Errorf(orderbot.KindInvalid, op, "a notice needs the order name or id")
	}
	r, err := t.render(used, p)
	if err != nil {
		return Rendered{}, orderbot.Wrap(orderbot.KindInvalid, op, err, "notice template "+t.file+" failed")
	}
	return r, nil
}

func (s *Set) find(kind orderbot.Kind, event orderbot.NoticeEvent, locale string) (*tmpl, string) {
	for _, l := range localePreference(locale) {
		if t := s.byKey[key{l, kind, event}]; t != nil {
			return t, l
		}
		if event == orderbot.NoticeManual {
			if t := s.byKey[key{l, DefaultKind, event}]; t != nil {
				return t, l
			}
		}
	}
	return nil, ""
}

// customerFacing reports whether customers may get notices about kind:
// inventory and system kinds are about SKUs and sources, not one customer's
// order, except an oversold SKU, whose notice goes to each order it delays
// (product.md §3: "on open (delay)").
func customerFacing(kind orderbot.Kind) bool {
	if !kind.Known() {
		return false
	}
	if kind == orderbot.InventoryOversold {
		return true
	}
	switch kind.Category() {
	case "inventory", "system":
		return false
	}
	return true
}

func knownEvent(e orderbot.NoticeEvent) bool {
	for _, x := range orderbot.NoticeEvents {
		if x == e {
			return true
		}
	}
	return false
}

// placeholders is what templates see; every value is clean (see cleanValue).
// Its fields are the placeholders the package doc lists; a template naming any
// other field fails to render, and Load trial-renders every file, so a typo is
// caught when the files are loaded.
type placeholders struct {
	Shop, Order, OrderName, OrderID, CustomerName string
	TrackingNumber, Carrier, TicketID, Resolution string
	ExpectedDate                                  string
}

func newPlaceholders(locale string, d Data) placeholders {
	p := placeholders{
		Shop:           cleanValue(d.Shop),
		OrderName:      cleanValue(d.OrderName),
		OrderID:        cleanValue(d.OrderID),
		CustomerName:   cleanValue(d.CustomerName),
		TrackingNumber: cleanValue(d.TrackingNumber),
		Carrier:        cleanValue(d.Carrier),
		TicketID:       cleanValue(d.TicketID),
		Resolution:     cleanValue(d.Resolution),
		ExpectedDate:   formatDate(locale, d.ExpectedDelivery, d.Location),
	}
	p.Order = p.OrderName
	if p.Order == "" {
		p.Order = p.OrderID
	}
	return p
}

func (p placeholders) params() map[string]string {
	m := make(map[string]string, 6)
	for name, v := range map[string]string{
		"shop": p.Shop, "order": p.Order, "name": p.CustomerName,
		"tracking": p.TrackingNumber, "carrier": p.Carrier, "date": p.ExpectedDate,
	} {
		if v = cleanParam(v); v != "" {
			m[name] = v
		}
	}
	return m
}

// render executes every section of t and cleans the results.
func (t *tmpl) render(locale string, p placeholders) (Rendered, error) {
	r := Rendered{Locale: locale, Params: p.params()}
	var err error
	if r.Subject, err = t.exec(sectionSubject, p); err != nil {
		return Rendered{}, err
	}
	r.Subject = cleanSubject(r.Subject)
	if r.SMS, err = t.exec(sectionSMS, p); err != nil {
		return Rendered{}, err
	}
	r.SMS = cleanBody(r.SMS)
	if r.Text, err = t.exec(sectionText, p); err != nil {
		return Rendered{}, err
	}
	r.Text = cleanBody(r.Text)
	if t.html != nil {
		var b bytes.Buffer
		if err := t.html.ExecuteTemplate(&b, sectionHTML, p); err != nil {
			return Rendered{}, err
		}
		r.HTML = cleanHTML(b.String())
	} else {
		r.HTML = textToHTML(r.Text)
	}
	for _, part := range []struct{ name, v string }{
		{sectionSubject, r.Subject}, {sectionSMS, r.SMS}, {sectionText, r.Text}, {sectionHTML, r.HTML},
	} {
		if part.v == "" {
			return Rendered{}, fmt.Errorf("the %s section rendered empty", part.name)
		}
	}
	r.Segments, r.Encoding = SMSSegments(r.SMS)
	return r, nil
}

func (t *tmpl) exec(section string, p placeholders) (string, error) {
	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, section, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

// textToHTML derives the HTML body from the plain-text one: escaped, blank-line
// separated paragraphs in <p>, line breaks as <br>.
func textToHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
		b.WriteString("</p>")
	}
	return b.String()
}
