package kuaidi100fake

import (
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// answer is a successful query answer; every scalar is a string, as Kuaidi100
// sends them.
type answer struct {
	Message   string     `json:"message"`
	Nu        string     `json:"nu"`
	IsCheck   string     `json:"ischeck"`
	Condition string     `json:"condition"`
	Com       string     `json:"com"`
	Status    string     `json:"status"`
	State     string     `json:"state"`
	Data      []node     `json:"data"`
	RouteInfo *routeInfo `json:"routeInfo,omitempty"`
	IsLoop    bool       `json:"isLoop"`
	// ArrivalTime is the predicted delivery, to the hour, sent with resultv2=8.
	ArrivalTime string `json:"arrivalTime,omitempty"`
}

// node is one trace line.
type node struct {
	Time       string `json:"time"`
	Ftime      string `json:"ftime"`
	Context    string `json:"context"`
	Location   string `json:"location"`
	AreaCode   string `json:"areaCode,omitempty"`
	AreaName   string `json:"areaName,omitempty"`
	Status     string `json:"status,omitempty"`
	StatusCode string `json:"statusCode,omitempty"`
}

type routeInfo struct {
	From *place `json:"from"`
	Cur  *place `json:"cur"`
	To   *place `json:"to"`
}

type place struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// errorAnswer is Kuaidi100's refusal, sent with HTTP 200.
type errorAnswer struct {
	Result     bool   `json:"result"`
	ReturnCode string `json:"returnCode"`
	Message    string `json:"message"`
}

// Kuaidi100's messages for its return codes.
const (
	msgBadCompany   = "找不到对应公司"
	msgIncomplete   = "提交数据不完整"
	msgUnauthorised = "未授权"
	msgBadPhone     = "快递公司参数异常：验证码错误"
	msgNoResult     = "查询无结果，请隔段时间再查"
	msgBadSign      = "验证签名失败"
)

// codeNames are Kuaidi100's names of its state codes, written in status fields.
var codeNames = map[string]string{
	"0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "4": "退签", "5": "派件", "6": "退回", "7": "转投",
	"8": "清关", "10": "待清关", "11": "清关中", "12": "已清关", "13": "清关异常", "14": "拒签",
	"101": "已下单", "102": "待揽收", "103": "已揽收", "1001": "到达派件城市", "1002": "干线", "1003": "转递",
	"501": "投柜或驿站", "301": "本人签收", "302": "派件异常后签收", "303": "代签", "304": "投柜或站签收",
	"401": "已销单", "201": "超时未签收", "202": "超时未更新", "203": "拒收", "204": "派件异常",
	"205": "柜或驿站超时未取", "206": "无法联系", "207": "超区", "208": "滞留", "209": "破损", "210": "销单",
}

// statusCodes is the code the fake writes for a domain status without a
// Kuaidi100 StatusCode: basic, then advanced.
var statusCodes = map[orderbot.ShipmentStatus][2]string{
	orderbot.ShipInfoReceived:   {"1", "101"},
	orderbot.ShipPickedUp:       {"1", "103"},
	orderbot.ShipInTransit:      {"0", "1002"},
	orderbot.ShipOutForDelivery: {"5", "5"},
	orderbot.ShipAttemptFail:    {"2", "204"},
	orderbot.ShipAwaitPickup:    {"5", "501"},
	orderbot.ShipDelivered:      {"3", "301"},
	orderbot.ShipException:      {"2", "2"},
	orderbot.ShipRefused:        {"14", "14"},
	orderbot.ShipReturning:      {"6", "6"},
	orderbot.ShipReturned:       {"4", "4"},
	orderbot.ShipExpired:        {"2", "202"}, // "no update for too long" is the nearest
}

// basic reduces an advanced code to its basic group: 301 → 3, 1002 → 0.
func basic(code string) string {
	switch {
	case len(code) == 3:
		return code[:1]
	case len(code) == 4 && strings.HasPrefix(code, "10"):
		return "0"
	}
	return code
}

// stateCode chooses the state written for a status and its provider code.
func stateCode(status orderbot.ShipmentStatus, code string, advanced bool) string {
	if _, ok := codeNames[code]; !ok {
		pair, ok := statusCodes[status]
		if !ok {
			return ""
		}
		code = pair[0]
		if advanced {
			code = pair[1]
		}
	}
	if !advanced {
		code = basic(code)
	}
	return code
}

// render builds the answer for a stored shipment at the requested resultv2.
func render(s *orderbot.Shipment, resultV2 string, loc *time.Location) answer {
	advanced := resultV2 == "4" || resultV2 == "8"
	names := resultV2 != "" && resultV2 != "0"
	state := stateCode(s.Status, s.StatusCode, advanced)
	a := answer{
		Message: "ok", Nu: s.TrackingNumber, Condition: "F00", Com: s.Carrier, Status: "200", State: state,
		Data: make([]node, 0, len(s.Checkpoints)), IsCheck: "0",
	}
	if basic(state) == "3" || basic(state) == "4" {
		a.IsCheck = "1"
	}
	for _, cp := range s.Checkpoints {
		t := cp.Time.In(loc).Format("2006-01-02 15:04:05")
		n := node{Time: t, Ftime: t, Context: cp.Message}
		code := stateCode(cp.Status, cp.Code, advanced)
		if names {
			n.AreaName = cp.Location
			n.Status = codeNames[code]
		} else {
			n.Location = cp.Location
		}
		if advanced {
			n.StatusCode = code
		}
		a.Data = append(a.Data, n)
	}
	if resultV2 == "8" && !s.ExpectedDelivery.IsZero() {
		a.ArrivalTime = s.ExpectedDelivery.In(loc).Format("2006-01-02 15")
	}
	if advanced && len(s.Checkpoints) > 0 && s.Checkpoints[0].Location != "" {
		cur := &place{Number: "CN000000000000", Name: s.Checkpoints[0].Location}
		a.RouteInfo = &routeInfo{Cur: cur}
	}
	return a
}
