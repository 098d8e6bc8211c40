package config

import (
	"fmt"
	"regexp"
)

// The documented shapes of the ids the configuration names. An id of the
// wrong shape can never work (Slack answers channel_not_found, Twilio 404),
// so it is refused at load with the shape it should have, rather than found
// out on the first ticket.
var (
	// Slack: conversations are C… (public), G… (private, older) or D… (direct);
	// workspaces are T…; ids are upper-case letters and digits.
	channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	teamIDPattern    = regexp.MustCompile(`^T[A-Z0-9]{2,}$`)
	// Twilio: a two-letter type prefix and 32 hex digits (AC account, MG
	// Messaging Service).
	twilioAccountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	twilioServiceSIDPattern = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	// Alibaba Cloud SMS template codes: SMS_ and digits.
	aliyunTemplatePattern = regexp.MustCompile(`^SMS_[0-9]+$`)
)

// channelID reports a Slack channel id of the wrong shape; empty is left to
// the caller's required check.
func (v validator) channelID(path, id string) {
	if id != "" && !channelIDPattern.MatchString(id) {
		v.add(path, "must be a Slack channel id such as C0123ABCD (in Slack: channel name → View channel details → the id at the bottom; or run `orderbot slack channels`), got %q", truncate(id, 40))
	}
}

// ids checks the shape of every configured id outside the departments, whose
// own check covers their channels and users.
func (v validator) ids() {
	s := v.c.Slack
	if s.TeamID != "" && !teamIDPattern.MatchString(s.TeamID) {
		v.add("slack.team_id", "must be a Slack team id such as T0123ABCD (`orderbot slack check` prints it), got %q", truncate(s.TeamID, 40))
	}
	v.channelID("slack.escalation_channel", s.EscalationChannel)
	v.channelID("slack.digest_channel", s.DigestChannel)
	for _, name := range sortedKeys(v.c.Departments) {
		v.channelID("departments."+name+".channel", v.c.Departments[name].Channel)
	}
	t := v.c.Notices.Twilio
	if t.AccountSID != "" && !twilioAccountSIDPattern.MatchString(t.AccountSID) {
		v.add("notices.twilio.account_sid", "must be a Twilio Account SID: AC and 32 hex digits, got %q", truncate(t.AccountSID, 40))
	}
	if t.MessagingServiceSID != "" && !twilioServiceSIDPattern.MatchString(t.MessagingServiceSID) {
		v.add("notices.twilio.messaging_service_sid", "must be a Twilio Messaging Service SID: MG and 32 hex digits, got %q", truncate(t.MessagingServiceSID, 40))
	}
	for _, key := range sortedKeys(v.c.Notices.Aliyun.Templates) {
		if code := v.c.Notices.Aliyun.Templates[key]; code != "" && !aliyunTemplatePattern.MatchString(code) {
			v.add(fmt.Sprintf("notices.aliyun.templates.%s", key), "must be an approved template code such as SMS_123456789, got %q", truncate(code, 40))
		}
	}
}
