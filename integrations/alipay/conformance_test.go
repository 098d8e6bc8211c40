package alipay_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestConformance(t *testing.T) {
	key := readFile(t, "app_private_key.pem")
	const token = "201512BB8d4b55b4d24ea79d8b6ce0e5b1d9XX26"
	conformance.Run(t, conformance.Case{
		Provider: "alipay",
		Secrets:  []string{key, token},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := alipay.New(alipay.Options{
				Settings: httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, MaxRetries: env.MaxRetries, Logger: env.Logger, RateLimit: -1, HTTPOptions: func(o *httpclient.Options) { o.Sleep = env.Sleep }},
				AppID:    vectorAppID, PrivateKey: key, AppAuthToken: token,
				AlipayPublicKey: readFile(t, "alipay_public_key.pem"),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{{Name: "QueryPayment", Call: func(ctx context.Context) error {
				_, err := c.QueryPayment(ctx, orderbot.Order{ID: "1001"})
				return err
			}}}
		},
		// A gateway or load balancer in front of Alipay answers HTTP errors in
		// its own words; Alipay's own codes come with HTTP 200 (TestErrorCodes).
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"error_response": map[string]string{"code": strconv.Itoa(status), "msg": msg}})
			return b
		},
	})
}
