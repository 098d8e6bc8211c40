package detect

import "github.com/orderbot/orderbot"

// orderDims are the analytics breakdowns of a finding about order o: its first
// line's SKU, its first parcel's carrier, the provider of its first payment
// (the payment method when it has none, as for cash on delivery) and its
// shipping country and province. Only order findings get them, and only when
// one fires, so fine orders pay nothing.
func orderDims(o *orderbot.Order, pays []orderbot.Payment) orderbot.Dims {
	var d orderbot.Dims
	for _, l := range o.Lines {
		if l.SKU != "" {
			d.SKU = l.SKU
			break
		}
	}
	for _, s := range o.Shipments {
		if s.Carrier != "" {
			d.Courier = s.Carrier
			break
		}
	}
	for _, p := range pays {
		if p.Provider != "" {
			d.Channel = p.Provider
			break
		}
	}
	if d.Channel == "" {
		d.Channel = string(o.PaymentMethod)
	}
	d.Region = o.ShippingAddress.Country
	if d.Region != "" && o.ShippingAddress.Province != "" {
		d.Region += "-" + o.ShippingAddress.Province
	}
	return d
}
