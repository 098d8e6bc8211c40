package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/config"
	"github.com/orderbot/orderbot/integrations/aliyunsms"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/sendgrid"
	"github.com/orderbot/orderbot/integrations/smtp"
	"github.com/orderbot/orderbot/integrations/twilio"
	"github.com/orderbot/orderbot/notify"
	"github.com/orderbot/orderbot/notify/templates"
	"github.com/orderbot/orderbot/store"
)

// buildNotifier wires customer notices from notices.*: nil when they are off.
func buildNotifier(cfg *config.Config, st *store.Store, shops []orderbot.OrderSource, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*notify.Notifier, error) {
	n := cfg.Notices
	if !n.Enabled {
		return nil, nil
	}
	tpl, err := templates.Load(n.TemplatesDir)
	if err != nil {
		return nil, fmt.Errorf("notices.templates_dir: %w", err)
	}
	optOut, err := readOptOut(n.OptOutFile)
	if err != nil {
		return nil, err
	}
	nlog := log.With("component", "notify")
	opts := notify.Options{
		Templates: tpl, Shop: n.ShopName, Kinds: cfg.KindSettings(), QuietHours: n.QuietHours.Window(),
		DefaultZone: loadZone(n.DefaultTimezone), DefaultRegion: n.DefaultRegion, DailyCap: n.DailyCap,
		OptOut: optOut, Sources: shops, Clock: now, Logger: log, Registerer: reg, // the notifier adds component=notify itself
	}
	httpOpts := func(o *httpclient.Options) { o.Registerer = reg }
	switch n.SMS.Provider {
	case config.SMSTwilio:
		c, err := twilio.New(twilio.Options{
			Settings:   httpclient.Settings{APIURL: n.Twilio.APIURL, Logger: nlog, HTTPOptions: httpOpts},
			AccountSID: n.Twilio.AccountSID,
			AuthToken:  n.Twilio.AuthToken.Value(), From: n.Twilio.From, MessagingServiceSID: n.Twilio.MessagingServiceSID,
		})
		if err != nil {
			return nil, fmt.Errorf("notices.twilio: %w", err)
		}
		opts.SMS, opts.SMSName = c, "Twilio"
	case config.SMSAliyun:
		c, err := aliyunsms.New(aliyunsms.Options{
			Settings:        httpclient.Settings{APIURL: n.Aliyun.APIURL, Logger: nlog, HTTPOptions: httpOpts},
			AccessKeyID:     n.Aliyun.AccessKeyID.Value(),
			AccessKeySecret: n.Aliyun.AccessKeySecret.Value(), SignName: n.Aliyun.SignName})
		if err != nil {
			return nil, fmt.Errorf("notices.aliyun: %w", err)
		}
		opts.SMS, opts.SMSName, opts.SMSTemplateCode = c, "Alibaba Cloud SMS", n.Aliyun.TemplateCode
	}
	switch n.Email.Provider {
	case config.EmailSendGrid:
		c, err := sendgrid.New(sendgrid.Options{
			Settings: httpclient.Settings{APIURL: n.SendGrid.APIURL, Logger: nlog, HTTPOptions: httpOpts},
			APIKey:   n.SendGrid.APIKey.Value(),
			From:     n.SendGrid.From, FromName: n.SendGrid.FromName})
		if err != nil {
			return nil, fmt.Errorf("notices.sendgrid: %w", err)
		}
		opts.Email, opts.EmailName = c, "SendGrid"
	case config.EmailSMTP:
		c, err := smtp.New(smtp.Options{Addr: n.SMTP.Host + ":" + strconv.Itoa(n.SMTP.Port), Username: n.SMTP.Username,
			Password: n.SMTP.Password.Value(), From: n.SMTP.From, FromName: n.ShopName,
			ImplicitTLS: n.SMTP.Port == 465, AllowInsecure: !n.SMTP.StartTLS && n.SMTP.Port != 465, Logger: nlog})
		if err != nil {
			return nil, fmt.Errorf("notices.smtp: %w", err)
		}
		opts.Email, opts.EmailName = c, "the SMTP relay"
	}
	return notify.New(st, opts)
}

// readOptOut reads notices.opt_out_file: one phone or email per line; blank
// lines and lines starting with # are ignored.
func readOptOut(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("notices.opt_out_file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("notices.opt_out_file: %w", err)
	}
	return out, nil
}

func loadZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}
