package kuaidi100_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
)

func TestConformance(t *testing.T) {
	const customer, key, phone = "CONFCUSTOMER0001", "conf-kuaidi100-key-0002", "+86 139 0000 4321"
	conformance.Run(t, conformance.Case{
		Provider: "kuaidi100",
		Secrets:  []string{key, customer, phone},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := kuaidi100.New(kuaidi100.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }},

				Customer: customer, Key: key, Phone: phone,
			})
			if err != nil {
				t.Fatal(err)
			}
			return []conformance.Op{
				{Name: "Track", Call: func(ctx context.Context) error {
					_, err := c.Track(ctx, orderbot.ShipmentRef{TrackingNumber: "YT123456", Carrier: "yto"})
					return err
				}},
				{Name: "TrackWithPhone", Call: func(ctx context.Context) error {
					_, err := c.Track(ctx, orderbot.ShipmentRef{TrackingNumber: "SF1234567890", Carrier: "sf-express"})
					return err
				}},
			}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"result": false, "returnCode": strconv.Itoa(status), "message": msg})
			return b
		},
	})
}
