package aliyunsms

// response is SendSms's answer and the gateway's error answer alike.
type response struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
	Recommend string `json:"Recommend"`
}
