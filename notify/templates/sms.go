package templates

import "unicode/utf8"

// SMS encodings as SMSSegments reports them.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// Per-message limits of GSM 03.38: a single message holds 160 septets or 70
// UTF-16 units; a concatenated one loses 7 septets (6 units) per part to the
// user data header.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmBasic is the GSM 03.38 default alphabet (127 characters; the 128th code is
// the escape to the extension table). Ç stands at 0x09, as in the unicode.org
// mapping table carriers and Twilio use.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension holds the characters of the extension table, each sent as escape
// plus code, so each costs two septets.
const gsmExtension = "\f^{}\\[~]|€"

// gsmSeptets maps every GSM-7 character to the septets it costs.
var gsmSeptets = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// SMSSegments returns how many message parts text takes and the encoding it
// needs: GSM-7 when every character is in the GSM 03.38 alphabet or its
// extension table (which costs two septets a character), otherwise UCS-2,
// counted in UTF-16 code units so a character outside the Basic Multilingual
// Plane (most emoji) costs two. One part holds 160 septets or 70 units; longer
// texts are split into parts of 153 septets or 67 units, and, as handsets and
// gateways do, an escape pair or a surrogate pair is never split across two
// parts. Empty text takes 0 parts.
func SMSSegments(text string) (segments int, encoding string) {
	if text == "" {
		return 0, EncodingGSM7
	}
	width, single, part := gsmWidth, gsmSingle, gsmPart
	encoding = EncodingGSM7
	for _, r := range text {
		if gsmSeptets[r] == 0 {
			width, single, part = utf16Width, ucs2Single, ucs2Part
			encoding = EncodingUCS2
			break
		}
	}
	total := 0
	for _, r := range text {
		total += width(r)
	}
	if total <= single {
		return 1, encoding
	}
	segments, used := 1, 0
	for _, r := range text {
		w := width(r)
		if used+w > part {
			segments++
			used = 0
		}
		used += w
	}
	return segments, encoding
}

func gsmWidth(r rune) int { return gsmSeptets[r] }

// utf16Width is the number of UTF-16 units r takes; invalid UTF-8 decodes to
// U+FFFD, one unit.
func utf16Width(r rune) int {
	if r > 0xFFFF && r <= utf8.MaxRune {
		return 2
	}
	return 1
}
