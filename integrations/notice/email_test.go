package notice

import (
	"testing"

	"github.com/orderbot/orderbot"
)

func TestEmailChecks(t *testing.T) {
	ok := Message{To: "ann@example.com", Subject: "Your order", Text: "shipped"}
	if err := CheckEmail("op", ok); err != nil {
		t.Fatal(err)
	}
	bad := []Message{
		{To: "Ann <ann@example.com>", Subject: "s", Text: "t"}, // a display name is not a plain address
		{To: "ann@example.com", Subject: "a\r\nBcc: x@example.com", Text: "t"},
		{To: "ann@example.com", Text: "t"},
		{To: "ann@example.com", Subject: "s"},
	}
	for _, m := range bad {
		if err := CheckEmail("op", m); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("CheckEmail(%+v) = %v, want KindInvalid", m, err)
		}
	}
	if err := CheckSender("op", "shop@example.com", "Shop", ""); err != nil {
		t.Fatal(err)
	}
	for _, s := range [][3]string{{"", "Shop", ""}, {"shop@example.com", "Shop\n", ""}, {"shop@example.com", "Shop", "nope"}} {
		if err := CheckSender("op", s[0], s[1], s[2]); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("CheckSender%q = %v, want KindInvalid", s, err)
		}
	}
}
