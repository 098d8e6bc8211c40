package sendgrid_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/integrations/sendgrid"
)

func TestConformance(t *testing.T) {
	const key = "SG.conformance-sendgrid-api-key.0123456789"
	conformance.Run(t, conformance.Case{
		Provider: "sendgrid",
		Sender:   true,
		Secrets:  []string{key},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := sendgrid.New(sendgrid.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, RateLimit: -1, Logger: env.Logger},
				APIKey:   key, From: "notices@example.com",
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{{Name: "Send", Call: func(ctx context.Context) error {
				_, err := c.Send(ctx, notice.Message{To: "customer@example.com", Subject: "Shipped", Text: "Your order shipped"})
				return err
			}}}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": msg, "field": nil}}})
			return b
		},
	})
}
