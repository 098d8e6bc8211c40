package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/notice"
	"github.com/orderbot/orderbot/integrations/smtp"
	"github.com/orderbot/orderbot/internal/fakes/smtpfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const customer = "li.wei@example.cn"

func newPair(t *testing.T, fo smtpfake.Options, mod func(*smtp.Options)) (*smtp.Client, *smtpfake.Server) {
	t.Helper()
	fake, err := smtpfake.New(fo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	opts := smtp.Options{Addr: fake.Addr(), Username: fake.Username(), Password: fake.Password(),
		From: "shop@example.com", FromName: "Shop 小店", TLSConfig: &tls.Config{RootCAs: fake.CertPool()},
		Timeout: conformance.GenerousTimeout}
	if mod != nil {
		mod(&opts)
	}
	c, err := smtp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func msg() notice.Message {
	return notice.Message{To: customer, Subject: "订单 1001 已发货 =?utf-8?q?x?=", Text: "您好,\n订单已发货。\n.\nend",
		HTML: "<p>&lt;script&gt; 订单</p>", Reference: "T-1:shipped"}
}

func TestSendSuccess(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    func(*notice.Message)
	}{
		{name: "text and html"},
		{name: "text only", m: func(m *notice.Message) { m.HTML = "" }},
		{name: "html only", m: func(m *notice.Message) { m.Text = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, smtpfake.Options{}, nil)
			m := msg()
			if tc.m != nil {
				tc.m(&m)
			}
			r, err := c.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			got := fake.Messages()
			if len(got) != 1 {
				t.Fatalf("fake received %d messages", len(got))
			}
			g := got[0]
			if g.From != "shop@example.com" || len(g.To) != 1 || g.To[0] != customer {
				t.Errorf("envelope %s → %v", g.From, g.To)
			}
			if g.Subject != m.Subject || g.Text != m.Text || g.HTML != m.HTML {
				t.Errorf("subject %q text %q html %q", g.Subject, g.Text, g.HTML)
			}
			if r.ProviderID == "" || g.Header.Get("Message-Id") != r.ProviderID || g.Header.Get(smtp.ReferenceHeader) != "T-1:shipped" {
				t.Errorf("receipt %+v, headers %v", r, g.Header)
			}
		})
	}
}

func TestInsecureOpenRelay(t *testing.T) {
	c, fake := newPair(t, smtpfake.Options{NoSTARTTLS: true, Open: true}, func(o *smtp.Options) {
		o.Username, o.Password, o.AllowInsecure = "", "", true
	})
	if _, err := c.Send(context.Background(), msg()); err != nil || len(fake.Messages()) != 1 {
		t.Fatalf("err %v, %d messages", err, len(fake.Messages()))
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fo       smtpfake.Options
		mod      func(*smtp.Options)
		fault    smtpfake.Fault
		m        func(*notice.Message)
		kind     orderbot.ErrorKind
		text     string
		sessions int
		dataEnds int
	}{
		{name: "wrong password", mod: func(o *smtp.Options) { o.Password = "wrong-password-secret" },
			kind: orderbot.KindUnauthorized, text: "SMTP 535 5.7.8", sessions: 1},
		{name: "recipient refused", fault: smtpfake.RejectRecipient, kind: orderbot.KindInvalid, text: "SMTP 550 5.1.1", sessions: 1},
		{name: "temporary failure after data", fault: smtpfake.TempFail, kind: orderbot.KindTransient, text: "SMTP 451", sessions: 1, dataEnds: 1},
		{name: "no STARTTLS", fo: smtpfake.Options{NoSTARTTLS: true}, kind: orderbot.KindInvalid, text: "does not offer STARTTLS", sessions: 1},
		{name: "password never sent in clear", fo: smtpfake.Options{NoSTARTTLS: true},
			mod: func(o *smtp.Options) { o.AllowInsecure = true }, kind: orderbot.KindInvalid, text: "does not offer STARTTLS", sessions: 1},
		{name: "untrusted certificate", mod: func(o *smtp.Options) { o.TLSConfig = nil }, kind: orderbot.KindInvalid, text: "not trusted", sessions: 1},
		{name: "CRLF in subject", m: func(m *notice.Message) { m.Subject = "Hi\r\nBcc: evil@example.com" }, kind: orderbot.KindInvalid, text: "line break"},
		{name: "LF in recipient", m: func(m *notice.Message) { m.To = customer + "\nBcc: evil@example.com" }, kind: orderbot.KindInvalid, text: "line break"},
		{name: "CR in reference", m: func(m *notice.Message) { m.Reference = "x\rBcc: y" }, kind: orderbot.KindInvalid, text: "line break"},
		{name: "display-name recipient", m: func(m *notice.Message) { m.To = "Li <" + customer + ">" }, kind: orderbot.KindInvalid, text: "not a valid email address"},
		{name: "no body", m: func(m *notice.Message) { m.Text, m.HTML = "", "" }, kind: orderbot.KindInvalid, text: "needs a subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fake := newPair(t, tc.fo, tc.mod)
			if tc.fault != 0 {
				fake.Inject(tc.fault)
			}
			m := msg()
			if tc.m != nil {
				tc.m(&m)
			}
			_, err := c.Send(context.Background(), m)
			conformance.CheckError(t, err, tc.kind, tc.text, fake.Password(), "wrong-password-secret", customer)
			if errors.Is(err, notice.ErrOutcomeUnknown) {
				t.Errorf("definite failure reported as outcome unknown: %v", err)
			}
			if len(fake.Messages()) != 0 || fake.Sessions() != tc.sessions || fake.DataEnds() != tc.dataEnds {
				t.Errorf("%d messages, %d sessions, %d data ends; want 0, %d, %d",
					len(fake.Messages()), fake.Sessions(), fake.DataEnds(), tc.sessions, tc.dataEnds)
			}
		})
	}
}

func TestNoAnswerAfterDataIsOutcomeUnknown(t *testing.T) {
	c, fake := newPair(t, smtpfake.Options{}, func(o *smtp.Options) { o.Timeout = 500 * time.Millisecond })
	fake.Inject(smtpfake.NoAnswerAfterData)
	_, err := c.Send(context.Background(), msg())
	if !errors.Is(err, notice.ErrOutcomeUnknown) || orderbot.Retryable(err) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown, not retryable", err)
	}
	if s := err.Error(); strings.Contains(s, fake.Password()) || strings.Contains(s, customer) {
		t.Errorf("error leaks: %v", err)
	}
	if fake.Sessions() != 1 || fake.DataEnds() != 1 {
		t.Errorf("%d sessions, %d data ends; a send must never be retried", fake.Sessions(), fake.DataEnds())
	}
}

func TestCancellation(t *testing.T) {
	t.Run("after data", func(t *testing.T) {
		c, fake := newPair(t, smtpfake.Options{}, nil)
		fake.Inject(smtpfake.NoAnswerAfterData)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.Send(ctx, msg())
			done <- err
		}()
		wctx, wcancel := context.WithTimeout(context.Background(), conformance.GenerousTimeout)
		defer wcancel()
		if err := fake.WaitHeld(wctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || !errors.Is(err, notice.ErrOutcomeUnknown) {
				t.Fatalf("err = %v, want context.Canceled and ErrOutcomeUnknown", err)
			}
		case <-time.After(conformance.Prompt):
			t.Fatal("Send did not return promptly after cancel")
		}
	})
	t.Run("before sending", func(t *testing.T) {
		c, fake := newPair(t, smtpfake.Options{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, msg())
		if !errors.Is(err, context.Canceled) || errors.Is(err, notice.ErrOutcomeUnknown) || fake.Sessions() != 0 {
			t.Fatalf("err = %v, sessions %d; want a definite cancellation without connecting", err, fake.Sessions())
		}
	})
}

func TestRefusedConnectionIsDefinite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := smtp.New(smtp.Options{Addr: addr, From: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), msg())
	if !orderbot.IsKind(err, orderbot.KindTransient) || errors.Is(err, notice.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want a definite transient failure", err)
	}
}

func TestNew(t *testing.T) {
	for _, o := range []smtp.Options{
		{From: "a@example.com"},
		{Addr: "localhost", From: "a@example.com"},
		{Addr: "localhost:25"},
		{Addr: "localhost:25", From: "a@example.com\r\nBcc: x@example.com"},
		{Addr: "localhost:25", From: "a@example.com", FromName: "x\ny"},
	} {
		if _, err := smtp.New(o); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("New(%+v) = %v, want invalid", o, err)
		}
	}
}
