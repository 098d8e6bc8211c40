package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEsc(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel>", "&lt;!channel&gt;"},
		{"a & b", "a &amp; b"},
		{"<@U123> <https://evil|x>", "&lt;@U123&gt; &lt;https://evil|x&gt;"},
		{"*bold* _it_ ~s~", "*bold* _it_ ~s~"},
		{"张三", "张三"},
	}
	for _, tc := range tests {
		if got := esc(tc.in); got != tc.want {
			t.Errorf("esc(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "hello", 10, "hello"},
		{"exact", "hello", 5, "hello"},
		{"cut", "hello world", 6, "hello…"},
		{"runes", "张三李四王五", 4, "张三李…"},
		{"never half an entity", "aaaa &amp; bbb", 8, "aaaa…"},
		{"never half a mention", "owner <@U12345678> ok", 12, "owner…"},
		{"never half a date", "due <!date^1700000000^{time}|x> now", 20, "due…"},
		{"whole token kept", "by <@U1> at noon today", 12, "by <@U1> at…"},
		{"zero", "abc", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := clip(tc.in, tc.max)
			if got != tc.want {
				t.Fatalf("clip(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > tc.max {
				t.Fatalf("clip result has %d runes, max %d", n, tc.max)
			}
		})
	}
}

func TestMentionAndLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"U012AB3CD", "<@U012AB3CD>"},
		{"W012AB3CD", "<@W012AB3CD>"},
		{"orderbot", "orderbot"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"", "nobody"},
	}
	for _, tc := range tests {
		if got := mention(tc.in); got != tc.want {
			t.Errorf("mention(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	links := []struct {
		tmpl string
		vals map[string]string
		want string
		ok   bool
	}{
		{"https://shop.example/admin/orders/{order}", map[string]string{"order": "1001"}, "https://shop.example/admin/orders/1001", true},
		{"https://shop.example/admin/orders/{order}", map[string]string{"order": ""}, "", false},
		{"https://t.example/{order}?q={subject}", map[string]string{"order": "a/b", "subject": "x y"}, "https://t.example/a%2Fb?q=x%20y", true},
		{"javascript:alert(1)", nil, "", false},
		{"https://x.example/{unknown}", nil, "", false},
	}
	for _, tc := range links {
		got, ok := expandLink(tc.tmpl, tc.vals)
		if got != tc.want || ok != tc.ok {
			t.Errorf("expandLink(%q) = %q, %v; want %q, %v", tc.tmpl, got, ok, tc.want, tc.ok)
		}
	}
	if got := link("https://a.example/?x=1&y=2", "Shop | admin"); got != "<https://a.example/?x=1&amp;y=2|Shop / admin>" {
		t.Errorf("link = %q", got)
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "under a minute"},
		{12 * time.Minute, "12m"},
		{-12 * time.Minute, "12m"},
		{3*time.Hour + 5*time.Minute, "3h 5m"},
		{2 * time.Hour, "2h"},
		{50 * time.Hour, "2d 2h"},
		{72 * time.Hour, "3d"},
	}
	for _, tc := range tests {
		if got := human(tc.d); got != tc.want {
			t.Errorf("human(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestUserText(t *testing.T) {
	got := userText(`T12 is already claimed by <@U0WINNER> since 10:32 UTC`)
	if got != "T12 is already claimed by <@U0WINNER> since 10:32 UTC." {
		t.Fatalf("userText kept = %q", got)
	}
	got = userText(`"<!channel>" is not a ticket id`)
	if strings.Contains(got, "<!channel>") {
		t.Fatalf("userText let a channel ping through: %q", got)
	}
}
