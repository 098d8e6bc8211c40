package notify

import (
	"net/mail"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/orderbot/orderbot"
)

// mobileNumber returns the E.164 form of raw when it is a valid number that
// can receive SMS: a mobile, or a number its plan cannot tell from one (the
// US and Canada). region (ISO 3166-1 alpha-2) reads national numbers; a
// number with its own + country code needs none.
func mobileNumber(raw, region string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", false
	}
	if !strings.HasPrefix(raw, "+") && region == "" {
		return "", false
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return phonenumbers.Format(num, phonenumbers.E164), true
	}
	return "", false
}

// validEmail returns the bare address of raw when it is one address that a
// mail header can carry.
func validEmail(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.ContainsAny(raw, "\r\n\x00,;") {
		return "", false
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || !strings.Contains(a.Address, "@") {
		return "", false
	}
	return a.Address, true
}

// pickChannel chooses how to reach the customer of o: SMS when the phone is a
// mobile number and SMS is on, else email when the address is valid and email
// is on. prefer ("sms" or "email") asks for one channel only. When neither
// works, why says so in staff words.
func (n *Notifier) pickChannel(o orderbot.Order, prefer string) (channel, to, why string) {
	phone, region := n.phoneOf(o)
	mobile, isMobile := mobileNumber(phone, region)
	email, isEmail := validEmail(o.Customer.Email)
	smsOK := isMobile && n.opts.SMS != nil
	emailOK := isEmail && n.opts.Email != nil
	switch {
	case prefer == ChannelSMS && smsOK, prefer == "" && smsOK:
		return ChannelSMS, mobile, ""
	case prefer == ChannelEmail && emailOK, prefer == "" && emailOK:
		return ChannelEmail, email, ""
	}
	var reasons []string
	if prefer != ChannelEmail {
		switch {
		case n.opts.SMS == nil:
			reasons = append(reasons, "SMS is not configured")
		case phone == "":
			reasons = append(reasons, "the order has no phone number")
		default:
			reasons = append(reasons, "the phone number is not a valid mobile number")
		}
	}
	if prefer != ChannelSMS {
		switch {
		case n.opts.Email == nil:
			reasons = append(reasons, "email is not configured")
		case o.Customer.Email == "":
			reasons = append(reasons, "the order has no email address")
		default:
			reasons = append(reasons, "the email address is not valid")
		}
	}
	return "", "", strings.Join(reasons, " and ")
}

// phoneZone is the time zone of a phone number's area when the numbering
// plan names exactly one ("+86…" Asia/Shanghai, "+1 212…" America/New_York);
// nil when it names none or several.
func phoneZone(raw, region string) *time.Location {
	raw = strings.TrimSpace(raw)
	if raw == "" || (!strings.HasPrefix(raw, "+") && region == "") {
		return nil
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return nil
	}
	zones, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(zones) != 1 {
		return nil
	}
	loc, err := time.LoadLocation(zones[0])
	if err != nil {
		return nil
	}
	return loc
}

// customerZone is the zone quiet hours and the daily cap are judged in: the
// order's own, else the phone number's area, else the default.
func (n *Notifier) customerZone(o orderbot.Order) *time.Location {
	if o.Customer.Timezone != "" {
		if loc, err := time.LoadLocation(o.Customer.Timezone); err == nil {
			return loc
		}
	}
	phone, region := n.phoneOf(o)
	if loc := phoneZone(phone, region); loc != nil {
		return loc
	}
	return n.opts.DefaultZone
}

// phoneOf is the customer's phone (the shipping contact's when the customer
// gave none) and the region to read a national number in.
func (n *Notifier) phoneOf(o orderbot.Order) (phone, region string) {
	region = o.ShippingAddress.Country
	if region == "" {
		region = n.opts.DefaultRegion
	}
	phone = o.Customer.Phone
	if phone == "" {
		phone = o.ShippingAddress.Phone
	}
	return phone, region
}
