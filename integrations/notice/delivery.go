package notice

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
)

// maxErrorBody bounds the copy of an error answer a Delivery keeps: provider
// error envelopes are small, an HTML error page need not be kept whole.
const maxErrorBody = 64 << 10

// Delivery records what happened to one HTTP send: whether the request was
// written to the connection, the status answered, and whether the answer's
// body was read to its end. An adapter reads it after the call to tell a
// definite failure from an outcome it cannot know. It is safe for concurrent
// use.
type Delivery struct {
	mu       sync.Mutex
	wrote    bool
	status   int
	header   http.Header
	complete bool
	body     []byte // of a non-2xx answer, capped at maxErrorBody
}

type deliveryKey struct{}

// Track returns a context that makes a Transport record the request sent with
// it into the returned Delivery. Track each send separately.
func Track(ctx context.Context) (context.Context, *Delivery) {
	d := &Delivery{}
	return context.WithValue(ctx, deliveryKey{}, d), d
}

// Written reports whether the request was (at least partly) written to a
// connection, so the provider may have acted on it.
func (d *Delivery) Written() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wrote
}

// Status is the HTTP status of the last answer, or 0 when none arrived.
func (d *Delivery) Status() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// Answered reports whether an answer arrived and its body was read to the end:
// the provider's verdict is known.
func (d *Delivery) Answered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status != 0 && d.complete
}

// Header is the header of the last answer, or nil when none arrived.
func (d *Delivery) Header() http.Header {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.header
}

// ErrorBody is the body of the last non-2xx answer (at most 64 KiB), for
// decoding the provider's error code; nil when there was none.
func (d *Delivery) ErrorBody() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.body
}

// Unknown reports whether a failed send may have reached the provider: the
// request was written and no complete answer was read.
func (d *Delivery) Unknown() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wrote && !(d.status != 0 && d.complete)
}

// Transport wraps an http.RoundTripper so that requests sent with a context
// from Track record their progress into its Delivery. Requests without one
// pass through untouched.
type Transport struct {
	// Base sends the requests; nil means a clone of http.DefaultTransport.
	Base http.RoundTripper
}

// NewTransport returns a Transport over a fresh clone of
// http.DefaultTransport, so each adapter has its own connection pool.
func NewTransport() *Transport {
	return &Transport{Base: http.DefaultTransport.(*http.Transport).Clone()}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	d, _ := r.Context().Value(deliveryKey{}).(*Delivery)
	if d == nil {
		return base.RoundTrip(r)
	}
	d.mu.Lock()
	// A new attempt (a redirect, say) starts a new answer.
	d.status, d.header, d.complete, d.body = 0, nil, false, nil
	d.mu.Unlock()
	trace := &httptrace.ClientTrace{
		WroteHeaderField: func(string, []string) { d.markWrote() },
		WroteRequest:     func(httptrace.WroteRequestInfo) { d.markWrote() },
	}
	r = r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
	resp, err := base.RoundTrip(r)
	if err != nil || resp == nil {
		return resp, err
	}
	d.mu.Lock()
	d.status, d.header = resp.StatusCode, resp.Header.Clone()
	d.mu.Unlock()
	resp.Body = &trackedBody{rc: resp.Body, d: d, keep: resp.StatusCode < 200 || resp.StatusCode > 299}
	return resp, nil
}

func (d *Delivery) markWrote() {
	d.mu.Lock()
	d.wrote = true
	d.mu.Unlock()
}

// trackedBody notes when the answer has been read to its end and keeps a
// bounded copy of an error answer.
type trackedBody struct {
	rc   io.ReadCloser
	d    *Delivery
	keep bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && b.keep {
		b.d.mu.Lock()
		if room := maxErrorBody - len(b.d.body); room > 0 {
			b.d.body = append(b.d.body, p[:min(n, room)]...)
		}
		b.d.mu.Unlock()
	}
	if errors.Is(err, io.EOF) {
		b.d.mu.Lock()
		b.d.complete = true
		b.d.mu.Unlock()
	}
	return n, err
}

func (b *trackedBody) Close() error { return b.rc.Close() }
