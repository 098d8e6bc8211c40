package templates

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
)

// FuzzRender feeds arbitrary values to every part of a notice: whatever they
// hold, the subject stays one short line, SMS and text hold no control
// character but LF, no value adds a line, and the HTML holds no markup
// from a value.
func FuzzRender(f *testing.F) {
	f.Add("Acme", "#1001\r\nBcc: x@evil.example", "<script>alert(1)</script>", "1Z\x00\x1b[31m")
	f.Add("*bold* <!channel>", "<http://x|y>", "&amp; \u202Egpj", "\u2028\u0085\t")
	f.Add("【银行】", "\xff\xfe", strings.Repeat("长", 200), "😀")
	f.Fuzz(func(t *testing.T, shop, order, name, tracking string) {
		d := Data{Shop: shop, OrderName: order, CustomerName: name, TrackingNumber: tracking, Carrier: name, TicketID: tracking}
		for _, locale := range supported {
			r, err := Builtin().Render(orderbot.ShippingException, orderbot.NoticeOpen, locale, d)
			if err != nil {
				if cleanValue(shop) == "" || cleanValue(order) == "" {
					continue
				}
				t.Fatalf("Render: %v", err)
			}
			if strings.ContainsAny(r.Subject, "\r\n") || utf8.RuneCountInString(r.Subject) > maxSubject {
				t.Errorf("subject %q", r.Subject)
			}
			for part, v := range map[string]string{"subject": r.Subject, "sms": r.SMS, "text": r.Text, "html": r.HTML} {
				if !utf8.ValidString(v) {
					t.Errorf("%s is not valid UTF-8", part)
				}
				for _, c := range v {
					if unicode.IsControl(c) && c != '\n' || invisible(c) {
						t.Errorf("%s holds %U", part, c)
					}
				}
			}
			// Values are one line each, so the notice has the same lines as
			// one rendered from placeholder values.
			plain, err := Builtin().Render(orderbot.ShippingException, orderbot.NoticeOpen, locale, Data{
				Shop: "x", OrderName: "x", CustomerName: ifSet(name), TrackingNumber: ifSet(tracking), Carrier: ifSet(name), TicketID: ifSet(tracking),
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(r.SMS, "\n") != strings.Count(plain.SMS, "\n") || strings.Count(r.Text, "\n") != strings.Count(plain.Text, "\n") {
				t.Errorf("a value added lines:\n%s\n---\n%s", r.Text, plain.Text)
			}
			// The built-ins derive HTML from text: their own tags are <p> and
			// <br>, so any other angle bracket came from a value unescaped.
			if rest := strings.NewReplacer("<p>", "", "</p>", "", "<br>", "").Replace(r.HTML); strings.ContainsAny(rest, "<>") {
				t.Errorf("HTML holds markup from a value: %q", r.HTML)
			}
			for k, v := range r.Params {
				if utf8.RuneCountInString(v) > maxParam || strings.ContainsAny(v, "【】\r\n") {
					t.Errorf("param %s = %q", k, v)
				}
			}
		}
	})
}

// ifSet stands "x" for a value that survives cleaning.
func ifSet(v string) string {
	if cleanValue(v) == "" {
		return ""
	}
	return "x"
}
