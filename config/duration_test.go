package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"0s", 0, true},
		{"90s", 90 * time.Second, true},
		{"15m", 15 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"250ms", 250 * time.Millisecond, true},
		{"2d", 48 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d1d", 48 * time.Hour, true},
		{"-3d", -72 * time.Hour, true},
		{"+1h", time.Hour, true},
		{" 2h ", 2 * time.Hour, true},
		{"106751d", 106751 * 24 * time.Hour, true},
		{"", 0, false},
		{"30", 0, false},
		{"d", 0, false},
		{"2x", 0, false},
		{"1w", 0, false},
		{"-", 0, false},
		{"1..5d", 0, false},
		{"h1", 0, false},
		{"999999999d", 0, false},
		{"106751d24h", 0, false},
		{"9999999999999h", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{15 * time.Minute, "15m"},
		{48 * time.Hour, "2d"},
		{36 * time.Hour, "1d12h"},
		{1500 * time.Millisecond, "1s500ms"},
		{-2 * time.Hour, "-2h"},
		{time.Nanosecond, "1ns"},
	}
	for _, tt := range tests {
		got := Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("%v → %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back != tt.d {
			t.Errorf("%q does not parse back to %v: %v, %v", got, tt.d, back, err)
		}
	}
}

func TestClockTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ClockTime
		ok   bool
	}{
		{"21:00", Clock(21, 0), true}, {"08:05", Clock(8, 5), true}, {"8:05", Clock(8, 5), true},
		{"00:00", 0, true}, {"23:59", Clock(23, 59), true},
		{"24:00", 0, false}, {"12:60", 0, false}, {"9pm", 0, false}, {"12", 0, false}, {"12:5", 0, false},
		{"-1:00", 0, false}, {"+1:00", 0, false}, {"", 0, false}, {"12:00:00", 0, false},
	} {
		got, err := ParseClockTime(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseClockTime(%q) = %v, %v", tt.in, got, err)
		}
		if tt.ok && got.String() != (func() string { c, _ := ParseClockTime(got.String()); return c.String() })() {
			t.Errorf("%q does not round trip", tt.in)
		}
	}
	if Clock(8, 5).String() != "08:05" {
		t.Errorf("String = %q", Clock(8, 5).String())
	}
}

func TestQuietHoursContains(t *testing.T) {
	night := QuietHours{Start: Clock(21, 0), End: Clock(8, 0)}
	day := QuietHours{Start: Clock(12, 0), End: Clock(14, 0)}
	none := QuietHours{Start: Clock(9, 0), End: Clock(9, 0)}
	for _, tt := range []struct {
		q    QuietHours
		at   ClockTime
		want bool
	}{
		{night, Clock(21, 0), true}, {night, Clock(23, 59), true}, {night, Clock(0, 0), true}, {night, Clock(7, 59), true},
		{night, Clock(8, 0), false}, {night, Clock(12, 0), false}, {night, Clock(20, 59), false},
		{day, Clock(12, 0), true}, {day, Clock(13, 59), true}, {day, Clock(14, 0), false}, {day, Clock(11, 59), false},
		{none, Clock(9, 0), false}, {none, Clock(3, 0), false},
	} {
		if got := tt.q.Contains(tt.at); got != tt.want {
			t.Errorf("%v-%v contains %v = %v", tt.q.Start, tt.q.End, tt.at, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"addr", "max_body_bytes", "shutdown_timeout"}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"adr", "addr", true}, {"adrr", "addr", true}, {"max_body_byte", "max_body_bytes", true},
		{"shutdown_timout", "shutdown_timeout", true}, {"port", "", false}, {"x", "", false},
	} {
		got, ok := suggest(tt.in, keys)
		if ok != tt.ok || got != tt.want {
			t.Errorf("suggest(%q) = %q, %v", tt.in, got, ok)
		}
	}
	if d := editDistance("levle", "level"); d != 1 {
		t.Errorf("transposition distance = %d", d)
	}
}
