package aliyunsms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// PercentEncode is the RPC signature's encoding (step 3): UTF-8, the
// unreserved characters A-Z a-z 0-9 - _ . ~ unchanged, everything else %XY in
// upper-case hex, so a space is %20 and * is %2A.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(e)
}

// StringToSign builds the string the RPC signature covers (steps 1–5): every
// parameter except Signature, sorted by name, percent-encoded into the
// canonical query string, which is percent-encoded again after
// "METHOD&%2F&". A parameter with several values contributes its first.
func StringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(PercentEncode(k))
		b.WriteByte('=')
		b.WriteString(PercentEncode(params.Get(k)))
	}
	return strings.ToUpper(method) + "&" + PercentEncode("/") + "&" + PercentEncode(b.String())
}

// Sign returns the RPC signature of params (step 6):
// Base64(HMAC-SHA1(secret + "&", StringToSign)). The caller adds it as the
// Signature parameter (step 7); url.Values encoding percent-encodes it.
func Sign(method, secret string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
