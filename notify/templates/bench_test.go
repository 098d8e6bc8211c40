package templates

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

func BenchmarkRender(b *testing.B) {
	s := Builtin()
	for _, locale := range supported {
		d := realistic(locale)
		b.Run(locale, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Render(orderbot.ShippingStalled, orderbot.NoticeOpen, locale, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSMSSegments(b *testing.B) {
	text := strings.Repeat("Your order #1001 is on its way. ", 5)
	b.ReportAllocs()
	for b.Loop() {
		SMSSegments(text)
	}
}

// BenchmarkParseBuiltin is the cost of parsing and trial-rendering every
// built-in template, which Builtin pays once per process.
func BenchmarkParseBuiltin(b *testing.B) {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := &Set{byKey: map[key]*tmpl{}}
		if err := s.addDir(sub, func(p string) string { return p }); err != nil {
			b.Fatal(err)
		}
	}
}
