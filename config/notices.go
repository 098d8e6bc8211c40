package config

import (
	"strings"

	"github.com/orderbot/orderbot"
)

// Notices configures customer notices (product.md §7).
type Notices struct {
	// Enabled switches customer notices on; off, no SMS or email is ever sent.
	Enabled bool `yaml:"enabled"`
	// ShopName is the shop's name as customers know it, used in every
	// notice; required when notices are enabled.
	ShopName string `yaml:"shop_name"`
	// DefaultRegion (ISO 3166-1 alpha-2) reads phone numbers written without
	// a country code on orders whose shipping address names no country;
	// empty means such numbers are not texted.
	DefaultRegion string `yaml:"default_region"`
	// QuietHours defer (never drop) notices at night in the customer's zone.
	QuietHours QuietHours `yaml:"quiet_hours"`
	// DefaultTimezone is used for customers whose order carries no time zone;
	// empty means the top-level timezone, which Parse fills in.
	DefaultTimezone string `yaml:"default_timezone"`
	// DailyCap is the most notices one customer gets per day.
	DailyCap int `yaml:"daily_cap"`
	// OptOutFile lists phone numbers and email addresses (one per line) that
	// never get a notice; empty means none besides the sources' own opt-outs.
	OptOutFile string `yaml:"opt_out_file"`
	// TemplatesDir overrides the built-in notice templates; empty uses them.
	TemplatesDir string `yaml:"templates_dir"`

	SMS      SMSChannel   `yaml:"sms"`
	Email    EmailChannel `yaml:"email"`
	Twilio   Twilio       `yaml:"twilio"`
	Aliyun   Aliyun       `yaml:"aliyun"`
	SendGrid SendGrid     `yaml:"sendgrid"`
	SMTP     SMTP         `yaml:"smtp"`
}

// QuietHours is a daily window in local time; Start after End spans midnight,
// Start equal to End means no quiet hours.
type QuietHours struct {
	Start ClockTime `yaml:"start"`
	End   ClockTime `yaml:"end"`
}

// Window is the quiet hours as the notifier takes them.
func (q QuietHours) Window() orderbot.QuietHours {
	return orderbot.QuietHours{Start: orderbot.ClockTime(q.Start), End: orderbot.ClockTime(q.End)}
}

// Contains reports whether the time of day c falls in the window.
func (q QuietHours) Contains(c ClockTime) bool { return q.Window().Contains(orderbot.ClockTime(c)) }

// SMSProvider names the SMS gateway.
type SMSProvider string

// SMS providers; SMSNone turns SMS off (notices go by email only).
const (
	SMSTwilio SMSProvider = "twilio"
	SMSAliyun SMSProvider = "aliyun"
	SMSNone   SMSProvider = "none"
)

// EmailProvider names the email gateway.
type EmailProvider string

// Email providers; EmailNone turns email off (notices go by SMS only).
const (
	EmailSendGrid EmailProvider = "sendgrid"
	EmailSMTP     EmailProvider = "smtp"
	EmailNone     EmailProvider = "none"
)

// SMSChannel picks the SMS provider.
type SMSChannel struct {
	Provider SMSProvider `yaml:"provider"`
}

// EmailChannel picks the email provider.
type EmailChannel struct {
	Provider EmailProvider `yaml:"provider"`
}

// Twilio is Twilio Programmable Messaging.
type Twilio struct {
	APIURL     string `yaml:"api_url"`
	AccountSID string `yaml:"account_sid"`
	AuthToken  Secret `yaml:"auth_token"`
	// From is the sender number (E.164) or alphanumeric id; either it or
	// MessagingServiceSID is needed.
	From                string `yaml:"from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
}

// Aliyun is Alibaba Cloud SMS (Dysmsapi), which sends only approved templates
// under an approved signature.
type Aliyun struct {
	APIURL          string `yaml:"api_url"`
	AccessKeyID     Secret `yaml:"access_key_id"`
	AccessKeySecret Secret `yaml:"access_key_secret"`
	// SignName is the approved SMS signature (签名).
	SignName string `yaml:"sign_name"`
	// Templates maps "kind/event" (TemplateKey) to an approved template code
	// such as SMS_123456789.
	Templates map[string]string `yaml:"templates"`
}

// TemplateCode returns the approved template code for a kind and event.
func (a Aliyun) TemplateCode(k orderbot.Kind, event TemplateEvent) (string, bool) {
	c, ok := a.Templates[TemplateKey(k, event)]
	return c, ok && c != ""
}

// TemplateEvent is the ticket event a notice template is for
// (orderbot.NoticeEvent, which the notifier uses).
type TemplateEvent = orderbot.NoticeEvent

// Template events.
const (
	EventOpen    = orderbot.NoticeOpen
	EventResolve = orderbot.NoticeResolve
	EventBreach  = orderbot.NoticeBreach
	EventManual  = orderbot.NoticeManual
)

// TemplateEvents lists the valid template events.
var TemplateEvents = orderbot.NoticeEvents

// TemplateKey is the key of notices.aliyun.templates: "kind/event", e.g.
// "shipping.stalled/open".
func TemplateKey(k orderbot.Kind, event TemplateEvent) string {
	return string(k) + "/" + string(event)
}

// splitTemplateKey splits "kind/event".
func splitTemplateKey(key string) (orderbot.Kind, TemplateEvent, bool) {
	k, e, ok := strings.Cut(key, "/")
	return orderbot.Kind(k), TemplateEvent(e), ok
}

// SendGrid is SendGrid v3 Mail Send.
type SendGrid struct {
	APIURL   string `yaml:"api_url"`
	APIKey   Secret `yaml:"api_key"`
	From     string `yaml:"from"`
	FromName string `yaml:"from_name"`
}

// SMTP is a plain SMTP relay.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	From     string `yaml:"from"`
	// StartTLS upgrades the connection before authenticating; only a relay on
	// localhost should run without it.
	StartTLS bool `yaml:"starttls"`
}
