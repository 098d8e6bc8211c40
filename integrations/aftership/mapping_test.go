package aftership

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestTagTable(t *testing.T) {
	tests := []struct {
		tag, subtag string
		want        orderbot.ShipmentStatus
		known       bool
	}{
		{"Pending", "Pending_001", orderbot.ShipPending, true},
		{"InfoReceived", "InfoReceived_001", orderbot.ShipInfoReceived, true},
		{"InTransit", "InTransit_007", orderbot.ShipInTransit, true},
		{"OutForDelivery", "OutForDelivery_001", orderbot.ShipOutForDelivery, true},
		{"AttemptFail", "AttemptFail_001", orderbot.ShipAttemptFail, true},
		{"AvailableForPickup", "AvailableForPickup_001", orderbot.ShipAwaitPickup, true},
		{"Delivered", "Delivered_001", orderbot.ShipDelivered, true},
		{"Delivered", "Delivered_002", orderbot.ShipDelivered, true},
		{"Delivered", "Delivered_003", orderbot.ShipDelivered, true},
		{"Delivered", "Delivered_004", orderbot.ShipDelivered, true},
		{"Exception", "Exception_001", orderbot.ShipException, true},
		{"Exception", "Exception_002", orderbot.ShipException, true},
		{"Exception", "Exception_003", orderbot.ShipRefused, true},
		{"Exception", "Exception_004", orderbot.ShipException, true},
		{"Exception", "Exception_005", orderbot.ShipException, true},
		{"Exception", "Exception_010", orderbot.ShipReturning, true},
		{"Exception", "Exception_011", orderbot.ShipReturned, true},
		{"Expired", "Expired_001", orderbot.ShipExpired, true},
		{"Exception", "", orderbot.ShipException, true},
		{"", "Delivered_003", orderbot.ShipDelivered, true},
		{"", "", orderbot.ShipPending, false},
		{"Lost", "Lost_001", orderbot.ShipPending, false},
	}
	for _, tt := range tests {
		got, known := shipmentStatus(tt.tag, tt.subtag)
		if got != tt.want || known != tt.known {
			t.Errorf("shipmentStatus(%q, %q) = %s, %v; want %s, %v", tt.tag, tt.subtag, got, known, tt.want, tt.known)
		}
	}
	// Every tag of the enum is mapped.
	for _, tag := range []string{"Pending", "InfoReceived", "InTransit", "OutForDelivery", "AttemptFail", "Delivered", "AvailableForPickup", "Exception", "Expired"} {
		if _, ok := tagStatus[tag]; !ok {
			t.Errorf("tag %s not mapped", tag)
		}
	}
}

func TestReturnToSender(t *testing.T) {
	tests := []struct {
		in   orderbot.ShipmentStatus
		rts  bool
		want orderbot.ShipmentStatus
	}{
		{orderbot.ShipInTransit, false, orderbot.ShipInTransit},
		{orderbot.ShipInTransit, true, orderbot.ShipReturning},
		{orderbot.ShipOutForDelivery, true, orderbot.ShipReturning},
		{orderbot.ShipException, true, orderbot.ShipReturning},
		{orderbot.ShipAttemptFail, true, orderbot.ShipReturning},
		{orderbot.ShipDelivered, true, orderbot.ShipReturned},
		{orderbot.ShipDelivered, false, orderbot.ShipDelivered},
		{orderbot.ShipRefused, true, orderbot.ShipRefused},
		{orderbot.ShipReturned, true, orderbot.ShipReturned},
		{orderbot.ShipExpired, true, orderbot.ShipExpired},
	}
	for _, tt := range tests {
		if got := withReturn(tt.in, tt.rts); got != tt.want {
			t.Errorf("withReturn(%s, %v) = %s, want %s", tt.in, tt.rts, got, tt.want)
		}
	}
}

func TestPaceFromHeaders(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name           string
		remaining, rst string
		want           time.Duration
	}{
		{"requests left", "3", "1700000001", 0},
		{"exhausted, unix reset", "0", "1700000002", 2 * time.Second},
		{"exhausted, reset passed", "0", "1699999990", 0},
		{"exhausted, delta seconds", "0", "1", time.Second},
		{"bogus far reset is capped", "0", "1800000000", maxPace},
		{"missing headers", "", "", 0},
		{"unreadable", "none", "x", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.remaining != "" {
			h.Set("x-ratelimit-remaining", tt.remaining)
			h.Set("x-ratelimit-reset", tt.rst)
		}
		if got := paceFromHeaders(h, now); got != tt.want {
			t.Errorf("%s: pace = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDecodeErrorAndMeta(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"meta":{"code":4004,"message":"Tracking does not exist.","type":"NotFound"},"data":{}}`, "4004 NotFound: Tracking does not exist."},
		{`{"meta":{"code":429,"type":"TooManyRequests","message":"You have exceeded the API call rate limit."},"data":{}}`, "429 TooManyRequests: You have exceeded the API call rate limit."},
		{`{"meta":{"code":401,"message":"Invalid API key."}}`, "401: Invalid API key."},
		{`upstream connect error`, "upstream connect error"},
		{`<html>502</html>`, "Bad Gateway"},
	}
	for _, tt := range tests {
		if got := decodeError(502, nil, []byte(tt.body)); got != tt.want {
			t.Errorf("decodeError(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
	kinds := []struct {
		code int
		want orderbot.ErrorKind
	}{
		{200, ""}, {201, ""}, {0, orderbot.KindPermanent}, {401, orderbot.KindUnauthorized}, {4004, orderbot.KindNotFound},
		{4010, orderbot.KindInvalid}, {429, orderbot.KindRateLimited}, {503, orderbot.KindTransient},
	}
	for _, k := range kinds {
		if got := orderbot.KindOf(checkMeta("op", meta{Code: k.code})); got != k.want {
			t.Errorf("checkMeta(%d) kind = %q, want %q", k.code, got, k.want)
		}
	}
}

func TestToShipmentFieldsAndOrder(t *testing.T) {
	var logs bytes.Buffer
	c, err := New(Options{Settings: httpclient.Settings{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tr := tracking{
		TrackingNumber: "1Z", Slug: "ups", Tag: "InTransit", Subtag: "InTransit_007", SubtagMessage: "Departure scan",
		ExpectedDelivery: "2024-05-03", ShipmentPickupDate: "2024-05-01T09:00:00",
		Checkpoints: []checkpoint{
			{CheckpointTime: "2024-05-01T09:00:00+08:00", City: "Shenzhen", CountryISO3: "CHN", Tag: "InfoReceived"},
			{CheckpointTime: "2024-05-01T03:00:00Z", Location: "HK hub", Tag: "InTransit", Subtag: "InTransit_007"},
			{CreatedAt: "2024-05-01T03:00:00Z", Tag: "InTransit", Subtag: "InTransit_003"}, // same instant, later in list
		},
	}
	s, err := c.toShipment("op", "data.tracking", &tr)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != orderbot.ShipInTransit || s.StatusCode != "InTransit_007" || s.StatusText != "Departure scan" {
		t.Errorf("status = %s %s %q", s.Status, s.StatusCode, s.StatusText)
	}
	if !s.ExpectedDelivery.Equal(time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)) || !s.PickedUpAt.Equal(time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("dates = %v %v", s.ExpectedDelivery, s.PickedUpAt)
	}
	codes := []string{s.Checkpoints[0].Code, s.Checkpoints[1].Code, s.Checkpoints[2].Code}
	if strings.Join(codes, ",") != "InTransit_003,InTransit_007,InfoReceived" {
		t.Errorf("checkpoints not newest first: %v", codes)
	}
	if s.Checkpoints[2].Location != "Shenzhen, CHN" || s.Checkpoints[1].Location != "HK hub" {
		t.Errorf("locations = %q %q", s.Checkpoints[2].Location, s.Checkpoints[1].Location)
	}
	if !s.LastEventAt.Equal(time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("LastEventAt = %v", s.LastEventAt)
	}

	for _, bad := range []struct {
		edit  func(*tracking)
		field string
	}{
		{func(t *tracking) { t.ExpectedDelivery = "soon" }, `"data.tracking.expected_delivery"`},
		{func(t *tracking) { t.Checkpoints[1].CheckpointTime = "3 May" }, `"data.tracking.checkpoints[1].checkpoint_time"`},
		{func(t *tracking) { t.TrackingNumber = "" }, `"data.tracking.tracking_number"`},
	} {
		tr2 := tr
		tr2.Checkpoints = append([]checkpoint(nil), tr.Checkpoints...)
		bad.edit(&tr2)
		if _, err := c.toShipment("op", "data.tracking", &tr2); !orderbot.IsKind(err, orderbot.KindPermanent) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("err = %v, want one naming %s", err, bad.field)
		}
	}
	tr.Tag, tr.Subtag = "Lost", ""
	if s, _ := c.toShipment("op", "p", &tr); s.Status != orderbot.ShipPending || !strings.Contains(logs.String(), "Lost") {
		t.Errorf("unknown tag: %s, logs %q", s.Status, logs.String())
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := New(Options{}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("no key: %v", err)
	}
	if _, err := New(Options{APIKey: "k", APIVersion: "2025-01"}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Errorf("2025-01: %v", err)
	}
	c, err := New(Options{APIKey: "k", PageSize: 1000})
	if err != nil || c.pageSize != MaxPageSize || c.Name() != DefaultName || c.lookback != DefaultCreatedLookback {
		t.Errorf("defaults: %v %+v", err, c)
	}
}
