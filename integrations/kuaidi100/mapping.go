package kuaidi100

import (
	"maps"
	"strings"

	"github.com/orderbot/orderbot"
)

// stateInfo is what one Kuaidi100 state code means.
type stateInfo struct {
	status orderbot.ShipmentStatus
	name   string // Kuaidi100's own name, kept as StatusText
}

// states maps the basic state codes and the resultv2 ≥ 4 sub-states
// (docs/providers.md §5) onto the internal status set.
var states = map[string]stateInfo{
	// Basic codes.
	"0":  {orderbot.ShipInTransit, "在途"},
	"1":  {orderbot.ShipPickedUp, "揽收"},
	"2":  {orderbot.ShipException, "疑难"},
	"3":  {orderbot.ShipDelivered, "签收"},
	"4":  {orderbot.ShipReturned, "退签"}, // returned and signed for by the sender
	"5":  {orderbot.ShipOutForDelivery, "派件"},
	"6":  {orderbot.ShipReturning, "退回"},
	"7":  {orderbot.ShipInTransit, "转投"}, // forwarded to another carrier or address
	"8":  {orderbot.ShipInTransit, "清关"},
	"10": {orderbot.ShipInTransit, "待清关"},
	"11": {orderbot.ShipInTransit, "清关中"},
	"12": {orderbot.ShipInTransit, "已清关"},
	"13": {orderbot.ShipException, "清关异常"},
	"14": {orderbot.ShipRefused, "拒签"},

	// 揽收 (1).
	"101": {orderbot.ShipInfoReceived, "已下单"},
	"102": {orderbot.ShipInfoReceived, "待揽收"},
	"103": {orderbot.ShipPickedUp, "已揽收"},
	// 在途 (0).
	"1001": {orderbot.ShipInTransit, "到达派件城市"},
	"1002": {orderbot.ShipInTransit, "干线"},
	"1003": {orderbot.ShipInTransit, "转递"},
	// 派件 (5): left in a locker or a pickup station.
	"501": {orderbot.ShipAwaitPickup, "投柜或驿站"},
	// 签收 (3).
	"301": {orderbot.ShipDelivered, "本人签收"},
	"302": {orderbot.ShipDelivered, "派件异常后签收"},
	"303": {orderbot.ShipDelivered, "代签"},
	"304": {orderbot.ShipDelivered, "投柜或站签收"},
	// 退签 (4): the waybill was closed after the return; it follows its group.
	"401": {orderbot.ShipReturned, "已销单"},
	// 疑难 (2): refusals and failed deliveries say more than "exception".
	"201": {orderbot.ShipException, "超时未签收"},
	"202": {orderbot.ShipException, "超时未更新"},
	"203": {orderbot.ShipRefused, "拒收"},
	"204": {orderbot.ShipAttemptFail, "派件异常"},
	"205": {orderbot.ShipException, "柜或驿站超时未取"},
	"206": {orderbot.ShipAttemptFail, "无法联系"},
	"207": {orderbot.ShipException, "超区"},
	"208": {orderbot.ShipException, "滞留"},
	"209": {orderbot.ShipException, "破损"},
	"210": {orderbot.ShipException, "销单"},
}

// nameStatus maps the node status names of resultv2=1 answers, which carry no
// statusCode.
var nameStatus = func() map[string]orderbot.ShipmentStatus {
	m := make(map[string]orderbot.ShipmentStatus, len(states))
	for _, s := range states {
		if _, dup := m[s.name]; !dup {
			m[s.name] = s.status
		}
	}
	return m
}()

// shipmentStatus maps a state code. A sub-state not in the table follows its
// group (the first digit of a three-digit code, 在途 for 100x); known is false
// when even the group is unknown.
func shipmentStatus(code string) (s stateInfo, known bool) {
	code = strings.TrimSpace(code)
	if s, ok := states[code]; ok {
		return s, true
	}
	group := ""
	switch {
	case len(code) == 3:
		group = code[:1]
	case len(code) == 4 && strings.HasPrefix(code, "10"):
		group = "0"
	}
	if s, ok := states[group]; ok {
		return stateInfo{status: s.status, name: s.name}, true
	}
	return stateInfo{status: orderbot.ShipInTransit}, false
}

// DefaultCarriers returns the built-in map from courier slugs (AfterShip style,
// as orders often carry them) to Kuaidi100 company codes; Options.Carriers adds
// to it. A carrier in neither map is sent as given, lower-cased: it may already
// be a Kuaidi100 code. The map is a copy the caller may change.
func DefaultCarriers() map[string]string { return maps.Clone(defaultCarriers) }

var defaultCarriers = map[string]string{
	"sf-express":   "shunfeng",
	"sf":           "shunfeng",
	"sfexpress":    "shunfeng",
	"yto":          "yuantong",
	"zto-express":  "zhongtong",
	"zto":          "zhongtong",
	"sto":          "shentong",
	"sto-express":  "shentong",
	"yunda":        "yunda",
	"china-ems":    "ems",
	"china-post":   "youzhengguonei",
	"jd":           "jd",
	"jtexpress":    "jtexpress",
	"jt-express":   "jtexpress",
	"best-express": "huitongkuaidi",
}

// DefaultPhoneCarriers returns the Kuaidi100 codes whose traces need the last
// four digits of the sender's or recipient's phone (SF Express and its freight
// arm), used when Options.PhoneCarriers is nil.
func DefaultPhoneCarriers() []string { return []string{"shunfeng", "shunfengkuaiyun"} }

// phoneTail is the last four digits of a phone number, "" when it has fewer.
func phoneTail(p string) string {
	var digits []byte
	for i := 0; i < len(p); i++ {
		if p[i] >= '0' && p[i] <= '9' {
			digits = append(digits, p[i])
		}
	}
	if len(digits) < 4 {
		return ""
	}
	return string(digits[len(digits)-4:])
}

// returnCodes explains the returnCode values of an error answer and the kind
// each one is.
var returnCodes = map[string]struct {
	kind orderbot.ErrorKind
	text string
}{
	"400": {orderbot.KindInvalid, "bad request: unknown carrier code, incomplete data or not authorised"},
	"408": {orderbot.KindInvalid, "the carrier requires the last four digits of the sender's or recipient's phone"},
	"500": {orderbot.KindNotFound, "no trace yet for this number at this carrier"},
	"501": {orderbot.KindTransient, "Kuaidi100 server error"},
	"502": {orderbot.KindTransient, "Kuaidi100 is busy"},
	"503": {orderbot.KindUnauthorized, "signature check failed: check the key and customer code"},
	"601": {orderbot.KindRateLimited, "the key expired or the query quota is used up"},
}

// returnCodeError turns an error answer (result=false, HTTP 200) into an error
// of the right kind, keeping Kuaidi100's own message.
func returnCodeError(op, code, message string) error {
	rc, ok := returnCodes[code]
	if !ok {
		rc.kind, rc.text = orderbot.KindPermanent, "query refused"
	}
	msg := "kuaidi100 returnCode " + code + ": " + rc.text
	if m := strings.TrimSpace(message); m != "" {
		if len(m) > 200 {
			m = strings.ToValidUTF8(m[:200], "") + "…"
		}
		msg += " (" + m + ")"
	}
	return &orderbot.Error{Kind: rc.kind, Op: op, Msg: msg}
}
