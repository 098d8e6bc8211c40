package httpclient

import (
	"testing"

	"github.com/orderbot/orderbot"
)

func TestSettingsFill(t *testing.T) {
	var s Settings
	s.Fill("stripe", "https://api.stripe.com", 20)
	if s.Name != "stripe" || s.APIURL != "https://api.stripe.com" || s.RateLimit != 20 || s.Logger == nil {
		t.Fatalf("defaults not applied: %+v", s)
	}
	s = Settings{Name: "pay", APIURL: "http://fake", RateLimit: -1}
	s.Fill("stripe", "https://api.stripe.com", 20)
	if s.Name != "pay" || s.APIURL != "http://fake" || s.RateLimit != 0 {
		t.Fatalf("set values overwritten or negative rate kept: %+v", s)
	}
}

// A sender never retries: a positive MaxRetries is refused, not dropped.
func TestSettingsFillSender(t *testing.T) {
	s := Settings{MaxRetries: 2}
	if err := s.FillSender("x.new", "twilio", "https://api.twilio.com", 5); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("MaxRetries 2 on a sender: %v, want KindInvalid", err)
	}
	s = Settings{}
	if err := s.FillSender("x.new", "twilio", "https://api.twilio.com", 5); err != nil || s.MaxRetries != -1 || s.Name != "twilio" {
		t.Fatalf("%+v %v, want MaxRetries -1", s, err)
	}
}

// NewClient fills the policy from the settings and lets HTTPOptions have the
// last word.
func TestSettingsNewClient(t *testing.T) {
	var seen Options
	s := Settings{APIURL: "http://fake.test", MaxRetries: 2, RateLimit: 7, HTTPOptions: func(o *Options) {
		seen = *o
		o.UserAgent = "test"
	}}
	s.Fill("p", "", 0)
	if _, err := s.NewClient("prov", Options{Header: map[string][]string{"Accept": {"application/json"}}}); err != nil {
		t.Fatal(err)
	}
	if seen.Provider != "prov" || seen.BaseURL != "http://fake.test" || seen.MaxRetries != 2 || seen.RateLimit != 7 ||
		seen.Logger != s.Logger || seen.Header.Get("Accept") != "application/json" {
		t.Fatalf("policy %+v", seen)
	}
	if _, err := s.NewClient("prov", Options{BaseURL: "http://own.test"}); err != nil {
		t.Fatal(err)
	}
	if seen.BaseURL != "http://own.test" {
		t.Fatalf("the adapter's own base URL was replaced: %q", seen.BaseURL)
	}
}
