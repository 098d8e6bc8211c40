package templates

import (
	"strings"
	"testing"
)

func TestCleanValue(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "#1001", "#1001"},
		{"CRLF becomes a space", "#1001\r\nBcc: x@evil.example", "#1001 Bcc: x@evil.example"},
		{"unicode line breaks", "a\u2028b\u2029c\u0085d", "a b c d"},
		{"tabs and runs of spaces", " a\t\t b  ", "a b"},
		{"NUL and other controls dropped", "1Z\x00999\x07AA\x1b\x7f", "1Z999AA"},
		{"bidi override dropped", "#1001\u202Egpj.exe\u202C", "#1001gpj.exe"},
		{"isolates and BOM dropped", "\ufeff\u2066a\u2069", "a"},
		{"invalid UTF-8 dropped", "a\xffb\xc3", "ab"},
		{"real replacement character kept", "a\ufffdb", "a\ufffdb"},
		{"markup kept literally", "*bold* <!channel> <http://x|y>", "*bold* <!channel> <http://x|y>"},
		{"capped", strings.Repeat("x", 150), strings.Repeat("x", maxValue-1) + "…"},
		{"capped by runes", strings.Repeat("店", 150), strings.Repeat("店", maxValue-1) + "…"},
		{"only white space", " \r\n\t ", ""},
	}
	for _, tt := range tests {
		if got := cleanValue(tt.in); got != tt.want {
			t.Errorf("%s: cleanValue(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestCleanSubject(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one line", "  Order #1001:\r\n update\n", "Order #1001: update"},
		{"header injection", "Hi\r\nBcc: x@evil.example\r\n\r\nbody", "Hi Bcc: x@evil.example body"},
		{"capped at 150 runes", strings.Repeat("ab ", 80), strings.Repeat("ab ", 50)[:maxSubject-1] + "…"},
		{"cut does not leave a trailing space", strings.Repeat("x", 148) + " yyy", strings.Repeat("x", 148) + "…"},
	}
	for _, tt := range tests {
		got := cleanSubject(tt.in)
		if got != tt.want {
			t.Errorf("%s: cleanSubject = %q, want %q", tt.name, got, tt.want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("%s: subject %q holds a line break", tt.name, got)
		}
	}
}

func TestCleanBody(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CRLF and CR become LF", "a\r\nb\rc", "a\nb\nc"},
		{"controls dropped, LF kept", "a\x00b\x1b\nc\x7f", "ab\nc"},
		{"tabs become spaces", "a\tb", "a b"},
		{"trailing spaces trimmed", "a  \nb\t", "a\nb"},
		{"blank runs collapse", "\n\na\n\n\n\n b\n\n", "a\n\n b"},
		{"bidi dropped", "a\u202Eb", "ab"},
	}
	for _, tt := range tests {
		if got := cleanBody(tt.in); got != tt.want {
			t.Errorf("%s: cleanBody(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestCleanParam(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"brackets neutralised", "【官方】山野户外", "[官方]山野户外"},
		{"one line", "#1001\r\nx", "#1001 x"},
		{"35 runes kept", strings.Repeat("店", 35), strings.Repeat("店", 35)},
		{"36 runes capped", strings.Repeat("店", 36), strings.Repeat("店", 34) + "…"},
	}
	for _, tt := range tests {
		if got := cleanParam(tt.in); got != tt.want {
			t.Errorf("%s: cleanParam(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestTextToHTML(t *testing.T) {
	got := textToHTML("Hi <b>&\n\nline one\nline two\n\n\n")
	want := "<p>Hi &lt;b&gt;&amp;</p>\n<p>line one<br>\nline two</p>"
	if got != want {
		t.Errorf("textToHTML = %q, want %q", got, want)
	}
}
