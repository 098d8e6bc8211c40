package simulate

import "github.com/orderbot/orderbot"

// paymentSource is the source a payment of order o is at. With
// ChinaWalletSource set, a Chinese order paid by wallet pays there. That
// provider keeps one trade per order (Alipay's out_trade_no), so an order paid
// twice (a seeded duplicate) has both payments at PaymentSource: the earlier
// one is moved there. succeeded says the payment being added succeeded.
func (b *batch) paymentSource(o *orderbot.Order, succeeded bool) string {
	src := b.w.opts.ChinaWalletSource
	if src == "" || o.PaymentMethod != orderbot.PayWallet || o.ShippingAddress.Country != "CN" {
		return b.w.opts.PaymentSource
	}
	if b.walletPaid[o.ID] {
		for i := len(b.payments) - 1; i >= 0; i-- {
			if p := &b.payments[i]; p.OrderID == o.ID && p.Provider == src {
				p.Provider = b.w.opts.PaymentSource
			}
		}
		return b.w.opts.PaymentSource
	}
	if succeeded {
		if b.walletPaid == nil {
			b.walletPaid = map[string]bool{}
		}
		b.walletPaid[o.ID] = true
	}
	return src
}
