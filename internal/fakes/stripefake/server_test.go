package stripefake_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
	"github.com/orderbot/orderbot/internal/fakes/stripefake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, s *stripefake.Server, method, path, auth string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func bearer(s *stripefake.Server) string { return "Bearer " + s.APIKey() }

func seed(t *testing.T, s *stripefake.Server, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		p := orderbot.Payment{ID: fmt.Sprintf("pi_%03d", i), Amount: orderbot.Money{Minor: int64(100 + i), Currency: "EUR"},
			Status: orderbot.PaymentSucceeded, OrderID: fmt.Sprint(i), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if i%2 == 0 {
			p.Refunds = []orderbot.Refund{{ID: fmt.Sprintf("re_%03d", i), Amount: orderbot.Money{Minor: 10, Currency: "EUR"},
				Status: "succeeded", CreatedAt: p.CreatedAt.Add(time.Second)}}
		}
		if err := s.AddPayments(p); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(a answer) []string {
	var out []string
	data, _ := a.body["data"].([]any)
	for _, d := range data {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

func errOf(a answer) map[string]any {
	e, _ := a.body["error"].(map[string]any)
	return e
}

func TestAuth(t *testing.T) {
	s := stripefake.New(stripefake.Options{})
	defer s.Close()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.APIKey()+":"))
	for _, tc := range []struct {
		auth   string
		status int
		msg    string
	}{
		{bearer(s), 200, ""},
		{basic, 200, ""},
		{"", 401, "You did not provide an API key"},
		{"Bearer sk_test_wrong_key_1234", 401, "Invalid API Key provided: sk_test_****1234"},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("sk_test_other:")), 401, "Invalid API Key provided"},
	} {
		a := call(t, s, "GET", "/v1/payment_intents", tc.auth)
		if a.status != tc.status || (tc.msg != "" && !strings.Contains(fmt.Sprint(errOf(a)["message"]), tc.msg)) {
			t.Errorf("auth %q: %d %s", tc.auth, a.status, a.raw)
		}
		if tc.status == 401 && strings.Contains(a.raw, "wrong_key") {
			t.Errorf("401 echoes the key unmasked: %s", a.raw)
		}
		if !strings.HasPrefix(a.header.Get("Request-Id"), "req_") {
			t.Errorf("Request-Id = %q", a.header.Get("Request-Id"))
		}
	}
}

func TestListParameters(t *testing.T) {
	s := stripefake.New(stripefake.Options{})
	defer s.Close()
	seed(t, s, 10)
	for _, tc := range []struct {
		path    string
		status  int
		ids     string
		hasMore bool
		code    string
	}{
		{"/v1/payment_intents?limit=3", 200, "pi_009,pi_008,pi_007", true, ""},
		{"/v1/payment_intents?limit=3&starting_after=pi_007", 200, "pi_006,pi_005,pi_004", true, ""},
		{"/v1/payment_intents?limit=3&starting_after=pi_002", 200, "pi_001,pi_000", false, ""},
		{"/v1/payment_intents?limit=3&ending_before=pi_004", 200, "pi_007,pi_006,pi_005", true, ""},
		{"/v1/payment_intents?limit=3&ending_before=pi_008", 200, "pi_009", false, ""},
		{fmt.Sprintf("/v1/payment_intents?created[gte]=%d&created[lt]=%d", t0.Add(2*time.Minute).Unix(), t0.Add(4*time.Minute).Unix()), 200, "pi_003,pi_002", false, ""},
		{fmt.Sprintf("/v1/payment_intents?created[gt]=%d&created[lte]=%d", t0.Add(2*time.Minute).Unix(), t0.Add(4*time.Minute).Unix()), 200, "pi_004,pi_003", false, ""},
		{fmt.Sprintf("/v1/payment_intents?created=%d", t0.Add(5*time.Minute).Unix()), 200, "pi_005", false, ""},
		{fmt.Sprintf("/v1/payment_intents?created[gte]=%d&created[lt]=%d", t0.Add(4*time.Minute).Unix(), t0.Unix()), 200, "", false, ""},
		{"/v1/payment_intents?limit=2&expand[0]=data.latest_charge", 200, "pi_009,pi_008", true, ""},
		{"/v1/payment_intents?limit=0", 400, "", false, "parameter_invalid_integer"},
		{"/v1/payment_intents?limit=101", 400, "", false, "parameter_invalid_integer"},
		{"/v1/payment_intents?limit=abc", 400, "", false, "parameter_invalid_integer"},
		{"/v1/payment_intents?created[gte]=yesterday", 400, "", false, "parameter_invalid_integer"},
		{"/v1/payment_intents?colour=red", 400, "", false, "parameter_unknown"},
		{"/v1/payment_intents?created[between]=1", 400, "", false, "parameter_unknown"},
		{"/v1/payment_intents?starting_after=pi_nope", 404, "", false, "resource_missing"},
		{"/v1/payment_intents?starting_after=pi_001&ending_before=pi_005", 400, "", false, ""},
		{"/v1/refunds?limit=2", 200, "re_008,re_006", true, ""},
		{"/v1/refunds?payment_intent=pi_004", 200, "re_004", false, ""},
		{"/v1/refunds?charge=ch_006", 200, "re_006", false, ""},
		{"/v1/refunds?payment_intent=pi_003", 200, "", false, ""},
		{"/v1/refunds?starting_after=re_nope", 404, "", false, "resource_missing"},
		{"/v1/charges", 404, "", false, ""},
	} {
		a := call(t, s, "GET", tc.path, bearer(s))
		if a.status != tc.status {
			t.Errorf("%s: status %d %s", tc.path, a.status, a.raw)
			continue
		}
		if tc.status != 200 {
			if tc.code != "" && errOf(a)["code"] != tc.code {
				t.Errorf("%s: code %v", tc.path, errOf(a)["code"])
			}
			continue
		}
		if got := strings.Join(ids(a), ","); got != tc.ids || a.body["has_more"] != tc.hasMore || a.body["object"] != "list" {
			t.Errorf("%s: ids %q has_more %v, want %q %v", tc.path, got, a.body["has_more"], tc.ids, tc.hasMore)
		}
	}
}

func TestObjectShapes(t *testing.T) {
	s := stripefake.New(stripefake.Options{OrderIDKey: "order"})
	defer s.Close()
	seed(t, s, 3)
	a := call(t, s, "GET", "/v1/payment_intents/pi_002?expand[]=latest_charge", bearer(s))
	pi := a.body
	ch, _ := pi["latest_charge"].(map[string]any)
	if a.status != 200 || pi["object"] != "payment_intent" || pi["currency"] != "eur" || pi["amount_received"] != 102.0 ||
		pi["metadata"].(map[string]any)["order"] != "2" || ch == nil || ch["amount_refunded"] != 10.0 || ch["refunded"] != false {
		t.Fatalf("intent = %s", a.raw)
	}
	a = call(t, s, "GET", "/v1/payment_intents/pi_002", bearer(s))
	if a.body["latest_charge"] != "ch_002" {
		t.Fatalf("unexpanded latest_charge = %v", a.body["latest_charge"])
	}
	a = call(t, s, "GET", "/v1/refunds/re_002", bearer(s))
	if a.status != 200 || a.body["payment_intent"] != "pi_002" || a.body["charge"] != "ch_002" || a.body["status"] != "succeeded" {
		t.Fatalf("refund = %s", a.raw)
	}
	for _, p := range []string{"/v1/payment_intents/pi_nope", "/v1/refunds/re_nope"} {
		if a := call(t, s, "GET", p, bearer(s)); a.status != 404 || errOf(a)["code"] != "resource_missing" {
			t.Errorf("%s: %d %s", p, a.status, a.raw)
		}
	}
	if a := call(t, s, "POST", "/v1/payment_intents", bearer(s)); a.status != 404 || !strings.Contains(a.raw, "Unrecognized request URL (POST") {
		t.Errorf("POST: %d %s", a.status, a.raw)
	}
}

func TestAddPaymentsValidates(t *testing.T) {
	s := stripefake.New(stripefake.Options{})
	defer s.Close()
	good := orderbot.Payment{ID: "pi_1", Amount: orderbot.Money{Minor: 1, Currency: "USD"}, CreatedAt: t0,
		Refunds: []orderbot.Refund{{ID: "re_1", CreatedAt: t0}}}
	if err := s.AddPayments(good); err != nil {
		t.Fatal(err)
	}
	for _, p := range []orderbot.Payment{
		{Amount: orderbot.Money{Currency: "USD"}, CreatedAt: t0},
		{ID: "pi_2", CreatedAt: t0},
		{ID: "pi_3", Amount: orderbot.Money{Currency: "USD"}},
		{ID: "pi_4", Amount: orderbot.Money{Currency: "USD"}, CreatedAt: t0, Refunds: []orderbot.Refund{{ID: "re_1", CreatedAt: t0}}},
	} {
		if err := s.AddPayments(p); err == nil {
			t.Errorf("AddPayments(%+v) accepted", p)
		}
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d", s.Len())
	}
}

func TestFaultsAndLog(t *testing.T) {
	s := stripefake.New(stripefake.Options{LogLimit: 3})
	defer s.Close()
	seed(t, s, 1)
	s.Inject(providerfake.Fault{Kind: providerfake.RateLimited, RetryAfter: 3 * time.Second})
	s.Inject(providerfake.Fault{Kind: providerfake.ServerError, PathContains: "refunds"})
	a := call(t, s, "GET", "/v1/refunds", bearer(s))
	if a.status != 429 || a.header.Get("Retry-After") != "3" || errOf(a)["code"] != "rate_limit" {
		t.Fatalf("first: %d %v %s", a.status, a.header, a.raw)
	}
	if a := call(t, s, "GET", "/v1/refunds", bearer(s)); a.status != 500 || errOf(a)["type"] != "api_error" {
		t.Fatalf("second: %d %s", a.status, a.raw)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.WrongType})
	if a := call(t, s, "GET", "/v1/payment_intents", bearer(s)); !strings.Contains(a.raw, `"amount_received":"not-a-number"`) {
		t.Fatalf("wrong type: %s", a.raw)
	}
	s.Inject(providerfake.Fault{Kind: providerfake.Malformed})
	if a := call(t, s, "GET", "/v1/payment_intents", bearer(s)); json.Valid([]byte(a.raw)) || a.status != 200 {
		t.Fatalf("malformed: %s", a.raw)
	}
	if a := call(t, s, "GET", "/v1/payment_intents", bearer(s)); a.status != 200 {
		t.Fatalf("faults not used up: %d", a.status)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[2].Status != 200 || reqs[1].Fault != providerfake.Malformed || reqs[0].Fault != providerfake.WrongType {
		t.Fatalf("log = %+v", reqs)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := stripefake.New(stripefake.Options{})
	defer s.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.AddPayments(orderbot.Payment{ID: fmt.Sprintf("pi_%d_%d", g, i), Amount: orderbot.Money{Minor: 1, Currency: "USD"}, CreatedAt: t0}); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				req, _ := http.NewRequest("GET", s.URL()+"/v1/payment_intents?limit=100", nil)
				req.Header.Set("Authorization", bearer(s))
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if s.Len() != 200 {
		t.Fatalf("Len = %d", s.Len())
	}
}
