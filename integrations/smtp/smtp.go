package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/notice"
)

// Defaults of Options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultHelloName = "localhost"
)

// Provider names the adapter in errors and logs.
const Provider = "smtp"

// ReferenceHeader carries Message.Reference in the email, so a bounce or a
// support query can be traced to its notice.
const ReferenceHeader = "X-Orderbot-Reference"

// Options configure the adapter.
type Options struct {
	// Addr is the relay's host:port, e.g. smtp.example.com:587; required.
	Addr string
	// Username and Password authenticate with AUTH PLAIN; no username means
	// no authentication (a trusted local relay).
	Username string
	Password string
	// From is the sender address; required. FromName is its display name.
	From     string
	FromName string
	// ReplyTo, when set, is where customers' replies go.
	ReplyTo string
	// HelloName is the EHLO name; default "localhost".
	HelloName string
	// ImplicitTLS connects with TLS from the start (port 465) instead of
	// STARTTLS.
	ImplicitTLS bool
	// AllowInsecure permits a relay without STARTTLS (a local relay in a
	// container, say); credentials are then never sent.
	AllowInsecure bool
	// TLSConfig, when set, is used for TLS (custom roots in tests); its
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds one whole send, connection to QUIT; default 30s.
	Timeout time.Duration
	Logger  *slog.Logger
	// Now stamps the Date header; a test hook, default time.Now.
	Now func() time.Time
}

// Client is the SMTP adapter. It is safe for concurrent use: each Send uses
// its own connection.
type Client struct {
	opts Options
	host string
	log  *slog.Logger
}

var _ notice.Sender = (*Client)(nil)

// New builds the adapter; a missing or malformed address is a KindInvalid
// error.
func New(opts Options) (*Client, error) {
	const op = "smtp.new"
	host, port, err := net.SplitHostPort(opts.Addr)
	if err != nil || host == "" || port == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "smtp: the server address must be host:port")
	}
	if err := notice.CheckSender(op, opts.From, opts.FromName, opts.ReplyTo); err != nil {
		return nil, err
	}
	if opts.Username != "" && opts.AllowInsecure && !opts.ImplicitTLS {
		// AllowInsecure covers servers without STARTTLS; sending a password
		// in the clear to one is never what was meant.
		opts.AllowInsecure = false
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.HelloName == "" {
		opts.HelloName = DefaultHelloName
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{opts: opts, host: host, log: opts.Logger.With("provider", Provider)}, nil
}

func (c *Client) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.opts.TLSConfig != nil {
		cfg = c.opts.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.host
	}
	return cfg
}

// Send implements notice.Sender: one email to m.To.
func (c *Client) Send(ctx context.Context, m notice.Message) (notice.Receipt, error) {
	const op = "smtp.send"
	if err := notice.CheckEmail(op, m); err != nil {
		return notice.Receipt{}, err
	}
	if err := notice.CheckHeaderValue(op, "reference", m.Reference); err != nil {
		return notice.Receipt{}, err
	}
	id := c.messageID()
	body, err := c.compose(m, id)
	if err != nil {
		return notice.Receipt{}, orderbot.Wrap(orderbot.KindInvalid, op, err, "the email could not be composed")
	}
	if err := ctx.Err(); err != nil {
		return notice.Receipt{}, orderbot.Wrap(orderbot.KindTransient, op, err, "the email was cancelled before it was sent")
	}

	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.opts.Addr)
	if err != nil {
		return notice.Receipt{}, definiteErr(ctx, op, "could not connect to the mail server", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation interrupts a blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if c.opts.ImplicitTLS {
		conn = tls.Client(conn, c.tlsConfig())
	}
	sc, err := smtp.NewClient(conn, c.host)
	if err != nil {
		conn.Close()
		return notice.Receipt{}, definiteErr(ctx, op, "the mail server did not greet us", err)
	}
	defer sc.Close()

	sent, err := c.converse(sc, m.To, body)
	if err != nil {
		if sent {
			return notice.Receipt{}, c.unknownOrReply(ctx, op, err)
		}
		var se *stepError
		if errors.As(err, &se) {
			return notice.Receipt{}, se.asError(ctx, op)
		}
		return notice.Receipt{}, definiteErr(ctx, op, "sending failed", err)
	}
	if err := sc.Quit(); err != nil {
		// The message was accepted at the end of DATA; a failed goodbye
		// does not change that.
		c.log.Debug("smtp quit failed after the message was accepted", "op", op, "error", err)
	}
	return notice.Receipt{ProviderID: id, Status: "accepted"}, nil
}

// stepError is a failure before the end of DATA: nothing was handed over.
type stepError struct {
	what string
	err  error
}

func (e *stepError) Error() string { return e.what + ": " + e.err.Error() }

func (e *stepError) asError(ctx context.Context, op string) error {
	var tp *textproto.Error
	if errors.As(e.err, &tp) {
		return replyError(op, e.what, tp)
	}
	return definiteErr(ctx, op, e.what, e.err)
}

// converse runs the SMTP dialogue; sent reports whether the final "." of
// DATA was written, after which the outcome is the server's to tell.
func (c *Client) converse(sc *smtp.Client, to string, body []byte) (sent bool, err error) {
	step := func(what string, err error) (bool, error) { return false, &stepError{what: what, err: err} }
	if err := sc.Hello(c.opts.HelloName); err != nil {
		return step("the mail server refused our greeting", err)
	}
	if !c.opts.ImplicitTLS {
		if ok, _ := sc.Extension("STARTTLS"); ok {
			if err := sc.StartTLS(c.tlsConfig()); err != nil {
				return step("TLS with the mail server failed", err)
			}
		} else if !c.opts.AllowInsecure {
			return step("the mail server does not offer STARTTLS", errNoTLS)
		}
	}
	if c.opts.Username != "" {
		if ok, _ := sc.Extension("AUTH"); !ok {
			return step("the mail server does not offer authentication", errNoAuth)
		}
		if err := sc.Auth(smtp.PlainAuth("", c.opts.Username, c.opts.Password, c.host)); err != nil {
			return step("the mail server rejected our login", err)
		}
	}
	if err := sc.Mail(c.opts.From); err != nil {
		return step("the mail server refused our sender address", err)
	}
	if err := sc.Rcpt(to); err != nil {
		return step("the mail server refused the recipient address", err)
	}
	w, err := sc.Data()
	if err != nil {
		return step("the mail server refused the message", err)
	}
	if _, err := w.Write(body); err != nil {
		return step("writing the message failed", err)
	}
	// Close writes the final "." and reads the verdict.
	if err := w.Close(); err != nil {
		return true, err
	}
	return false, nil
}

var (
	errNoTLS  = errors.New("STARTTLS not offered")
	errNoAuth = errors.New("AUTH not offered")
)

// unknownOrReply is the error of a failure after the final ".": a reply is
// the server's definite refusal, anything else leaves the outcome open.
func (c *Client) unknownOrReply(ctx context.Context, op string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return replyError(op, "the mail server refused the message", tp)
	}
	cause := err
	if ctx.Err() != nil {
		cause = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return notice.OutcomeUnknown(op, "the mail server", cause)
}

// definiteErr is a failure without an SMTP reply before anything was handed
// over; ctx's error stays in the chain so callers see a cancellation.
func definiteErr(ctx context.Context, op, what string, err error) error {
	var ue interface{ Timeout() bool }
	switch {
	case errors.Is(err, errNoTLS) || errors.Is(err, errNoAuth):
		return orderbot.Errorf(orderbot.KindInvalid, op, "%s; the email was not sent (check the smtp settings)", what)
	case ctx.Err() != nil:
		return orderbot.Wrap(orderbot.KindTransient, op, ctx.Err(), what+"; the email was not sent")
	case errors.As(err, &ue) && ue.Timeout():
		return orderbot.Wrap(orderbot.KindTransient, op, err, what+" in time; the email was not sent")
	}
	var tlsErr *tls.CertificateVerificationError
	if errors.As(err, &tlsErr) {
		return orderbot.Errorf(orderbot.KindInvalid, op, "%s: the server's certificate is not trusted; the email was not sent", what)
	}
	return orderbot.Errorf(orderbot.KindTransient, op, "%s; the email was not sent (%s)", what, netReason(err))
}

// netReason names a network failure without addresses.
func netReason(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Op + ": " + oe.Err.Error()
	}
	if errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "EOF") {
		return "connection closed"
	}
	return "network error"
}

// replyError maps an SMTP reply code. The reply's text is left out: servers
// repeat the address in it.
func replyError(op, what string, tp *textproto.Error) error {
	code := fmt.Sprintf("SMTP %d", tp.Code)
	if f := strings.Fields(tp.Msg); len(f) > 0 && strings.Count(f[0], ".") == 2 && strings.Trim(f[0], "0123456789.") == "" {
		code += " " + f[0] // the enhanced status code, e.g. 5.1.1
	}
	cause := fmt.Errorf("%s", code)
	var kind orderbot.ErrorKind
	switch {
	case tp.Code == 535 || tp.Code == 530 || tp.Code == 534 || tp.Code == 538:
		kind = orderbot.KindUnauthorized
	case tp.Code == 550 || tp.Code == 551 || tp.Code == 553 || tp.Code == 501:
		kind = orderbot.KindInvalid
	case tp.Code >= 500:
		kind = orderbot.KindPermanent
	default:
		kind = orderbot.KindTransient
	}
	return orderbot.Wrap(kind, op, cause, fmt.Sprintf("%s (%s); the email was not sent", what, code))
}

// messageID is a fresh Message-ID on the sender's domain; it doubles as the
// receipt's provider id, since net/smtp does not return the queue id.
func (c *Client) messageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	_, domain, _ := strings.Cut(c.opts.From, "@")
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// compose builds the RFC 5322 message: encoded-word headers (so no value can
// break a header line), a quoted-printable text part and, with HTML, a
// multipart/alternative body.
func (c *Client) compose(m notice.Message, id string) ([]byte, error) {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	from := (&mail.Address{Name: c.opts.FromName, Address: c.opts.From}).String()
	hdr("From", from)
	hdr("To", (&mail.Address{Address: m.To}).String())
	if c.opts.ReplyTo != "" {
		hdr("Reply-To", (&mail.Address{Address: c.opts.ReplyTo}).String())
	}
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", c.opts.Now().Format(time.RFC1123Z))
	hdr("Message-ID", id)
	if m.Reference != "" {
		hdr(ReferenceHeader, mime.QEncoding.Encode("utf-8", m.Reference))
	}
	hdr("MIME-Version", "1.0")
	part := func(ctype, text string) error {
		hdr("Content-Type", ctype+"; charset=utf-8")
		hdr("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		qw := quotedprintable.NewWriter(&b)
		if _, err := qw.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
			return err
		}
		return qw.Close()
	}
	if m.HTML == "" || m.Text == "" {
		ctype, text := "text/plain", m.Text
		if m.Text == "" {
			ctype, text = "text/html", m.HTML
		}
		if err := part(ctype, text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	boundary := "orderbot-" + hex.EncodeToString(rb[:])
	hdr("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, p := range []struct{ ctype, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		if err := part(p.ctype, p.text); err != nil {
			return nil, err
		}
		b.WriteString("\r\n") // the delimiter's own line break
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}
