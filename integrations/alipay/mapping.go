package alipay

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
)

// beijing is Alipay's time zone. China keeps no daylight saving time, so a fixed
// offset is exact and needs no zoneinfo.
var beijing = time.FixedZone("CST", 8*3600)

// Currency of every Alipay trade amount.
const Currency = "CNY"

// toPayment maps a successful trade.query answer to a payment. seen is when the
// adapter asked: the time of a trade that has no payment time yet.
func toPayment(r TradeQueryResponse, seen time.Time) (orderbot.Payment, error) {
	// trade.query reports the trade, not its partial refunds.
	p := orderbot.Payment{ID: r.TradeNo, Provider: Provider, OrderID: r.OutTradeNo, RefundsUnreported: true}
	if p.ID == "" {
		return p, fmt.Errorf("the trade has no trade_no")
	}
	total, err := orderbot.ParseMoney(r.TotalAmount, Currency)
	if err != nil {
		return p, fmt.Errorf("total_amount %q: %w", r.TotalAmount, err)
	}
	paidAt := time.Time{}
	if r.SendPayDate != "" {
		if paidAt, err = time.ParseInLocation(TimeLayout, r.SendPayDate, beijing); err != nil {
			return p, fmt.Errorf("send_pay_date %q is not yyyy-MM-dd HH:mm:ss", r.SendPayDate)
		}
	}
	p.CreatedAt = paidAt
	if p.CreatedAt.IsZero() {
		p.CreatedAt = seen
	}
	switch r.TradeStatus {
	case TradeSuccess, TradeFinished:
		p.Status, p.Amount = orderbot.PaymentSucceeded, total
	case TradeWaitBuyerPay:
		p.Status = orderbot.PaymentPending
	case TradeClosed:
		if paidAt.IsZero() {
			// Closed unpaid: timed out or cancelled.
			p.Status = orderbot.PaymentCanceled
			break
		}
		// Paid, then refunded in full: Alipay closes the trade. It is money
		// that came and went, not a payment that never happened.
		p.Status, p.Amount = orderbot.PaymentSucceeded, total
		p.Refunds = []orderbot.Refund{{ID: r.TradeNo + "-refund", Amount: total, Status: "succeeded", CreatedAt: seen}}
	default:
		return p, fmt.Errorf("unknown trade_status %q", r.TradeStatus)
	}
	return p, nil
}
