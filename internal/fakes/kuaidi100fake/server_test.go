package kuaidi100fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

var t0 = time.Date(2024, 4, 27, 2, 57, 33, 0, time.FixedZone("CST", 8*3600))

func signed(s *Server, param string) url.Values {
	sum := md5.Sum([]byte(param + s.Key() + s.Customer()))
	return url.Values{"customer": {s.Customer()}, "param": {param}, "sign": {strings.ToUpper(hex.EncodeToString(sum[:]))}}
}

func post(t *testing.T, s *Server, contentType string, form url.Values) map[string]any {
	t.Helper()
	resp, err := http.Post(s.URL()+"/poll/query.do", contentType, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out
}

func TestRefusalsAndOrder(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	add(t, s, orderbot.Shipment{TrackingNumber: "YT1", Carrier: "yuantong", Status: orderbot.ShipDelivered, Checkpoints: []orderbot.Checkpoint{
		{Time: t0, Message: "签收", Status: orderbot.ShipDelivered, Code: "301"},
		{Time: t0.Add(-time.Hour), Message: "派件", Status: orderbot.ShipOutForDelivery},
	}})
	form := "application/x-www-form-urlencoded"
	good := `{"com":"yuantong","num":"YT1","resultv2":"4"}`
	tamper := signed(s, good)
	tamper.Set("param", `{"com":"yuantong","num":"YT1","resultv2":"1"}`)
	tests := []struct {
		name, ct string
		form     url.Values
		code     string
	}{
		{"json content type", "application/json", signed(s, good), "400"},
		{"no sign", form, url.Values{"customer": {s.Customer()}, "param": {good}}, "400"},
		{"param changed after signing", form, tamper, "503"},
		{"unknown company", form, signed(s, `{"com":"nosuch","num":"YT1"}`), "400"},
		{"param not JSON", form, signed(s, `com=yuantong`), "400"},
		{"other carrier", form, signed(s, `{"com":"zhongtong","num":"YT1"}`), "500"},
	}
	for _, tt := range tests {
		if got := post(t, s, tt.ct, tt.form); got["result"] != false || got["returnCode"] != tt.code {
			t.Errorf("%s: %v, want returnCode %s", tt.name, got, tt.code)
		}
	}
	got := post(t, s, form, signed(s, good))
	if got["message"] != "ok" || got["state"] != "301" || got["ischeck"] != "1" {
		t.Fatalf("answer = %v", got)
	}
	asc := post(t, s, form, signed(s, `{"com":"yuantong","num":"YT1","resultv2":"0","order":"asc"}`))
	data := asc["data"].([]any)
	if asc["state"] != "3" || data[0].(map[string]any)["context"] != "派件" || data[0].(map[string]any)["statusCode"] != nil {
		t.Errorf("asc/basic answer = %v", asc)
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
				add(t, s, orderbot.Shipment{TrackingNumber: fmt.Sprint(w, "-", i), Carrier: "ems", Status: orderbot.ShipInTransit,
					Checkpoints: []orderbot.Checkpoint{{Time: t0, Message: "x"}}})
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 20 {
				post(t, s, "application/x-www-form-urlencoded", signed(s, fmt.Sprintf(`{"com":"ems","num":"%d-%d"}`, w, i)))
			}
		}()
	}
	wg.Wait()
	if s.RequestCount() != 80 || len(s.Requests()) != 80 || s.Requests()[0].Form.Get("sign") == "" {
		t.Errorf("log: %d", s.RequestCount())
	}
}

// add stores shipments, reporting a refused one (safe from any goroutine).
func add(t *testing.T, s *Server, shipments ...orderbot.Shipment) {
	t.Helper()
	if err := s.AddShipments(shipments...); err != nil {
		t.Error(err)
	}
}

func TestAddShipmentsRejectsRecordsWithoutKeys(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	if err := s.AddShipments(orderbot.Shipment{TrackingNumber: "OK1", Carrier: "ems"}, orderbot.Shipment{Carrier: "ems"}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("AddShipments without a number: %v, want KindInvalid", err)
	}
	if s.DeleteShipment("OK1") {
		t.Error("a refused batch stored some of its shipments")
	}
	add(t, s, orderbot.Shipment{TrackingNumber: "N1", Carrier: "ems"})
	if !s.DeleteShipment("N1") || s.DeleteShipment("N1") {
		t.Error("DeleteShipment does not report what it removed")
	}
}
