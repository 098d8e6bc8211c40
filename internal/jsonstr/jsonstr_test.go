package jsonstr

import (
	"encoding/json"
	"testing"
)

// FuzzAppendString: the bytes equal json.Marshal's for any string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "<a&b>", "\b\f\n\r\t\x00\x1f", "\u2028\u2029", "订单 #1", "bad\xffutf8", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
	})
}
