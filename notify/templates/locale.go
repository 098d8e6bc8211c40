package templates

import (
	"fmt"
	"strings"
	"time"
)

// Locales with templates. English comes first: it is the fallback for every
// locale without templates of its own.
const (
	LocaleEN = "en"
	LocaleZH = "zh-CN"
)

// supported lists the template locales; a templates directory may hold only
// these.
var supported = []string{LocaleEN, LocaleZH}

// matchLocale maps an order's locale (BCP 47 or POSIX spelling, any case) to a
// template locale: an exact match ("zh-CN"), else the first supported locale of
// the same language ("zh", "zh-Hans-CN", "zh_TW" → zh-CN; "en-US", "en_GB" →
// en), else English. Traditional-Chinese readers get zh-CN, which they read far
// better than English.
func matchLocale(locale string) string {
	norm := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	for _, l := range supported {
		if strings.ToLower(l) == norm {
			return l
		}
	}
	lang, _, _ := strings.Cut(norm, "-")
	for _, l := range supported {
		if ll, _, _ := strings.Cut(strings.ToLower(l), "-"); ll == lang {
			return l
		}
	}
	return LocaleEN
}

// localePreference is the order in which Render looks for a template: the
// matched locale, then English, then the others.
func localePreference(locale string) []string {
	first := matchLocale(locale)
	out := []string{first}
	for _, l := range supported {
		if l != first {
			out = append(out, l)
		}
	}
	return out
}

// formatDate writes a delivery date the way the locale writes it, in the
// customer's zone: "Fri, Mar 7" or "3月7日". Zero means unknown: "".
func formatDate(locale string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if locale == LocaleZH {
		return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
	}
	return t.Format("Mon, Jan 2")
}
