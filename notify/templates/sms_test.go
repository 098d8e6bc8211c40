package templates

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGSMAlphabet(t *testing.T) {
	// GSM 03.38 has 128 codes in its default alphabet, one of them the escape.
	if n := utf8.RuneCountInString(gsmBasic); n != 127 {
		t.Errorf("basic alphabet has %d characters, want 127", n)
	}
	if n := utf8.RuneCountInString(gsmExtension); n != 10 {
		t.Errorf("extension table has %d characters, want 10", n)
	}
	if len(gsmSeptets) != 137 {
		t.Errorf("%d distinct GSM characters, want 137 (a character is listed twice)", len(gsmSeptets))
	}
}

func TestSMSSegments(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	rep := strings.Repeat
	tests := []struct {
		name     string
		text     string
		segments int
		encoding string
	}{
		{"empty", "", 0, EncodingGSM7},
		{"one char", "a", 1, EncodingGSM7},
		{"160 GSM-7 fits one", a(160), 1, EncodingGSM7},
		{"161 GSM-7 needs two", a(161), 2, EncodingGSM7},
		{"306 GSM-7 fits two", a(306), 2, EncodingGSM7},
		{"307 GSM-7 needs three", a(307), 3, EncodingGSM7},
		{"GSM specials stay GSM-7", "@£$¥èéùìòÇ ΔΦΓΛΩΠΨΣΘΞ ÄÖÑÜ§¿äöñüà\n", 1, EncodingGSM7},
		{"80 euro signs are 160 septets", rep("€", 80), 1, EncodingGSM7},
		{"81 euro signs are 162 septets", rep("€", 81), 2, EncodingGSM7},
		{"159 plus a bracket is 161 septets", a(159) + "[", 2, EncodingGSM7},
		{"158 plus a bracket is 160 septets", a(158) + "]", 1, EncodingGSM7},
		{"every extension char counts two", "^{}\\[~]|€" + a(142), 1, EncodingGSM7},
		{"every extension char counts two, one over", "^{}\\[~]|€" + a(143), 2, EncodingGSM7},
		{"escape pair not split across parts", a(152) + "€" + a(152), 3, EncodingGSM7},
		{"70 UCS-2 fits one", rep("中", 70), 1, EncodingUCS2},
		{"71 UCS-2 needs two", rep("中", 71), 2, EncodingUCS2},
		{"134 UCS-2 fits two", rep("中", 134), 2, EncodingUCS2},
		{"135 UCS-2 needs three", rep("中", 135), 3, EncodingUCS2},
		{"one non-GSM char forces UCS-2", a(69) + "’", 1, EncodingUCS2},
		{"one non-GSM char in 71", a(70) + "’", 2, EncodingUCS2},
		{"emoji counts two units: 69+2", a(68) + "😀", 1, EncodingUCS2},
		{"emoji counts two units: 70+2", a(69) + "😀", 2, EncodingUCS2},
		{"35 emoji are 70 units", rep("😀", 35), 1, EncodingUCS2},
		{"surrogate pair not split across parts", a(66) + "😀" + a(66), 3, EncodingUCS2},
		{"lower-case c cedilla is not GSM", "ç", 1, EncodingUCS2},
		{"tab is not GSM", "a\tb", 1, EncodingUCS2},
		{"invalid UTF-8 is not GSM", "a\xffb", 1, EncodingUCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, enc := SMSSegments(tt.text)
			if n != tt.segments || enc != tt.encoding {
				t.Errorf("SMSSegments = %d %s, want %d %s", n, enc, tt.segments, tt.encoding)
			}
		})
	}
}
