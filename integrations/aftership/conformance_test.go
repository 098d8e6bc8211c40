package aftership_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestConformance(t *testing.T) {
	const key = "conf-aftership-key-0001"
	conformance.Run(t, conformance.Case{
		Provider: "aftership",
		Secrets:  []string{key},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := aftership.New(aftership.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }},

				APIKey: key,
			})
			if err != nil {
				t.Fatal(err)
			}
			w := orderbot.Window{From: time.Now().Add(-time.Hour), To: time.Now()}
			return []conformance.Op{
				{Name: "ListShipments", Call: func(ctx context.Context) error {
					return c.ListShipments(ctx, w, func([]orderbot.Shipment) error { return nil })
				}},
				{Name: "Track", Call: func(ctx context.Context) error {
					_, err := c.Track(ctx, orderbot.ShipmentRef{TrackingNumber: "1Z999", Carrier: "ups"})
					return err
				}},
				{Name: "TrackWithoutSlug", Call: func(ctx context.Context) error {
					_, err := c.Track(ctx, orderbot.ShipmentRef{TrackingNumber: "1Z999"})
					return err
				}},
			}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{
				"meta": map[string]any{"code": status, "type": "Error", "message": msg},
				"data": map[string]any{},
			})
			return b
		},
	})
}
