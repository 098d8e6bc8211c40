package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// seeded is a store with a few tickets through the real scripts, and a
// dashboard server over it.
func seeded(t *testing.T, o Options) (*httptest.Server, *store.Store) {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mk := func(kind orderbot.Kind, dept, src, subject string, dims orderbot.Dims) store.Upsert {
		return store.Upsert{Anomaly: orderbot.Anomaly{Kind: kind, Subject: subject, Source: src, Department: dept,
			Severity: orderbot.SeverityHigh, Summary: subject, Dims: dims}}
	}
	res, err := st.UpsertTickets(ctx, []store.Upsert{
		mk(orderbot.PaymentUnrecorded, "finance", "stripe", "o1", orderbot.Dims{SKU: "=HYPERLINK(\"x\")"}),
		mk(orderbot.PaymentUnrecorded, "finance", "stripe", "o2", orderbot.Dims{SKU: "SKU-<b>2</b>"}),
		mk(orderbot.ShippingStalled, "logistics", "aftership", "o3", orderbot.Dims{Courier: "sf"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(20 * time.Minute)
	mu.Unlock()
	if _, _, err := st.Transition(ctx, res[2].Ticket.ID, store.Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}); err != nil {
		t.Fatal(err)
	}
	o.Reports = &analytics.Model{Rollups: st}
	o.Now = clock
	srv := httptest.NewServer(Handler(o))
	t.Cleanup(srv.Close)
	return srv, st
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestDashboardAccess(t *testing.T) {
	srv, _ := seeded(t, Options{Token: "s3cret", TrustedHeader: "X-Forwarded-User"})
	if r, _ := get(t, srv.URL+PathPage, nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.StatusCode)
	}
	if r, _ := get(t, srv.URL+PathPage, map[string]string{"Authorization": "Bearer wrong"}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", r.StatusCode)
	}
	if r, _ := get(t, srv.URL+PathCSV, map[string]string{"Authorization": "Bearer s3cret"}); r.StatusCode != http.StatusOK {
		t.Errorf("bearer token: %d", r.StatusCode)
	}
	if r, _ := get(t, srv.URL+PathPage, map[string]string{"X-Forwarded-User": "ann@example.com"}); r.StatusCode != http.StatusOK {
		t.Errorf("trusted header: %d", r.StatusCode)
	}
	r, _ := get(t, srv.URL+PathPage+"?period=today&token=s3cret", nil)
	if r.StatusCode != http.StatusSeeOther || strings.Contains(r.Header.Get("Location"), "token") || len(r.Cookies()) != 1 {
		t.Errorf("?token=: %d, location %q, cookies %v", r.StatusCode, r.Header.Get("Location"), r.Cookies())
	}
	if r, _ := get(t, srv.URL+PathPage+"?period=year", map[string]string{"Authorization": "Bearer s3cret"}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad period: %d", r.StatusCode)
	}
}

func TestDashboardCSV(t *testing.T) {
	srv, _ := seeded(t, Options{})
	r, body := get(t, srv.URL+PathCSV+"?period=today", nil)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"total,all,opened,3", "total,all,resolved_auto,1", "total,all,resolved_staff,0",
		"department,finance,opened,2", "department,logistics,resolved_auto,1", "stage,payment,opened,2",
		"top_sku,SKU-<b>2</b>,opened,1", `top_sku,"'=HYPERLINK(""x"")",opened,1`, "top_courier,sf,opened,1",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("csv lacks %q:\n%s", want, body)
		}
	}
	_, body = get(t, srv.URL+PathCSV+"?period=today&dept=logistics", nil)
	if !strings.Contains(body, "total,all,opened,1\n") || strings.Contains(body, "department,finance") {
		t.Errorf("filtered csv:\n%s", body)
	}
}

// TestDashboardScorecard: the page shows each courier's and payment channel's
// rates over the seven days before today, names escaped.
func TestDashboardScorecard(t *testing.T) {
	srv, st := seeded(t, Options{})
	ctx := context.Background()
	yesterday := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
	if err := st.CountSeen(ctx, store.DimCourier, yesterday, map[string][]string{"<b>sf</b>": {"SF1", "SF2", "SF3"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.CountSeen(ctx, store.DimChannel, yesterday, map[string][]string{"stripe": {"pi_1", "pi_2"}}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, srv.URL+PathPage, nil)
	for _, want := range []string{`id="scorecard"`, "<td>&lt;b&gt;sf&lt;/b&gt;</td><td>courier</td><td>stall rate 0.0%, overdue rate 0.0%, exception rate 0.0% · 3 parcels</td>",
		"<td>stripe</td><td>payment channel</td><td>lost-callback rate 0.0% · 2 payments</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}
