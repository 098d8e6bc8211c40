package kuaidi100

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// queryParam is the param JSON. Field order is the order the bytes are signed
// in; every value is a string.
type queryParam struct {
	Com      string `json:"com"`
	Num      string `json:"num"`
	Phone    string `json:"phone,omitempty"`
	ResultV2 string `json:"resultv2,omitempty"`
}

// queryResponse is the answer to a query: the success fields, or result=false
// with returnCode and message. All scalars are strings on the wire.
type queryResponse struct {
	Result     *bool       `json:"result"`
	ReturnCode string      `json:"returnCode"`
	Message    string      `json:"message"`
	Nu         string      `json:"nu"`
	IsCheck    string      `json:"ischeck"`
	Com        string      `json:"com"`
	Status     string      `json:"status"`
	State      string      `json:"state"`
	Data       []traceNode `json:"data"`
	// ArrivalTime is the predicted delivery ("2006-01-02 15", to the hour),
	// present with resultv2=8.
	ArrivalTime string `json:"arrivalTime"`
}

// traceNode is one trace line, newest first by default.
type traceNode struct {
	Time       string `json:"time"`
	Ftime      string `json:"ftime"`
	Context    string `json:"context"`
	Location   string `json:"location"`
	AreaName   string `json:"areaName"`
	Status     string `json:"status"`
	StatusCode string `json:"statusCode"`
}

// timeLayout is Kuaidi100's trace time, China local time without an offset.
const timeLayout = "2006-01-02 15:04:05"

// encodeParam renders param without HTML escaping: the bytes signed must be the
// bytes sent, and a "<" escaped as \u003c would still verify but differ from
// what Kuaidi100's own SDKs produce.
func encodeParam(p queryParam) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// sign computes Kuaidi100's request signature: the upper-case hex MD5 of the
// exact param string, the key and the customer code, concatenated without
// separators. MD5 is the provider's choice, not a security decision of ours.
func sign(param, key, customer string) string {
	sum := md5.Sum([]byte(param + key + customer))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// decodeError reads a non-2xx answer: Kuaidi100's JSON envelope when there is
// one, else a short plain-text body.
func decodeError(status int, _ http.Header, body []byte) string {
	var r queryResponse
	if json.Unmarshal(body, &r) == nil && (r.ReturnCode != "" || r.Message != "") {
		if r.ReturnCode != "" {
			return "returnCode " + r.ReturnCode + ": " + r.Message
		}
		return r.Message
	}
	text := strings.TrimSpace(string(body))
	if text != "" && len(text) < 200 && !strings.HasPrefix(text, "<") {
		return text
	}
	return http.StatusText(status)
}
