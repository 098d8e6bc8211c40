package detect

import (
	"testing"

	"github.com/orderbot/orderbot"
)

func TestOrderDims(t *testing.T) {
	o := orderbot.Order{ID: "1", PaymentMethod: orderbot.PayCashOnDelivery,
		Lines:           []orderbot.LineItem{{SKU: ""}, {SKU: "SKU-2"}},
		Shipments:       []orderbot.ShipmentRef{{TrackingNumber: "SF1"}, {TrackingNumber: "SF2", Carrier: "sf"}},
		ShippingAddress: orderbot.Address{Country: "CN", Province: "Zhejiang"}}
	for _, tc := range []struct {
		name string
		pays []orderbot.Payment
		want orderbot.Dims
	}{
		{"cash on delivery: the method is the channel", nil, orderbot.Dims{SKU: "SKU-2", Courier: "sf", Channel: "cod", Region: "CN-Zhejiang"}},
		{"a payment's provider", []orderbot.Payment{{Provider: "alipay"}}, orderbot.Dims{SKU: "SKU-2", Courier: "sf", Channel: "alipay", Region: "CN-Zhejiang"}},
	} {
		if got := orderDims(&o, tc.pays); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	bare := orderbot.Order{ID: "2"}
	if got := orderDims(&bare, nil); got != (orderbot.Dims{}) {
		t.Errorf("bare order: %+v", got)
	}
}
