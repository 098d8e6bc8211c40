package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

// writeFiles creates files (path relative to dir → content) under a new
// temporary directory; a path ending in "/" makes a directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodFile = `{{/* a custom stalled-parcel notice */}}
{{define "subject"}}Custom: {{.Order}} is late{{end}}
{{define "sms"}}{{.Shop}}: custom sms for {{.Order}}{{end}}
{{define "text"}}
Custom text for {{.Order}}.
{{end}}
`

func TestLoadOverrides(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"en/shipping.stalled.open.tmpl":      goodFile,
		"zh-CN/shipping.no_pickup.open.tmpl": strings.ReplaceAll(goodFile, "Custom", "新增"),
		".git/config":                        "ignored",
		"en/.DS_Store":                       "ignored",
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := realistic(LocaleEN)

	r, err := s.Render(orderbot.ShippingStalled, orderbot.NoticeOpen, "en-US", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Custom: #100234 is late" || r.SMS != "Acme Outdoor Co: custom sms for #100234" ||
		r.Text != "Custom text for #100234." || r.HTML != "<p>Custom text for #100234.</p>" {
		t.Errorf("override not used: %+v", r)
	}
	// The other locale and the other templates stay built-in.
	if r, err = s.Render(orderbot.ShippingStalled, orderbot.NoticeOpen, "zh-CN", d); err != nil || strings.Contains(r.Subject, "Custom") {
		t.Errorf("zh-CN changed too: %q, %v", r.Subject, err)
	}
	if r, err = s.Render(orderbot.ShippingOverdue, orderbot.NoticeOpen, "en", d); err != nil || strings.Contains(r.Subject, "Custom") {
		t.Errorf("another kind changed too: %q, %v", r.Subject, err)
	}
	// Built-ins are not changed by a Load.
	if r, err = Builtin().Render(orderbot.ShippingStalled, orderbot.NoticeOpen, "en", d); err != nil || strings.Contains(r.Subject, "Custom") {
		t.Errorf("Load changed the built-ins: %q, %v", r.Subject, err)
	}
	// An added template exists in zh-CN only; an English customer gets it
	// rather than nothing.
	if !s.Has(orderbot.ShippingNoPickup, orderbot.NoticeOpen) || Builtin().Has(orderbot.ShippingNoPickup, orderbot.NoticeOpen) {
		t.Error("Has does not reflect the added template")
	}
	if r, err = s.Render(orderbot.ShippingNoPickup, orderbot.NoticeOpen, "en", d); err != nil || r.Locale != LocaleZH || !strings.HasPrefix(r.Subject, "新增") {
		t.Errorf("added template: %s %q, %v", r.Locale, r.Subject, err)
	}
}

func TestLoadHTMLSection(t *testing.T) {
	file := goodFile + `{{define "html"}}<p>Hello {{.CustomerName}}, <a href="https://shop.example/track?n={{.TrackingNumber}}">track order {{.Order}}</a></p>{{end}}`
	s, err := Load(writeFiles(t, map[string]string{"en/shipping.stalled.open.tmpl": file}))
	if err != nil {
		t.Fatal(err)
	}
	d := realistic(LocaleEN)
	d.CustomerName = `<script>alert("x")</script>`
	d.TrackingNumber = `1Z" onmouseover="x&y`
	r, err := s.Render(orderbot.ShippingStalled, orderbot.NoticeOpen, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	want := `<p>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;, <a href="https://shop.example/track?n=1Z%22%20onmouseover%3d%22x%26y">track order #100234</a></p>`
	if r.HTML != want {
		t.Errorf("HTML = %s\nwant   %s", r.HTML, want)
	}
}

func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		name string
		path string // relative path of the bad file, named in the error
		body string
		want string
	}{
		{"unknown locale", "fr/shipping.stalled.open.tmpl", goodFile, `unknown locale "fr"; valid: en, zh-CN`},
		{"locale in wrong case", "zh-cn/shipping.stalled.open.tmpl", goodFile, `unknown locale "zh-cn"`},
		{"file outside a locale", "shipping.stalled.open.tmpl", goodFile, "not in a locale directory"},
		{"nested directory", "en/old/", "", "unexpected directory"},
		{"not a template name", "en/README.md", "notes", "not a template file name"},
		{"no event", "en/shipping.tmpl", goodFile, "not a template file name"},
		{"unknown kind", "en/shipping.teleported.open.tmpl", goodFile, `unknown kind "shipping.teleported"`},
		{"unknown event", "en/shipping.stalled.opened.tmpl", goodFile, `unknown event "opened"; valid: open, resolve, breach, manual`},
		{"internal kind", "en/inventory.low_stock.open.tmpl", goodFile, "inventory.low_stock is an internal kind"},
		{"generic for an automatic event", "en/_default.open.tmpl", goodFile, "for manual notices only"},
		{"parse error", "en/shipping.stalled.open.tmpl", `{{define "subject"}}{{.Order}{{end}}`, "parse error"},
		{"unclosed define", "en/shipping.stalled.open.tmpl", `{{define "subject"}}x`, "parse error"},
		{"missing section", "en/shipping.stalled.open.tmpl", `{{define "subject"}}s{{end}}{{define "text"}}t{{end}}`, `missing required section "sms"`},
		{"unknown section", "en/shipping.stalled.open.tmpl", goodFile + `{{define "body"}}b{{end}}`, `unknown section "body"`},
		{"text outside sections", "en/shipping.stalled.open.tmpl", "Dear customer,\n" + goodFile, "text outside a section"},
		{"action outside sections", "en/shipping.stalled.open.tmpl", "{{.Order}}" + goodFile, "text outside a section"},
		{"unknown placeholder", "en/shipping.stalled.open.tmpl", strings.Replace(goodFile, "{{.Shop}}", "{{.ShopName}}", 1), "can't evaluate field ShopName"},
		{"unknown function", "en/shipping.stalled.open.tmpl", strings.Replace(goodFile, "{{.Shop}}", "{{upper .Shop}}", 1), `function "upper" not defined`},
		{"undefined template", "en/shipping.stalled.open.tmpl", strings.Replace(goodFile, "{{.Shop}}", `{{template "footer"}}`, 1), `template "footer" not defined`},
		{"empty without optional data", "en/shipping.stalled.open.tmpl", strings.Replace(goodFile, "Custom: {{.Order}} is late", "{{.TrackingNumber}}", 1), "subject section rendered empty"},
		{"broken html", "en/shipping.stalled.open.tmpl", goodFile + `{{define "html"}}<a href="{{.Order}}{{end}}`, "trial render failed"},
		{"too large", "en/shipping.stalled.open.tmpl", goodFile + strings.Repeat(" ", maxFileSize), "larger than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tt.path: tt.body})
			s, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted %s", tt.path)
			}
			if s != nil {
				t.Error("Load returned a set with its error")
			}
			file := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(tt.path, "/")))
			if tt.name == "unknown locale" || tt.name == "locale in wrong case" {
				file = filepath.Join(dir, strings.Split(tt.path, "/")[0])
			}
			msg := err.Error()
			if !strings.Contains(msg, file+": ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q\nwant it to name %s and say %q", msg, file, tt.want)
			}
			if !orderbot.IsKind(err, orderbot.KindInvalid) {
				t.Errorf("error kind %q, want invalid", orderbot.KindOf(err))
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"en/shipping.stalled.open.tmpl":  `{{define "subject"}}s{{end}}`,
		"en/payment.refund.resolve.tmpl": goodFile,
		"de/shipping.stalled.open.tmpl":  goodFile,
		"en/shipping.overdue.open.tmpl":  goodFile, // fine, but the set is refused as a whole
	})
	_, err := Load(dir)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("err = %v, want a joined error", err)
	}
	// Two missing sections in one file, an unknown kind, an unknown locale.
	if n := len(joined.Unwrap()); n != 4 {
		t.Errorf("%d problems reported, want 4:\n%v", n, err)
	}
	for _, want := range []string{`missing required section "sms"`, `missing required section "text"`, `unknown kind "payment.refund"`, `unknown locale "de"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadDir(t *testing.T) {
	if s, err := Load(""); err != nil || s != Builtin() {
		t.Errorf("Load(\"\") = %p, %v; want the built-ins", s, err)
	}
	if s, err := Load(t.TempDir()); err != nil || len(s.byKey) != len(Builtin().byKey) {
		t.Errorf("empty dir: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(missing); !orderbot.IsKind(err, orderbot.KindInvalid) || !strings.Contains(err.Error(), "cannot read the templates directory") {
		t.Errorf("missing dir: %v", err)
	}
	file := filepath.Join(writeFiles(t, map[string]string{"f": "x"}), "f")
	if _, err := Load(file); !orderbot.IsKind(err, orderbot.KindInvalid) || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("file as dir: %v", err)
	}
}
