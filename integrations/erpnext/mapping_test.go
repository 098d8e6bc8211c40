package erpnext

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

func TestOrderStatusTable(t *testing.T) {
	tests := []struct {
		docstatus int
		status    string
		want      orderbot.OrderStatus
		known     bool
	}{
		{0, "Draft", orderbot.OrderPending, true},
		{0, "", orderbot.OrderPending, true},
		{1, "Draft", orderbot.OrderPending, true},
		{1, "To Pay", orderbot.OrderPending, true},
		{1, "On Hold", orderbot.OrderOnHold, true},
		{1, "To Deliver and Bill", orderbot.OrderProcessing, true},
		{1, "To Bill", orderbot.OrderProcessing, true},
		{1, "To Deliver", orderbot.OrderProcessing, true},
		{1, "Completed", orderbot.OrderCompleted, true},
		{1, "Closed", orderbot.OrderCompleted, true},
		{1, "Cancelled", orderbot.OrderCancelled, true},
		{2, "Cancelled", orderbot.OrderCancelled, true},
		{2, "To Deliver", orderbot.OrderCancelled, true}, // docstatus wins
		{1, "Partially Shipped", orderbot.OrderProcessing, false},
		{1, "", orderbot.OrderProcessing, false},
	}
	for _, tt := range tests {
		got, known := orderStatus(tt.docstatus, tt.status)
		if got != tt.want || known != tt.known {
			t.Errorf("orderStatus(%d, %q) = %s, %v; want %s, %v", tt.docstatus, tt.status, got, known, tt.want, tt.known)
		}
	}
}

func TestFinancialAndFulfillmentTables(t *testing.T) {
	fin := []struct {
		docstatus int
		billed    float64
		want      orderbot.FinancialStatus
	}{
		{1, 0, orderbot.FinancialPending},
		{0, 0, orderbot.FinancialPending},
		{1, 0.01, orderbot.FinancialPartiallyPaid},
		{1, 50, orderbot.FinancialPartiallyPaid},
		{1, 99.99, orderbot.FinancialPartiallyPaid},
		{1, 99.9999999, orderbot.FinancialPaid}, // float rounding of 100
		{1, 100, orderbot.FinancialPaid},
		{2, 0, orderbot.FinancialVoided},
		{2, 100, orderbot.FinancialPaid}, // billed then cancelled: money was asked for
	}
	for _, tt := range fin {
		if got := financialStatus(tt.docstatus, tt.billed); got != tt.want {
			t.Errorf("financialStatus(%d, %v) = %s, want %s", tt.docstatus, tt.billed, got, tt.want)
		}
	}
	ful := []struct {
		delivered float64
		want      orderbot.FulfillmentStatus
	}{
		{0, orderbot.FulfillmentUnfulfilled},
		{0.5, orderbot.FulfillmentPartial},
		{66.67, orderbot.FulfillmentPartial},
		{100, orderbot.FulfillmentFulfilled},
		{100.0000001, orderbot.FulfillmentFulfilled},
	}
	for _, tt := range ful {
		if got := fulfillmentStatus(tt.delivered); got != tt.want {
			t.Errorf("fulfillmentStatus(%v) = %s, want %s", tt.delivered, got, tt.want)
		}
	}
}

func TestDecodeErrorEnvelopes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"v1 server messages", 404,
			`{"exc_type":"DoesNotExistError","_server_messages":"[\"{\\\"message\\\": \\\"Sales Order X not found\\\"}\"]"}`,
			"DoesNotExistError: Sales Order X not found"},
		{"html in message", 417,
			`{"exc_type":"ValidationError","_server_messages":"[\"{\\\"message\\\": \\\"Row <b>1</b>: Item &amp; qty required\\\"}\"]"}`,
			"ValidationError: Row 1 : Item & qty required"},
		{"two messages", 417,
			`{"exc_type":"ValidationError","_server_messages":"[\"{\\\"message\\\": \\\"a\\\"}\", \"{\\\"message\\\": \\\"b\\\"}\"]"}`,
			"ValidationError: a; b"},
		{"exception line only", 500,
			`{"exc_type":"OperationalError","exception":"pymysql.err.OperationalError: (2013, 'Lost connection')","exc":"[\"Traceback ... secret stuff\"]"}`,
			"OperationalError: (2013, 'Lost connection')"},
		{"message field", 403, `{"message":"Not permitted"}`, "Not permitted"},
		{"v2 errors", 404, `{"errors":[{"type":"DoesNotExistError","exception":"x","message":"Bin B not found"}]}`,
			"DoesNotExistError: Bin B not found"},
		{"plain text 429", 429, "Too Many Requests", "Too Many Requests"},
		{"html page", 502, "<html><body>Bad Gateway</body></html>", "Bad Gateway"},
		{"empty", 503, "", "Service Unavailable"},
		{"exc_type only", 401, `{"exc_type":"AuthenticationError"}`, "AuthenticationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeError(tt.status, http.Header{}, []byte(tt.body)); got != tt.want {
				t.Errorf("decodeError = %q, want %q", got, tt.want)
			}
		})
	}
	long := `{"exc_type":"ValidationError","message":"` + strings.Repeat("x", 1000) + `"}`
	if got := decodeError(417, nil, []byte(long)); len(got) > maxErrorText+40 {
		t.Errorf("message not bounded: %d bytes", len(got))
	}
}

func testClient(t *testing.T, logs *bytes.Buffer) *Client {
	t.Helper()
	c, err := New(Options{
		Settings: httpclient.Settings{APIURL: "https://erp.example.com", Logger: slog.New(slog.NewTextHandler(logs, nil))},
		APIKey:   "k", APISecret: "s", TimeZone: "Asia/Shanghai",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestToOrderFieldErrors(t *testing.T) {
	c := testClient(t, &bytes.Buffer{})
	base := func() salesOrder {
		return salesOrder{Name: "SO-1", DocStatus: 1, Status: "To Deliver and Bill", Currency: "CNY",
			Creation: "2024-05-01 10:00:00", Modified: "2024-05-01 10:00:00.5", DeliveryDate: "2024-05-03",
			Items: []salesOrderItem{{ItemCode: "A", Qty: 2}}}
	}
	tests := []struct {
		name  string
		edit  func(*salesOrder)
		field string
	}{
		{"bad modified", func(s *salesOrder) { s.Modified = "01/05/2024" }, `"data.modified"`},
		{"bad creation", func(s *salesOrder) { s.Creation = "yesterday" }, `"data.creation"`},
		{"bad delivery date", func(s *salesOrder) { s.DeliveryDate = "2024-5-3x" }, `"data.delivery_date"`},
		{"empty item code", func(s *salesOrder) { s.Items[0].ItemCode = "" }, `"data.items[0].item_code"`},
		{"empty name", func(s *salesOrder) { s.Name = "" }, `"data.name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so := base()
			tt.edit(&so)
			_, err := c.toOrder("erpnext.test", "data", &so)
			if !orderbot.IsKind(err, orderbot.KindPermanent) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want a permanent error naming %s", err, tt.field)
			}
		})
	}
	so := base()
	o, err := c.toOrder("erpnext.test", "data", &so)
	if err != nil {
		t.Fatal(err)
	}
	sh := time.FixedZone("CST", 8*3600)
	if want := time.Date(2024, 5, 1, 10, 0, 0, 5e8, sh); !o.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %v, want %v (site time zone)", o.UpdatedAt, want)
	}
	if want := time.Date(2024, 5, 4, 0, 0, 0, 0, sh); !o.ShipBy.Equal(want) {
		t.Errorf("ShipBy = %v, want end of delivery date %v", o.ShipBy, want)
	}
}

func TestUnknownStatusIsLogged(t *testing.T) {
	var logs bytes.Buffer
	c := testClient(t, &logs)
	so := salesOrder{Name: "SO-9", DocStatus: 1, Status: "Partially Shipped", Modified: "2024-05-01 10:00:00"}
	o, err := c.toOrder("erpnext.test", "data", &so)
	if err != nil || o.Status != orderbot.OrderProcessing {
		t.Fatalf("toOrder = %v, %v", o.Status, err)
	}
	if !strings.Contains(logs.String(), "Partially Shipped") {
		t.Errorf("unknown status not logged: %q", logs.String())
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no key", Options{Settings: httpclient.Settings{APIURL: "https://x"}, APISecret: "s"}},
		{"no secret", Options{Settings: httpclient.Settings{APIURL: "https://x"}, APIKey: "k"}},
		{"colon in key", Options{Settings: httpclient.Settings{APIURL: "https://x"}, APIKey: "k:x", APISecret: "s"}},
		{"bad url", Options{Settings: httpclient.Settings{APIURL: "erp.example.com"}, APIKey: "k", APISecret: "s"}},
		{"bad zone", Options{Settings: httpclient.Settings{APIURL: "https://x"}, APIKey: "k", APISecret: "s", TimeZone: "Mars/Base"}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); !orderbot.IsKind(err, orderbot.KindInvalid) {
			t.Errorf("%s: err = %v, want KindInvalid", tt.name, err)
		}
	}
	c, err := New(Options{Settings: httpclient.Settings{APIURL: "https://x/"}, APIKey: "k", APISecret: "s", PageSize: 5000})
	if err != nil || c.Name() != DefaultName || c.pageSize != MaxPageSize || c.Side() != orderbot.SideERP {
		t.Fatalf("defaults: %v %+v", err, c)
	}
}
