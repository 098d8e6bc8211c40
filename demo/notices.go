package demo

import (
	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// ShopName is how the demo's notices name the shop.
const ShopName = "orderbot demo shop"

// ConfigureNotices turns customer notices on with the simulated Twilio (SMS)
// and SendGrid (email) as providers, through their api_url settings like any
// real deployment. Quiet hours and caps keep their defaults.
func (p *Providers) ConfigureNotices(cfg *config.Config) {
	n := &cfg.Notices
	n.Enabled = true
	n.ShopName = ShopName
	n.SMS.Provider, n.Email.Provider = config.SMSTwilio, config.EmailSendGrid
	n.Twilio.APIURL, n.Twilio.AccountSID = p.Twilio.URL(), p.Twilio.AccountSID()
	n.Twilio.AuthToken, n.Twilio.From = config.NewSecret(p.Twilio.AuthToken()), "+15005550006"
	n.SendGrid.APIURL, n.SendGrid.APIKey = p.SendGrid.URL(), config.NewSecret(p.SendGrid.APIKey())
	n.SendGrid.From, n.SendGrid.FromName = "notices@demo.example", ShopName
}

// Notices lists what the simulated SMS and email providers received, with
// the recipients masked, for the stand-in page's Notices tab.
func (p *Providers) Notices() []slackfake.Notice {
	var out []slackfake.Notice
	for _, m := range p.Twilio.Messages() {
		out = append(out, slackfake.Notice{Medium: "sms", To: orderbot.MaskPhone(m.To), Body: m.Body, At: m.At})
	}
	for _, m := range p.SendGrid.Messages() {
		to := ""
		if len(m.To) > 0 {
			to = orderbot.MaskEmail(m.To[0])
		}
		out = append(out, slackfake.Notice{Medium: "email", To: to, Subject: m.Subject, Body: m.Text, At: m.At})
	}
	return out
}
