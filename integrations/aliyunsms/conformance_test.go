package aliyunsms_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/orderbot/orderbot/integrations/aliyunsms"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/notice"
)

func TestConformance(t *testing.T) {
	const id, secret = "LTAIconformance0001", "conformance-aliyun-access-key-secret"
	conformance.Run(t, conformance.Case{
		Provider: "aliyunsms",
		Sender:   true,
		Secrets:  []string{secret},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			c, err := aliyunsms.New(aliyunsms.Options{
				Settings:    httpclient.Settings{APIURL: env.URL, Timeout: env.Timeout, RateLimit: -1, Logger: env.Logger},
				AccessKeyID: id, AccessKeySecret: secret,
				SignName: "演示店"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []conformance.Op{{Name: "Send", Call: func(ctx context.Context) error {
				_, err := c.Send(ctx, notice.Message{To: "+8613800138000", TemplateCode: "SMS_123456789",
					TemplateParams: map[string]string{"order": "1001"}})
				return err
			}}}
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"Code": "isv.CONFORMANCE", "Message": msg, "RequestId": "0000-1111"})
			return b
		},
	})
}
