package kuaidi100

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

func TestSignVectors(t *testing.T) {
	// Vectors computed outside Go (Python hashlib.md5(...).hexdigest().upper());
	// the first is the one in docs/providers.md §5.
	tests := []struct {
		param, key, customer, want string
	}{
		{`{"com":"yuantong","num":"YT123456","resultv2":"4"}`, "testkey", "TESTCUSTOMER", "DAF96CB88E9D1859C7297F28A739E261"},
		{`{"com":"shunfeng","num":"SF1234567890","phone":"5678","resultv2":"4"}`, "k3y-测试", "CUST01", "369C4281077B78390FE8FA447744EB94"},
	}
	for _, tt := range tests {
		if got := sign(tt.param, tt.key, tt.customer); got != tt.want {
			t.Errorf("sign(%s) = %s, want %s", tt.param, got, tt.want)
		}
	}
	// The param bytes themselves are part of the contract: field order, no
	// spaces, no HTML escaping.
	p, err := encodeParam(queryParam{Com: "yuantong", Num: "YT123456", ResultV2: "4"})
	if err != nil || p != tests[0].param {
		t.Fatalf("encodeParam = %s, %v", p, err)
	}
	p, _ = encodeParam(queryParam{Com: "x", Num: "<&>"})
	if p != `{"com":"x","num":"<&>"}` {
		t.Errorf("encodeParam escapes: %s", p)
	}
}

func TestStateTable(t *testing.T) {
	tests := []struct {
		code  string
		want  orderbot.ShipmentStatus
		name  string
		known bool
	}{
		{"0", orderbot.ShipInTransit, "在途", true},
		{"1", orderbot.ShipPickedUp, "揽收", true},
		{"2", orderbot.ShipException, "疑难", true},
		{"3", orderbot.ShipDelivered, "签收", true},
		{"4", orderbot.ShipReturned, "退签", true},
		{"5", orderbot.ShipOutForDelivery, "派件", true},
		{"6", orderbot.ShipReturning, "退回", true},
		{"7", orderbot.ShipInTransit, "转投", true},
		{"8", orderbot.ShipInTransit, "清关", true},
		{"10", orderbot.ShipInTransit, "待清关", true},
		{"11", orderbot.ShipInTransit, "清关中", true},
		{"12", orderbot.ShipInTransit, "已清关", true},
		{"13", orderbot.ShipException, "清关异常", true},
		{"14", orderbot.ShipRefused, "拒签", true},
		{"101", orderbot.ShipInfoReceived, "已下单", true},
		{"102", orderbot.ShipInfoReceived, "待揽收", true},
		{"103", orderbot.ShipPickedUp, "已揽收", true},
		{"1001", orderbot.ShipInTransit, "到达派件城市", true},
		{"1002", orderbot.ShipInTransit, "干线", true},
		{"1003", orderbot.ShipInTransit, "转递", true},
		{"501", orderbot.ShipAwaitPickup, "投柜或驿站", true},
		{"301", orderbot.ShipDelivered, "本人签收", true},
		{"302", orderbot.ShipDelivered, "派件异常后签收", true},
		{"303", orderbot.ShipDelivered, "代签", true},
		{"304", orderbot.ShipDelivered, "投柜或站签收", true},
		{"401", orderbot.ShipReturned, "已销单", true},
		{"201", orderbot.ShipException, "超时未签收", true},
		{"202", orderbot.ShipException, "超时未更新", true},
		{"203", orderbot.ShipRefused, "拒收", true},
		{"204", orderbot.ShipAttemptFail, "派件异常", true},
		{"205", orderbot.ShipException, "柜或驿站超时未取", true},
		{"206", orderbot.ShipAttemptFail, "无法联系", true},
		{"207", orderbot.ShipException, "超区", true},
		{"208", orderbot.ShipException, "滞留", true},
		{"209", orderbot.ShipException, "破损", true},
		{"210", orderbot.ShipException, "销单", true},
		// Unlisted sub-states follow their group.
		{"305", orderbot.ShipDelivered, "签收", true},
		{"211", orderbot.ShipException, "疑难", true},
		{"1004", orderbot.ShipInTransit, "在途", true},
		{"502", orderbot.ShipOutForDelivery, "派件", true},
		// Unknown entirely.
		{"99", orderbot.ShipInTransit, "", false},
		{"", orderbot.ShipInTransit, "", false},
		{"901", orderbot.ShipInTransit, "", false},
	}
	for _, tt := range tests {
		got, known := shipmentStatus(tt.code)
		if got.status != tt.want || got.name != tt.name || known != tt.known {
			t.Errorf("shipmentStatus(%q) = %s %q %v; want %s %q %v", tt.code, got.status, got.name, known, tt.want, tt.name, tt.known)
		}
	}
	for name, st := range map[string]orderbot.ShipmentStatus{"在途": orderbot.ShipInTransit, "签收": orderbot.ShipDelivered, "拒签": orderbot.ShipRefused, "派件": orderbot.ShipOutForDelivery} {
		if nameStatus[name] != st {
			t.Errorf("nameStatus[%s] = %s, want %s", name, nameStatus[name], st)
		}
	}
}

func TestReturnCodes(t *testing.T) {
	tests := []struct {
		code string
		kind orderbot.ErrorKind
	}{
		{"400", orderbot.KindInvalid},
		{"408", orderbot.KindInvalid},
		{"500", orderbot.KindNotFound},
		{"501", orderbot.KindTransient},
		{"502", orderbot.KindTransient},
		{"503", orderbot.KindUnauthorized},
		{"601", orderbot.KindRateLimited},
		{"777", orderbot.KindPermanent},
		{"", orderbot.KindPermanent},
	}
	for _, tt := range tests {
		err := returnCodeError("kuaidi100.query", tt.code, "查询无结果，请隔段时间再查")
		if orderbot.KindOf(err) != tt.kind || !strings.Contains(err.Error(), "returnCode "+tt.code) || !strings.Contains(err.Error(), "查询无结果") {
			t.Errorf("returnCodeError(%q) = %v (kind %s), want %s", tt.code, err, orderbot.KindOf(err), tt.kind)
		}
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{"+86 138-1234-5678": "5678", "5678": "5678", "12-3": "", "": ""} {
		if got := phoneTail(in); got != want {
			t.Errorf("phoneTail(%q) = %q, want %q", in, got, want)
		}
	}
	if got := decodeError(500, http.Header{}, []byte(`{"result":false,"returnCode":"501","message":"服务器错误"}`)); got != "returnCode 501: 服务器错误" {
		t.Errorf("decodeError = %q", got)
	}
	if got := decodeError(502, http.Header{}, []byte(`<html>bad gateway</html>`)); got != "Bad Gateway" {
		t.Errorf("decodeError html = %q", got)
	}
	c, err := New(Options{Customer: "C", Key: "K", Carriers: map[string]string{"SF-Express": "shunfengkuaiyun", "myco": "debangwuliu"}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"sf-express": "shunfengkuaiyun", "YTO": "yuantong", "myco": "debangwuliu", "Yuantong": "yuantong", "zto-express": "zhongtong"} {
		if got := c.CarrierCode(in); got != want {
			t.Errorf("CarrierCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for name, o := range map[string]Options{
		"no key":       {Customer: "C"},
		"no customer":  {Key: "K"},
		"bad resultv2": {Customer: "C", Key: "K", ResultV2: "2"},
		"short phone":  {Customer: "C", Key: "K", Phone: "12"},
		"bad zone":     {Customer: "C", Key: "K", TimeZone: "Nowhere/Land"},
		"empty code":   {Customer: "C", Key: "K", Carriers: map[string]string{"x": ""}},
	} {
		if _, err := New(o); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
