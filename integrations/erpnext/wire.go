package erpnext

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Doctype names as the API spells them; url.PathEscape turns the space into %20.
const (
	doctypeSalesOrder = "Sales Order"
	doctypeBin        = "Bin"
)

// listEnvelope is the body of GET /api/resource/{doctype}.
type listEnvelope[T any] struct {
	Data []T `json:"data"`
}

// docEnvelope is the body of GET /api/resource/{doctype}/{name}.
type docEnvelope[T any] struct {
	Data T `json:"data"`
}

// listRow is what the lister itself needs from every row: the keyset.
type listRow struct {
	Name     string `json:"name"`
	Modified string `json:"modified"`
}

// salesOrder is a Sales Order document. Numbers are JSON numbers (floats);
// Frappe sends null for empty Data/Link fields, which leaves the zero value.
type salesOrder struct {
	Name           string           `json:"name"`
	CustomerName   string           `json:"customer_name"`
	ContactMobile  string           `json:"contact_mobile"`
	ContactPhone   string           `json:"contact_phone"`
	ContactEmail   string           `json:"contact_email"`
	DeliveryDate   string           `json:"delivery_date"`
	Status         string           `json:"status"`
	DocStatus      int              `json:"docstatus"`
	GrandTotal     float64          `json:"grand_total"`
	Currency       string           `json:"currency"`
	PerDelivered   float64          `json:"per_delivered"`
	PerBilled      float64          `json:"per_billed"`
	DeliveryStatus string           `json:"delivery_status"`
	Creation       string           `json:"creation"`
	Modified       string           `json:"modified"`
	Items          []salesOrderItem `json:"items"`
	PoNo           string           `json:"po_no"`
	Company        string           `json:"company"`
	// Fields are the values of custom link fields (see Options.Links).
	Fields map[string]string `json:"-"`
}

// salesOrderItem is one row of the Sales Order "items" child table.
type salesOrderItem struct {
	ItemCode     string  `json:"item_code"`
	ItemName     string  `json:"item_name"`
	Qty          float64 `json:"qty"`
	DeliveredQty float64 `json:"delivered_qty"`
	Rate         float64 `json:"rate"`
}

// bin is one Bin row: the stock of one item in one warehouse.
type bin struct {
	Name         string  `json:"name"`
	ItemCode     string  `json:"item_code"`
	Warehouse    string  `json:"warehouse"`
	ActualQty    float64 `json:"actual_qty"`
	ReservedQty  float64 `json:"reserved_qty"`
	ProjectedQty float64 `json:"projected_qty"`
	Modified     string  `json:"modified"`
}

// binFields are the Bin columns the adapter asks for.
var binFields = []string{"name", "item_code", "warehouse", "actual_qty", "reserved_qty", "projected_qty", "modified"}

// orderListFields are the Sales Order columns of a list page: only the keyset,
// because the list endpoint never returns the items child table and every order
// is read in full anyway.
var orderListFields = []string{"name", "modified"}

// Frappe datetimes are "YYYY-MM-DD HH:MM:SS[.ffffff]" in the site's time zone
// without an offset (Python's str(datetime) drops ".000000"). Go accepts the
// optional fraction when parsing with the seconds-only layout.
const (
	datetimeLayout      = "2006-01-02 15:04:05"
	datetimeMicroLayout = "2006-01-02 15:04:05.000000"
	dateLayout          = "2006-01-02"
)

func parseDatetime(s string, loc *time.Location) (time.Time, error) {
	return time.ParseInLocation(datetimeLayout, s, loc)
}

func formatDatetime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(datetimeMicroLayout)
}

// frappeError is the union of the v1 and v2 error envelopes.
type frappeError struct {
	ExcType        string          `json:"exc_type"`
	Exception      string          `json:"exception"`
	ServerMessages string          `json:"_server_messages"`
	Message        json.RawMessage `json:"message"`
	Errors         []struct {
		Type      string `json:"type"`
		Exception string `json:"exception"`
		Message   string `json:"message"`
	} `json:"errors"`
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// maxErrorText bounds a provider message copied into an error.
const maxErrorText = 300

// cleanText turns a Frappe message (often HTML, e.g. "<b>SO-1</b> not found")
// into one plain bounded line.
func cleanText(s string) string {
	s = html.UnescapeString(tagRE.ReplaceAllString(s, " "))
	s = strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "") + "…"
	}
	return s
}

// serverMessages decodes _server_messages: a JSON string holding a JSON list
// whose items are themselves JSON-encoded message objects (or plain strings).
func serverMessages(raw string) []string {
	var items []string
	if json.Unmarshal([]byte(raw), &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal([]byte(it), &m) == nil && m.Message != "" {
			out = append(out, m.Message)
			continue
		}
		var s string
		if json.Unmarshal([]byte(it), &s) == nil && s != "" {
			out = append(out, s)
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(it), "{") {
			out = append(out, it)
		}
	}
	return out
}

// decodeError extracts a plain message from a Frappe error answer: the exception
// class plus the user-facing server messages, falling back to the exception line,
// the "message" field, the v2 errors list or a short plain-text body ("Too Many
// Requests"). Tracebacks ("exc") are never copied.
func decodeError(status int, _ http.Header, body []byte) string {
	var e frappeError
	if json.Unmarshal(body, &e) != nil {
		text := strings.TrimSpace(string(body))
		if text == "" || strings.HasPrefix(text, "<") || strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") {
			return http.StatusText(status)
		}
		return cleanText(text)
	}
	var msgs []string
	msgs = append(msgs, serverMessages(e.ServerMessages)...)
	if len(msgs) == 0 && len(e.Message) > 0 {
		var s string
		if json.Unmarshal(e.Message, &s) == nil && s != "" {
			msgs = append(msgs, s)
		}
	}
	if len(msgs) == 0 && e.Exception != "" {
		// "frappe.exceptions.ValidationError: Item code is required" → keep the text.
		ex := e.Exception
		if _, after, ok := strings.Cut(ex, ": "); ok {
			ex = after
		}
		msgs = append(msgs, ex)
	}
	typ := e.ExcType
	for _, v2 := range e.Errors {
		if typ == "" {
			typ = v2.Type
		}
		if v2.Message != "" {
			msgs = append(msgs, v2.Message)
		}
	}
	text := cleanText(strings.Join(msgs, "; "))
	switch {
	case typ != "" && text != "":
		return typ + ": " + text
	case typ != "":
		return typ
	case text != "":
		return text
	}
	return http.StatusText(status)
}

// fieldError reports a value the JSON decoder accepted but the adapter cannot
// read (a datetime in the wrong format), naming the field like DecodeJSON does.
func fieldError(path, what, value string) string {
	if len(value) > 40 {
		value = value[:40] + "…"
	}
	return fmt.Sprintf("field %q: %q is not a %s", path, value, what)
}
