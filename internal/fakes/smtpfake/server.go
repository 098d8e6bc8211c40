package smtpfake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultUsername = "orderbot"
	DefaultPassword = "smtpfake-password-000000"
)

// Fault is a failure the server answers with instead of its normal answer,
// for the next message.
type Fault int

// Faults.
const (
	// RejectRecipient answers RCPT with 550 5.1.1.
	RejectRecipient Fault = iota + 1
	// TempFail answers the end of DATA with 451 4.3.0.
	TempFail
	// NoAnswerAfterData reads the whole message and never answers, until
	// the client goes away or the server closes; nothing is recorded.
	NoAnswerAfterData
)

// Options configure a Server.
type Options struct {
	// Username and Password are the accepted AUTH PLAIN credentials;
	// defaults above.
	Username string
	Password string
	// NoSTARTTLS stops the server offering STARTTLS (and so AUTH).
	NoSTARTTLS bool
	// Open accepts mail without authentication, as a trusted local relay.
	Open bool
	// Now stamps messages; default time.Now.
	Now func() time.Time
}

// Message is one email the server accepted.
type Message struct {
	From    string   // envelope sender
	To      []string // envelope recipients
	Header  mail.Header
	Subject string // decoded
	Text    string // decoded text/plain part
	HTML    string // decoded text/html part
	Raw     []byte
	At      time.Time
}

// Server is a fake SMTP relay on a loopback port. It is safe for concurrent
// use.
type Server struct {
	opts Options
	ln   net.Listener
	tls  *tls.Config
	pool *x509.CertPool
	wg   sync.WaitGroup
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	conns    map[net.Conn]bool
	faults   []Fault
	messages []Message
	sessions int
	dataEnds int
	held     chan struct{} // closed when a NoAnswerAfterData hold starts
}

// New starts a Server; it fails only when no loopback port or key is
// available.
func New(opts Options) (*Server, error) {
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, ln: ln, pool: pool, done: make(chan struct{}), conns: map[net.Conn]bool{},
		held: make(chan struct{}),
		tls:  &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtpfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CertPool holds the server certificate's root, for a client's RootCAs.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Username is the accepted user name.
func (s *Server) Username() string { return s.opts.Username }

// Password is the accepted password.
func (s *Server) Password() string { return s.opts.Password }

// Inject queues a fault for the next message that reaches its step.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Sessions is the number of connections accepted so far.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// DataEnds is the number of messages whose DATA was received in full,
// accepted or not: the number of times a client handed a message over.
func (s *Server) DataEnds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataEnds
}

// WaitHeld blocks until a NoAnswerAfterData fault holds a message, or ctx
// is done.
func (s *Server) WaitHeld(ctx context.Context) error {
	select {
	case <-s.held:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server, drops every connection and waits for its
// goroutines.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.sessions++
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// take removes and returns the first queued fault f, if any.
func (s *Server) take(f Fault) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.faults, f); i >= 0 {
		s.faults = slices.Delete(s.faults, i, i+1)
		return true
	}
	return false
}

type session struct {
	s       *Server
	conn    net.Conn
	tp      *textproto.Conn
	tls     bool
	authed  bool
	from    string
	rcpts   []string
	greeted bool
}

func (ss *session) reply(code int, lines ...string) {
	for i, l := range lines {
		sep := " "
		if i < len(lines)-1 {
			sep = "-"
		}
		_ = ss.tp.PrintfLine("%d%s%s", code, sep, l)
	}
}

func (s *Server) session(c net.Conn) {
	ss := &session{s: s, conn: c, tp: textproto.NewConn(c)}
	ss.reply(220, "smtpfake ESMTP ready")
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ss.greeted = true
			ss.from, ss.rcpts = "", nil
			ext := []string{"smtpfake greets " + arg, "8BITMIME", "SIZE 10485760"}
			if !ss.tls && !s.opts.NoSTARTTLS {
				ext = append(ext, "STARTTLS")
			}
			if ss.tls {
				ext = append(ext, "AUTH PLAIN")
			}
			ss.reply(250, ext...)
		case "STARTTLS":
			if ss.tls || s.opts.NoSTARTTLS {
				ss.reply(503, "5.5.1 TLS not available")
				continue
			}
			ss.reply(220, "2.0.0 Ready to start TLS")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			ss.conn, ss.tp, ss.tls, ss.greeted = tc, textproto.NewConn(tc), true, false
			s.mu.Lock()
			s.conns[tc] = true
			s.mu.Unlock()
			defer func() { s.mu.Lock(); delete(s.conns, tc); s.mu.Unlock() }()
		case "AUTH":
			ss.auth(arg)
		case "MAIL":
			switch {
			case !ss.greeted:
				ss.reply(503, "5.5.1 EHLO first")
			case !ss.authed && !s.opts.Open:
				ss.reply(530, "5.7.0 Authentication required")
			case path(arg, "FROM:") == "":
				ss.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
			default:
				ss.from, ss.rcpts = path(arg, "FROM:"), nil
				ss.reply(250, "2.1.0 Ok")
			}
		case "RCPT":
			switch {
			case ss.from == "":
				ss.reply(503, "5.5.1 MAIL first")
			case path(arg, "TO:") == "":
				ss.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
			case s.take(RejectRecipient):
				ss.reply(550, "5.1.1 <"+path(arg, "TO:")+">: Recipient address rejected: User unknown")
			default:
				ss.rcpts = append(ss.rcpts, path(arg, "TO:"))
				ss.reply(250, "2.1.5 Ok")
			}
		case "DATA":
			if len(ss.rcpts) == 0 {
				ss.reply(503, "5.5.1 RCPT first")
				continue
			}
			if !ss.data() {
				return
			}
		case "RSET":
			ss.from, ss.rcpts = "", nil
			ss.reply(250, "2.0.0 Ok")
		case "NOOP":
			ss.reply(250, "2.0.0 Ok")
		case "QUIT":
			ss.reply(221, "2.0.0 Bye")
			return
		default:
			ss.reply(502, "5.5.2 Error: command not recognized")
		}
	}
}

// path is the address of a MAIL FROM:<a> or RCPT TO:<a> argument.
func path(arg, prefix string) string {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return ""
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if i := strings.IndexByte(rest, '>'); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimPrefix(rest, "<")
}

func (ss *session) auth(arg string) {
	mech, initial, _ := strings.Cut(arg, " ")
	switch {
	case !ss.tls:
		ss.reply(538, "5.7.11 Encryption required for requested authentication mechanism")
		return
	case !strings.EqualFold(mech, "PLAIN"):
		ss.reply(504, "5.5.4 Unrecognized authentication type")
		return
	}
	if initial == "" {
		ss.reply(334, "")
		l, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		initial = l
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || parts[1] != ss.s.opts.Username || parts[2] != ss.s.opts.Password {
		ss.reply(535, "5.7.8 Error: authentication failed")
		return
	}
	ss.authed = true
	ss.reply(235, "2.7.0 Authentication successful")
}

// data reads one message; it returns false when the session must end.
func (ss *session) data() bool {
	s := ss.s
	ss.reply(354, "End data with <CR><LF>.<CR><LF>")
	raw, err := io.ReadAll(ss.tp.DotReader())
	if err != nil {
		return false
	}
	s.mu.Lock()
	s.dataEnds++
	s.mu.Unlock()
	from, rcpts := ss.from, ss.rcpts
	ss.from, ss.rcpts = "", nil
	switch {
	case s.take(NoAnswerAfterData):
		s.mu.Lock()
		select {
		case <-s.held:
		default:
			close(s.held)
		}
		s.mu.Unlock()
		// Hold until the client goes away or the server closes.
		_, _ = io.Copy(io.Discard, ss.conn)
		return false
	case s.take(TempFail):
		ss.reply(451, "4.3.0 Error: queue file write error")
		return true
	}
	m, err := parse(raw)
	if err != nil {
		ss.reply(554, "5.6.0 Error: malformed message")
		return true
	}
	m.From, m.To, m.At = from, rcpts, s.opts.Now()
	s.mu.Lock()
	s.messages = append(s.messages, m)
	n := len(s.messages)
	s.mu.Unlock()
	ss.reply(250, fmt.Sprintf("2.0.0 Ok: queued as FAKE%06d", n))
	return true
}

// parse decodes a message's subject and text/HTML parts.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	m := Message{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, err
	}
	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Message{}, err
	}
	set := func(ctype string, body []byte) {
		switch ctype {
		case "text/plain":
			m.Text = string(body)
		case "text/html":
			m.HTML = string(body)
		}
	}
	if strings.HasPrefix(ctype, "multipart/") {
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				break
			}
			if err != nil {
				return Message{}, err
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return Message{}, err
			}
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			set(pt, b)
		}
		return m, nil
	}
	var body io.Reader = bufio.NewReader(msg.Body)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return Message{}, err
	}
	// SMTP ends every message with a line break; it is not the sender's text.
	set(ctype, bytes.TrimSuffix(b, []byte("\n")))
	return m, nil
}
