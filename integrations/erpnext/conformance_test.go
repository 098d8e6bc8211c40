package erpnext_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestConformance(t *testing.T) {
	const key, secret = "conf-api-key-0001", "conf-api-secret-0002"
	conformance.Run(t, conformance.Case{
		Provider: "erpnext",
		Secrets:  []string{key, secret},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := erpnext.New(erpnext.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }},

				APIKey: key, APISecret: secret,
			})
			if err != nil {
				t.Fatal(err)
			}
			w := orderbot.Window{From: time.Now().Add(-time.Hour), To: time.Now()}
			return []conformance.Op{
				{Name: "ListOrders", Call: func(ctx context.Context) error {
					return c.ListOrders(ctx, w, func([]orderbot.Order) error { return nil })
				}},
				{Name: "GetOrder", Call: func(ctx context.Context) error {
					_, err := c.GetOrder(ctx, "SAL-ORD-2024-00001")
					return err
				}},
				{Name: "ListStock", Call: func(ctx context.Context) error {
					return c.ListStock(ctx, time.Time{}, func([]orderbot.StockLevel) error { return nil })
				}},
			}
		},
		// Frappe's v1 envelope: exc_type plus _server_messages, a JSON string of a
		// list of JSON-encoded message objects.
		ErrorBody: func(status int, msg string) []byte {
			inner, _ := json.Marshal(map[string]string{"message": msg})
			list, _ := json.Marshal([]string{string(inner)})
			b, _ := json.Marshal(map[string]string{
				"exc_type":         "ValidationError",
				"exception":        "frappe.exceptions.ValidationError: " + msg,
				"_server_messages": string(list),
			})
			return b
		},
	})
}
