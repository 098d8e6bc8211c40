package alipay

// Method is the gateway method the adapter calls.
const Method = "alipay.trade.query"

// ResponseKey is the key of the signed value in a trade.query answer;
// ErrorKey the one Alipay uses instead when it cannot tell which method was
// meant (a bad app id).
const (
	ResponseKey = "alipay_trade_query_response"
	ErrorKey    = "error_response"
)

// Result codes of the gateway (every answer is HTTP 200).
const (
	CodeSuccess            = "10000"
	CodeUnavailable        = "20000" // service currently unavailable: retry
	CodeInsufficientToken  = "20001" // app_auth_token lacks permissions
	CodeMissingArgument    = "40001"
	CodeInvalidArgument    = "40002" // isv.invalid-signature, isv.invalid-app-id, ...
	CodeBusinessFailed     = "40004" // see sub_code
	CodeInsufficientRights = "40006"
)

// Business sub-codes of 40004 the adapter treats specially.
const (
	SubTradeNotExist = "ACQ.TRADE_NOT_EXIST"
	SubSystemError   = "ACQ.SYSTEM_ERROR"
)

// Trade statuses.
const (
	TradeWaitBuyerPay = "WAIT_BUYER_PAY"
	TradeClosed       = "TRADE_CLOSED"
	TradeSuccess      = "TRADE_SUCCESS"
	TradeFinished     = "TRADE_FINISHED"
)

// TradeQueryResponse is the alipay_trade_query_response value: the common
// result fields and the trade. Amounts are decimal strings in yuan; times are
// "yyyy-MM-dd HH:mm:ss" in Beijing time.
type TradeQueryResponse struct {
	Code           string `json:"code"`
	Msg            string `json:"msg"`
	SubCode        string `json:"sub_code,omitempty"`
	SubMsg         string `json:"sub_msg,omitempty"`
	TradeNo        string `json:"trade_no,omitempty"`
	OutTradeNo     string `json:"out_trade_no,omitempty"`
	BuyerLogonID   string `json:"buyer_logon_id,omitempty"`
	TradeStatus    string `json:"trade_status,omitempty"`
	TotalAmount    string `json:"total_amount,omitempty"`
	ReceiptAmount  string `json:"receipt_amount,omitempty"`
	BuyerPayAmount string `json:"buyer_pay_amount,omitempty"`
	SendPayDate    string `json:"send_pay_date,omitempty"`
}

// BizContent is the biz_content of a trade.query request.
type BizContent struct {
	OutTradeNo string `json:"out_trade_no,omitempty"`
	TradeNo    string `json:"trade_no,omitempty"`
}

// TimeLayout is the gateway's time format (timestamp, send_pay_date).
const TimeLayout = "2006-01-02 15:04:05"
