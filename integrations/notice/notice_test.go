package notice_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/notice"
)

func TestCheckHeaderValue(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"Order 1001 shipped", true},
		{"订单 1001 已发货", true},
		{"", true},
		{"a\r\nBcc: x@example.com", false},
		{"a\nb", false},
		{"a\rb", false},
		{"a\x00b", false},
	} {
		err := notice.CheckHeaderValue("op", "subject", tc.v)
		if tc.ok != (err == nil) || (err != nil && !orderbot.IsKind(err, orderbot.KindInvalid)) {
			t.Errorf("CheckHeaderValue(%q) = %v", tc.v, err)
		}
		if err != nil && strings.Contains(err.Error(), tc.v) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

func TestOutcomeUnknown(t *testing.T) {
	cause := orderbot.Wrap(orderbot.KindTransient, "x", context.DeadlineExceeded, "timed out")
	err := notice.OutcomeUnknown("twilio.send", "Twilio", cause)
	if !errors.Is(err, notice.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("chain lost: %v", err)
	}
	if orderbot.KindOf(err) != orderbot.KindPermanent || orderbot.Retryable(err) {
		t.Errorf("kind %s: an unknown outcome must not be retryable", orderbot.KindOf(err))
	}
	if !strings.Contains(orderbot.UserMessage(err), "may have been sent") {
		t.Errorf("user message %q", orderbot.UserMessage(err))
	}
}

func TestDelivery(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(`{"sid":"SM1"}`))
		case "/bad":
			w.WriteHeader(400)
			w.Write([]byte(`{"code":21211}`))
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/cut":
			w.Header().Set("Content-Length", "100")
			w.Write([]byte(`{"partial`))
		}
	}))
	defer srv.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tr := notice.NewTransport()
	defer tr.Base.(*http.Transport).CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for _, tc := range []struct {
		url                       string
		written, answered, unknow bool
		status                    int
		body                      string
	}{
		{url: srv.URL + "/ok", written: true, answered: true, status: 200},
		{url: srv.URL + "/bad", written: true, answered: true, status: 400, body: `{"code":21211}`},
		{url: srv.URL + "/hang", written: true, unknow: true},
		{url: srv.URL + "/cut", written: true, unknow: true, status: 200},
		{url: closedURL + "/ok"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			ctx, d := notice.Track(ctx)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tc.url, strings.NewReader("To=x"))
			resp, err := hc.Do(req)
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if d.Written() != tc.written || d.Answered() != tc.answered || d.Unknown() != tc.unknow ||
				d.Status() != tc.status || string(d.ErrorBody()) != tc.body {
				t.Errorf("written %v answered %v unknown %v status %d body %q", d.Written(), d.Answered(), d.Unknown(), d.Status(), d.ErrorBody())
			}
		})
	}
	// A request without Track passes through untouched.
	resp, err := hc.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
