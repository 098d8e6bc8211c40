package detect_test

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// Each finding carries the money at stake.
func TestAtRisk(t *testing.T) {
	dup := order("D")
	badPhone := order("P")
	badPhone.Customer.Phone, badPhone.ShippingAddress.Phone = "12345", "12345"
	short := order("M")
	pays := []orderbot.Payment{
		payment("pi_d1", "D", usd(100), ago(2*time.Hour)), payment("pi_d2", "D", usd(100), ago(2*time.Hour-time.Minute)),
		payment("pi_p", "P", usd(100), ago(2*time.Hour)),
		payment("pi_m", "M", usd(90), ago(2*time.Hour)),
	}
	res := run(snapshot([]orderbot.Order{dup, badPhone, short}, pays, nil))
	want := map[orderbot.Kind]orderbot.Money{
		orderbot.PaymentDuplicate:      usd(100), // the second charge
		orderbot.CustomerInvalidPhone:  usd(100), // the order total
		orderbot.PaymentAmountMismatch: usd(10),  // the difference
	}
	for k, m := range want {
		found := false
		for _, a := range res.Anomalies {
			if a.Kind == k {
				found = true
				if a.AtRisk != m {
					t.Errorf("%s at risk %v, want %v", k, a.AtRisk, m)
				}
			}
		}
		if !found {
			t.Errorf("no %s found: %+v", k, res.Anomalies)
		}
	}
}
