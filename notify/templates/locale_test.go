package templates

import (
	"slices"
	"testing"
	"time"
)

func TestMatchLocale(t *testing.T) {
	tests := []struct{ in, want string }{
		{"zh-CN", LocaleZH},
		{"zh-cn", LocaleZH},
		{"ZH-CN", LocaleZH},
		{"zh_CN", LocaleZH},
		{" zh-CN ", LocaleZH},
		{"zh", LocaleZH},
		{"zh-Hans-CN", LocaleZH},
		{"zh-Hans", LocaleZH},
		{"zh_TW", LocaleZH},
		{"en", LocaleEN},
		{"EN", LocaleEN},
		{"en-US", LocaleEN},
		{"en_GB", LocaleEN},
		{"fr-FR", LocaleEN},
		{"de", LocaleEN},
		{"", LocaleEN},
		{"-", LocaleEN},
		{"zhx", LocaleEN},
		{"chinese", LocaleEN},
	}
	for _, tt := range tests {
		if got := matchLocale(tt.in); got != tt.want {
			t.Errorf("matchLocale(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocalePreference(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"zh", []string{LocaleZH, LocaleEN}},
		{"en-US", []string{LocaleEN, LocaleZH}},
		{"fr", []string{LocaleEN, LocaleZH}},
	}
	for _, tt := range tests {
		if got := localePreference(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("localePreference(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 20:00 UTC on Thursday 6 March is already Friday 7 March in Shanghai.
	at := time.Date(2025, 3, 6, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		locale string
		t      time.Time
		loc    *time.Location
		want   string
	}{
		{"en in UTC", LocaleEN, at, nil, "Thu, Mar 6"},
		{"en in the customer's zone", LocaleEN, at, shanghai, "Fri, Mar 7"},
		{"zh in UTC", LocaleZH, at, nil, "3月6日"},
		{"zh in the customer's zone", LocaleZH, at, shanghai, "3月7日"},
		{"unknown date", LocaleEN, time.Time{}, shanghai, ""},
	}
	for _, tt := range tests {
		if got := formatDate(tt.locale, tt.t, tt.loc); got != tt.want {
			t.Errorf("%s: formatDate = %q, want %q", tt.name, got, tt.want)
		}
	}
}
