package twilio_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/integrations/twilio"
)

func TestConformance(t *testing.T) {
	const token = "conformance-twilio-auth-token-77"
	conformance.Run(t, conformance.Case{
		Provider: "twilio",
		Sender:   true,
		Secrets:  []string{token},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := twilio.New(twilio.Options{
				Settings:   httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, RateLimit: -1, Logger: env.Logger},
				AccountSID: "AC0123456789abcdef0123456789abcdef",
				AuthToken:  token, From: "+15005550006"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{{Name: "Send", Call: func(ctx context.Context) error {
				_, err := c.Send(ctx, notice.Message{To: customer, Text: "Your order shipped"})
				return err
			}}}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"code": 20000 + status, "message": msg, "status": status})
			return b
		},
	})
}
