package providerfake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultLogLimit bounds the request log unless Config.LogLimit says otherwise.
const DefaultLogLimit = 10_000

// StatusClientClosed is the status logged for a request whose client went
// away before it was answered (nginx's 499).
const StatusClientClosed = 499

// Config is what a fake supplies to Start.
type Config struct {
	// Serve answers a request that the gate let through and no fault
	// preempted: the provider's API. Required.
	Serve func(r *http.Request) Response
	// RateLimited renders the provider's 429 answer to a RateLimited fault.
	// Required.
	RateLimited func(f Fault) Response
	// ServerError renders the provider's 5xx answer to a ServerError fault.
	// Required.
	ServerError func(f Fault) Response
	// Gate, when set, runs first for every request: it may add headers that
	// every answer to the request carries (request ids, rate-limit state) to
	// h, and returns a non-nil answer to stop a request that never reaches
	// the API (bad path, bad credentials, throttled) before a fault is
	// consumed. Faults are meant for requests the provider would serve.
	Gate func(r *http.Request, h http.Header) *Response
	// LogLimit bounds the request log (oldest dropped); default
	// DefaultLogLimit.
	LogLimit int
	// Now stamps the request log; default time.Now.
	Now func() time.Time
}

// Request is one request a fake received, for test assertions.
type Request struct {
	Method string
	Path   string // unescaped, e.g. "/api/resource/Sales Order/SO-1"
	Query  url.Values
	// Form is the url-encoded body of a POST, PUT or PATCH; nil otherwise.
	Form   url.Values
	Header http.Header
	// Status is the status answered, or StatusClientClosed.
	Status int
	// Fault is the injected fault that answered it, or 0.
	Fault FaultKind
	At    time.Time
}

// Server is the shared part of a fake: fault queue, request log and the
// loopback HTTP server. Fakes embed it, so its methods are theirs. It is safe
// for concurrent use.
type Server struct {
	cfg     Config
	srv     *httptest.Server
	faults  faultQueue
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	log      []Request
	total    int
	inFlight int
}

// Start starts a Server for cfg on a loopback port.
func Start(cfg Config) *Server {
	if cfg.Serve == nil || cfg.RateLimited == nil || cfg.ServerError == nil {
		panic("providerfake: Config needs Serve, RateLimited and ServerError")
	}
	if cfg.LogLimit <= 0 {
		cfg.LogLimit = DefaultLogLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, closing: make(chan struct{})}
	s.srv = httptest.NewServer(s)
	return s
}

// URL is the server's base URL, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down. Held (Slow) requests are released and client
// connections closed first, so Close never waits for a hanging answer. Close
// may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Inject queues a fault for the next f.Times requests matching it, after any
// already queued.
func (s *Server) Inject(f Fault) { s.faults.add(f) }

// PendingFaults is how many injected answers are still queued.
func (s *Server) PendingFaults() int { return s.faults.len() }

// WaitFaultsTaken blocks until every queued fault has been taken by a request
// or ctx is done. A test uses it to act while a Slow fault holds a request
// (cancel the caller, say) without guessing how long the request takes to
// arrive.
func (s *Server) WaitFaultsTaken(ctx context.Context) error { return s.faults.waitEmpty(ctx) }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Requests returns a copy of the request log, oldest first (at most the
// log limit's newest entries).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// RequestCount is the number of requests answered (or abandoned by their
// client) since start or the last ResetRequests, however many the log kept.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// InFlight is the number of requests the fake is handling now. A test that
// must show no further request comes waits for the client call to return and
// InFlight to reach zero: every request the client sent has then been counted.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// ResetRequests clears the request log and count.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.total = nil, 0
}

// ServeHTTP answers one request: the gate's refusal, an injected fault, or the
// provider's answer (spoilt by a Malformed or WrongType fault). The request is
// logged before a byte of the answer is written. ServeHTTP lets a fake be
// mounted on another server too (the demo).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), At: s.cfg.Now()}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		// Read before answering so the log has the form even for faults.
		if r.ParseForm() == nil {
			rec.Form = r.PostForm
		}
	}
	resp, fault, ok := s.answer(r)
	rec.Status, rec.Fault = resp.Status, fault
	if !ok {
		rec.Status = StatusClientClosed
	}
	s.mu.Lock()
	s.total++
	s.log = append(s.log, rec)
	if len(s.log) > s.cfg.LogLimit {
		s.log = slices.Delete(s.log, 0, len(s.log)-s.cfg.LogLimit)
	}
	s.mu.Unlock()
	if !ok {
		// Returning would send an empty 200 if the connection is still open
		// (the server is closing); aborting drops it without an answer.
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	// A declared length lets clients size their buffer once.
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// answer builds the answer to r; ok is false when the client went away first.
func (s *Server) answer(r *http.Request) (resp Response, kind FaultKind, ok bool) {
	common := http.Header{}
	defer func() {
		// Headers every answer carries, unless the answer sets its own.
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		for k, v := range common {
			if _, set := resp.Header[k]; !set {
				resp.Header[k] = v
			}
		}
	}()
	if s.cfg.Gate != nil {
		if stop := s.cfg.Gate(r, common); stop != nil {
			return *stop, 0, true
		}
	}
	f, faulted := s.faults.take(r.URL.Path)
	if faulted {
		switch f.Kind {
		case RateLimited:
			return s.cfg.RateLimited(f), f.Kind, true
		case ServerError:
			return s.cfg.ServerError(f), f.Kind, true
		case Slow:
			if !s.hold(r, f.Delay) {
				return Response{}, f.Kind, false
			}
		}
	}
	resp = s.cfg.Serve(r)
	if faulted {
		damage(&resp, f)
		kind = f.Kind
	}
	return resp, kind, true
}

// hold waits d (forever when zero) and reports false when the client gave up
// or the server is closing first.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	var expired <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-expired:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}
