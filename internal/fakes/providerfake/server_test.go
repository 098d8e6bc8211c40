package providerfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs a tiny provider: /ok answers a JSON list, /missing 404, and the
// gate refuses requests without the key and stamps every answer.
func start(t *testing.T, limit int) *providerfake.Server {
	t.Helper()
	s := providerfake.Start(providerfake.Config{
		LogLimit: limit,
		Gate: func(r *http.Request, h http.Header) *providerfake.Response {
			h.Set("X-Request-Id", "req-1")
			if r.Header.Get("Key") != "k" {
				resp := providerfake.JSON(http.StatusUnauthorized, map[string]string{"error": "bad key"})
				return &resp
			}
			return nil
		},
		Serve: func(r *http.Request) providerfake.Response {
			if r.URL.Path == "/missing" {
				return providerfake.JSON(http.StatusNotFound, map[string]string{"error": "no such thing"})
			}
			resp := providerfake.JSON(http.StatusOK, map[string]any{"data": []map[string]any{
				{"id": "a", "amount": 100, "tags": []string{"x"}}, {"id": "b", "amount": 200, "tags": []string{}}}})
			resp.WrongTypeField = "amount"
			return resp
		},
		RateLimited: func(f providerfake.Fault) providerfake.Response {
			resp := providerfake.Text(http.StatusTooManyRequests, "slow down")
			resp.Header.Set("Retry-After", providerfake.Seconds(f.RetryAfterOr(time.Second)))
			return resp
		},
		ServerError: func(providerfake.Fault) providerfake.Response {
			return providerfake.JSON(http.StatusInternalServerError, map[string]string{"error": "boom"})
		},
	})
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, ctx context.Context, s *providerfake.Server, method, path, key string, form url.Values) (answer, error) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, s.URL()+path, body)
	req.Header.Set("Key", key)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

func get(t *testing.T, s *providerfake.Server, path string) answer {
	t.Helper()
	a, err := call(t, context.Background(), s, http.MethodGet, path, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFaultAnswers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      providerfake.Fault
		path       string
		wantStatus int
		check      func(t *testing.T, a answer)
	}{
		{name: "rate limited with default Retry-After", fault: providerfake.Fault{Kind: providerfake.RateLimited}, path: "/ok",
			wantStatus: 429, check: func(t *testing.T, a answer) {
				if a.header.Get("Retry-After") != "1" || a.body != "slow down" {
					t.Errorf("answer = %v %q", a.header, a.body)
				}
			}},
		{name: "rate limited with Retry-After rounded up", fault: providerfake.Fault{Kind: providerfake.RateLimited, RetryAfter: 2500 * time.Millisecond},
			path: "/ok", wantStatus: 429, check: func(t *testing.T, a answer) {
				if a.header.Get("Retry-After") != "3" {
					t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
				}
			}},
		{name: "server error", fault: providerfake.Fault{Kind: providerfake.ServerError}, path: "/ok", wantStatus: 500,
			check: func(t *testing.T, a answer) {
				if !strings.Contains(a.body, "boom") {
					t.Errorf("body = %q", a.body)
				}
			}},
		{name: "malformed", fault: providerfake.Fault{Kind: providerfake.Malformed}, path: "/ok", wantStatus: 200,
			check: func(t *testing.T, a answer) {
				if json.Valid([]byte(a.body)) || !strings.HasPrefix(a.body, `{"data":[`) {
					t.Errorf("body = %q, want the answer cut short", a.body)
				}
			}},
		{name: "wrong type of the default field", fault: providerfake.Fault{Kind: providerfake.WrongType}, path: "/ok", wantStatus: 200,
			check: func(t *testing.T, a answer) {
				if !strings.Contains(a.body, `"amount":"not-a-number"`) || strings.Contains(a.body, `"amount":100`) {
					t.Errorf("body = %s", a.body)
				}
			}},
		{name: "wrong type of a named field", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "id"}, path: "/ok", wantStatus: 200,
			check: func(t *testing.T, a answer) {
				if !strings.Contains(a.body, `"id":12345`) || !strings.Contains(a.body, `"amount":100`) {
					t.Errorf("body = %s", a.body)
				}
			}},
		{name: "wrong type of an absent field spoils the top level", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "nope"},
			path: "/ok", wantStatus: 200, check: func(t *testing.T, a answer) {
				if a.body != `{"data":{}}` {
					t.Errorf("body = %s", a.body)
				}
			}},
		{name: "an error answer is not spoilt", fault: providerfake.Fault{Kind: providerfake.Malformed}, path: "/missing", wantStatus: 404,
			check: func(t *testing.T, a answer) {
				if !json.Valid([]byte(a.body)) {
					t.Errorf("body = %q", a.body)
				}
			}},
		{name: "slow then normal", fault: providerfake.Fault{Kind: providerfake.Slow, Delay: time.Millisecond}, path: "/ok", wantStatus: 200,
			check: func(t *testing.T, a answer) {
				if !json.Valid([]byte(a.body)) {
					t.Errorf("body = %q", a.body)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, 0)
			s.Inject(tc.fault)
			a := get(t, s, tc.path)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", a.status, tc.wantStatus, a.body)
			}
			if a.header.Get("X-Request-Id") != "req-1" {
				t.Errorf("gate header missing: %v", a.header)
			}
			tc.check(t, a)
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].Fault != tc.fault.Kind || reqs[0].Status != tc.wantStatus {
				t.Fatalf("log = %+v", reqs)
			}
			if s.PendingFaults() != 0 {
				t.Fatalf("%d faults still queued", s.PendingFaults())
			}
			normal := http.StatusOK
			if tc.path == "/missing" {
				normal = http.StatusNotFound
			}
			if b := get(t, s, tc.path); b.status != normal || s.Requests()[1].Fault != 0 {
				t.Fatalf("second request: %d %+v; the fault was for one request", b.status, s.Requests()[1])
			}
		})
	}
}

func TestFaultQueue(t *testing.T) {
	s := start(t, 0)
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError, Times: 2, PathContains: "missing"})
	s.Inject(providerfake.Fault{Kind: providerfake.RateLimited})
	var got []int
	for _, p := range []string{"/ok", "/missing", "/ok", "/missing", "/missing"} {
		got = append(got, get(t, s, p).status)
	}
	// /ok takes the rate limit (the first fault is for other paths), the
	// first two /missing the server errors; then nothing is left.
	if want := []int{429, 500, 200, 500, 404}; !equal(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError, Times: 3})
	if s.PendingFaults() != 3 {
		t.Fatalf("pending = %d", s.PendingFaults())
	}
	s.ClearFaults()
	if a := get(t, s, "/ok"); a.status != 200 || s.PendingFaults() != 0 {
		t.Fatalf("after ClearFaults: %d", a.status)
	}
}

func TestGateAnswersBeforeFaults(t *testing.T) {
	s := start(t, 0)
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError})
	a, err := call(t, context.Background(), s, http.MethodGet, "/ok", "wrong", nil)
	if err != nil || a.status != 401 || a.header.Get("X-Request-Id") != "req-1" {
		t.Fatalf("unauthorized: %v %d %v", err, a.status, a.header)
	}
	if s.PendingFaults() != 1 || get(t, s, "/ok").status != 500 {
		t.Fatal("a refused request consumed the fault")
	}
}

func TestRequestLog(t *testing.T) {
	s := start(t, 3)
	for i := range 5 {
		get(t, s, "/ok?n="+string(rune('0'+i)))
		// Logged before the answer was written: the count is exact the moment
		// the client has its answer.
		if n := s.RequestCount(); n != i+1 {
			t.Fatalf("after request %d RequestCount = %d", i+1, n)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Query.Get("n") != "2" || reqs[2].Query.Get("n") != "4" {
		t.Fatalf("log = %+v, want the newest 3", reqs)
	}
	if reqs[0].Method != "GET" || reqs[0].Path != "/ok" || reqs[0].Header.Get("Key") != "k" || reqs[0].At.IsZero() {
		t.Fatalf("entry = %+v", reqs[0])
	}
	if _, err := call(t, context.Background(), s, http.MethodPost, "/ok", "k", url.Values{"a": {"1 2"}}); err != nil {
		t.Fatal(err)
	}
	if f := s.Requests()[2].Form; f.Get("a") != "1 2" {
		t.Fatalf("form = %v", f)
	}
	s.ResetRequests()
	if s.RequestCount() != 0 || len(s.Requests()) != 0 {
		t.Fatal("ResetRequests kept entries")
	}
}

func TestSlowHoldsUntilClientGivesUp(t *testing.T) {
	s := start(t, 0)
	s.Inject(providerfake.Fault{Kind: providerfake.Slow})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := call(t, ctx, s, http.MethodGet, "/ok", "k", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline: the answer must never come", err)
	}
	// The handler notices the client left on its own time; the next request
	// is served normally either way.
	if a := get(t, s, "/ok"); a.status != 200 {
		t.Fatalf("next request: %d", a.status)
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	s := start(t, 0)
	s.Inject(providerfake.Fault{Kind: providerfake.Slow})
	errc := make(chan error, 1)
	go func() {
		_, err := call(t, context.Background(), s, http.MethodGet, "/ok", "k", nil)
		errc <- err
	}()
	if err := s.WaitFaultsTaken(context.Background()); err != nil { // the request is held
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a held request")
	}
	if err := <-errc; err == nil {
		t.Fatal("the held request was answered")
	}
	s.Close() // a second Close is harmless
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Status != providerfake.StatusClientClosed {
		t.Fatalf("log = %+v", reqs)
	}
}

func TestWaitFaultsTaken(t *testing.T) {
	s := start(t, 0)
	if err := s.WaitFaultsTaken(context.Background()); err != nil {
		t.Fatalf("empty queue: %v", err)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError, Times: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitFaultsTaken(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("with faults queued: %v, want the context's error", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitFaultsTaken(context.Background()) }()
	get(t, s, "/ok")
	get(t, s, "/ok")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "1"}, {time.Millisecond, "1"}, {time.Second, "1"}, {1001 * time.Millisecond, "2"}, {90 * time.Second, "90"}} {
		if got := providerfake.Seconds(tc.d); got != tc.want {
			t.Errorf("Seconds(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := (providerfake.Fault{}).RetryAfterOr(2 * time.Second); got != 2*time.Second {
		t.Errorf("RetryAfterOr default = %v", got)
	}
	if got := (providerfake.Fault{RetryAfter: time.Second}).RetryAfterOr(2 * time.Second); got != time.Second {
		t.Errorf("RetryAfterOr set = %v", got)
	}
	if providerfake.Slow.String() != "slow" || providerfake.FaultKind(99).String() != "fault(99)" {
		t.Errorf("names: %s %s", providerfake.Slow, providerfake.FaultKind(99))
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
