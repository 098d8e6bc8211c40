package aftershipfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func call(t *testing.T, s *Server, header, key, pathQuery string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+pathQuery, nil)
	if key != "" {
		req.Header.Set(header, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return resp.StatusCode, body, resp.Header
}

func metaCode(body map[string]any) float64 { return body["meta"].(map[string]any)["code"].(float64) }

func TestEnvelopesAndFilters(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	defer s.Close()
	for i := 1; i <= 5; i++ {
		status := orderbot.ShipInTransit
		if i == 5 {
			status = orderbot.ShipDelivered
		}
		if err := s.AddShipments(t0.Add(time.Duration(i)*time.Minute), orderbot.Shipment{TrackingNumber: fmt.Sprint("N", i), Carrier: "ups", Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, header, key, pq string
		status                int
		code                  float64
		count                 float64
	}{
		{"wrong key", "as-api-key", "nope", "/trackings", 401, 401, -1},
		{"v4 header on 2024-04", "aftership-api-key", s.APIKey(), "/trackings", 401, 401, -1},
		{"bad limit", "as-api-key", s.APIKey(), "/trackings?limit=201", 400, 4008, -1},
		{"bad time", "as-api-key", s.APIKey(), "/trackings?updated_at_min=yesterday", 400, 4008, -1},
		{"missing tracking", "as-api-key", s.APIKey(), "/trackings/ups/NOPE", 404, 4004, -1},
		{"wrong slug", "as-api-key", s.APIKey(), "/trackings/dhl/N1", 404, 4004, -1},
		{"bad path", "as-api-key", s.APIKey(), "/couriers", 404, 404, -1},
		{"all", "as-api-key", s.APIKey(), "/trackings", 200, 200, 5},
		{"updated window", "as-api-key", s.APIKey(), "/trackings?updated_at_min=2024-05-01T10:02:00Z&updated_at_max=2024-05-01T10:04:00Z", 200, 200, 3},
		{"tag", "as-api-key", s.APIKey(), "/trackings?tag=Delivered", 200, 200, 1},
		{"numbers", "as-api-key", s.APIKey(), "/trackings?tracking_numbers=N1,N3", 200, 200, 2},
		{"created_at_min filter", "as-api-key", s.APIKey(), "/trackings?created_at_min=2024-05-01T10:03:00Z", 200, 200, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := call(t, s, tt.header, tt.key, tt.pq)
			if status != tt.status || metaCode(body) != tt.code {
				t.Fatalf("status %d meta %v, want %d %v: %v", status, metaCode(body), tt.status, tt.code, body)
			}
			if tt.count >= 0 {
				if got := body["data"].(map[string]any)["count"].(float64); got != tt.count {
					t.Errorf("count = %v, want %v", got, tt.count)
				}
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	now := t0
	var mu sync.Mutex
	s := New(Options{RateLimit: 2, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	defer s.Close()
	var remaining []string
	for i := 0; i < 3; i++ {
		status, _, h := call(t, s, "as-api-key", s.APIKey(), "/trackings")
		remaining = append(remaining, fmt.Sprint(status, ":", h.Get("x-ratelimit-remaining")))
		if h.Get("x-ratelimit-reset") != fmt.Sprint(t0.Unix()+1) {
			t.Errorf("reset = %s", h.Get("x-ratelimit-reset"))
		}
	}
	if strings.Join(remaining, ",") != "200:1,200:0,429:0" {
		t.Errorf("remaining = %v", remaining)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, _, _ := call(t, s, "as-api-key", s.APIKey(), "/trackings"); status != 200 {
		t.Errorf("next second: %d", status)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := s.AddShipments(time.Time{}, orderbot.Shipment{TrackingNumber: fmt.Sprint(w, "-", i), Carrier: "ups", Status: orderbot.ShipInTransit}); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				if status, body, _ := call(t, s, "as-api-key", s.APIKey(), "/trackings?limit=10&page=2"); status != 200 {
					t.Errorf("%d %v", status, body)
				}
			}
		}()
	}
	wg.Wait()
	if s.RequestCount() != 80 {
		t.Errorf("%d requests", s.RequestCount())
	}
}

func TestAddShipmentsRejectsRecordsWithoutKeys(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for _, sh := range []orderbot.Shipment{{Carrier: "ups"}, {TrackingNumber: "N1"}} {
		if err := s.AddShipments(t0, orderbot.Shipment{TrackingNumber: "OK1", Carrier: "ups"}, sh); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("AddShipments(%+v) = %v, want KindInvalid", sh, err)
		}
	}
	if _, ok := s.Shipment("ups", "OK1"); ok {
		t.Error("a refused batch stored some of its shipments")
	}
	if err := s.AddShipments(t0, orderbot.Shipment{TrackingNumber: "N1", Carrier: "ups"}); err != nil || !s.DeleteShipment("ups", "N1") || s.DeleteShipment("ups", "N1") {
		t.Errorf("add then delete: %v", err)
	}
}
