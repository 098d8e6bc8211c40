package erpnextfake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Options configure a Server.
type Options struct {
	// APIKey and APISecret are the credentials the server accepts, as
	// "Authorization: token key:secret". Defaults "fake-key" and "fake-secret".
	APIKey    string
	APISecret string
	// Location is the site time zone every datetime is written in; default UTC.
	Location *time.Location
	// Company names the company of rendered documents (and the default
	// warehouse "Stores - <Company>"); default "OB".
	Company string
	// Now is the server clock, used for records stored without a modified time
	// and to stamp the request log; default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log (oldest entries are dropped); default
	// providerfake.DefaultLogLimit.
	LogLimit int
	// CustomFields are the custom fields the site added to Sales Order
	// (Frappe names them "custom_…", e.g. "custom_shopify_order_id"): columns
	// of lists and filters, and keys of every document, null where empty.
	CustomFields []string
}

// Server is a fake ERPNext site. Create it with New and Close it when done.
// Fault injection and the request log come from the embedded
// providerfake.Server.
type Server struct {
	*providerfake.Server
	opts Options

	mu      sync.Mutex
	orders  *table
	bins    *table
	domain  map[string]orderbot.Order
	binName map[string]string // SKU "\x00" warehouse → Bin name
	binSeq  int
}

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = "fake-key"
	}
	if opts.APISecret == "" {
		opts.APISecret = "fake-secret"
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Company == "" {
		opts.Company = "OB"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:    opts,
		orders:  newTable(append(slices.Clone(salesOrderColumns), opts.CustomFields...)),
		bins:    newTable(binColumns),
		domain:  make(map[string]orderbot.Order),
		binName: make(map[string]string),
	}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:        s.gate,
		Serve:       s.route,
		RateLimited: rateLimited,
		ServerError: serverError,
		LogLimit:    opts.LogLimit,
		Now:         opts.Now,
	})
	return s
}

// APIKey returns the accepted API key.
func (s *Server) APIKey() string { return s.opts.APIKey }

// APISecret returns the accepted API secret.
func (s *Server) APISecret() string { return s.opts.APISecret }

// AddOrders stores orders as Sales Orders (replacing those with the same ID).
// UpdatedAt is the document's modified time; a zero one is set to the server
// clock. Only the fields a Sales Order carries survive: see the adapter's
// mapping. An order without an ID is a KindInvalid error and nothing is
// stored.
func (s *Server) AddOrders(orders ...orderbot.Order) error {
	docs := make([]SalesOrder, len(orders))
	for i, o := range orders {
		docs[i].Order = o
	}
	return s.AddSalesOrders(docs...)
}

// SalesOrder is a Sales Order to store: the order as the ERP holds it (ID is
// the document name, e.g. "SAL-ORD-2026-00001") and the fields a shop
// integration fills to link it to the shop's order.
type SalesOrder struct {
	Order orderbot.Order
	// PoNo is "Customer's Purchase Order" (po_no), which integrations often
	// fill with the shop's order name ("#1001").
	PoNo string
	// Custom are values of custom fields declared in Options.CustomFields,
	// such as custom_shopify_order_id holding the shop's order id.
	Custom map[string]string
	// Company is the document's company; empty is Options.Company. List
	// filters such as [["company","=","X"]] match it like any column.
	Company string
}

// AddSalesOrders stores Sales Orders with their link fields (replacing those
// with the same name). A document without a name or with a custom field the
// site does not declare is a KindInvalid error and nothing is stored.
func (s *Server) AddSalesOrders(docs ...SalesOrder) error {
	for _, d := range docs {
		if d.Order.ID == "" {
			return orderbot.Errorf(orderbot.KindInvalid, "erpnextfake.add_orders", "an order needs an ID")
		}
		for f := range d.Custom {
			if !slices.Contains(s.opts.CustomFields, f) {
				return orderbot.Errorf(orderbot.KindInvalid, "erpnextfake.add_orders", "Sales Order has no custom field %q", f)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		o := d.Order
		if o.UpdatedAt.IsZero() {
			o.UpdatedAt = s.opts.Now()
		}
		o.Lines = slices.Clone(o.Lines)
		o.Shipments = slices.Clone(o.Shipments)
		so := renderOrder(&o, s.opts.Location, cmp.Or(d.Company, s.opts.Company))
		so.PoNo = strPtr(d.PoNo)
		if len(s.opts.CustomFields) > 0 {
			so.Custom = make(map[string]*string, len(s.opts.CustomFields))
			for _, f := range s.opts.CustomFields {
				so.Custom[f] = strPtr(d.Custom[f])
			}
		}
		s.domain[o.ID] = o
		s.orders.put(&entry{name: o.ID, modified: truncMicro(o.UpdatedAt), doc: &so, full: &so})
	}
	return nil
}

// Order returns a stored order.
func (s *Server) Order(id string) (orderbot.Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.domain[id]
	return o, ok
}

// DeleteOrder removes a Sales Order; it reports whether it existed.
func (s *Server) DeleteOrder(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.domain, id)
	return s.orders.remove(id)
}

// SetStock stores ERP stock levels as Bins, one per SKU and Location (an empty
// Location is the default warehouse). Available is actual_qty, Reserved
// reserved_qty, Projected projected_qty; UpdatedAt is modified (zero = now).
// A level without a SKU is a KindInvalid error and nothing is stored.
func (s *Server) SetStock(levels ...orderbot.StockLevel) error {
	for _, l := range levels {
		if l.SKU == "" {
			return orderbot.Errorf(orderbot.KindInvalid, "erpnextfake.set_stock", "a stock level needs a SKU")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range levels {
		if l.Location == "" {
			l.Location = "Stores - " + s.opts.Company
		}
		if l.UpdatedAt.IsZero() {
			l.UpdatedAt = s.opts.Now()
		}
		key := l.SKU + "\x00" + l.Location
		name, ok := s.binName[key]
		created := l.UpdatedAt
		if ok {
			if old, found := s.bins.byName[name]; found {
				created, _ = parseTime(old.doc.(*binDoc).Creation, s.opts.Location)
			}
		} else {
			s.binSeq++
			name = fmt.Sprintf("MAT-BIN-%04d-%05d", l.UpdatedAt.In(s.opts.Location).Year(), s.binSeq)
			s.binName[key] = name
		}
		b := renderBin(name, &l, created, s.opts.Location)
		s.bins.put(&entry{name: name, modified: truncMicro(l.UpdatedAt), doc: &b, full: &b})
	}
	return nil
}

// BinName returns the Bin name of a SKU at a warehouse, for assertions.
func (s *Server) BinName(sku, warehouse string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.binName[sku+"\x00"+warehouse]
	return n, ok
}

func truncMicro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// rateLimited answers a RateLimited fault as Frappe's rate limiter does: a
// plain-text 429 with Retry-After and X-RateLimit-* headers.
func rateLimited(f providerfake.Fault) providerfake.Response {
	secs := providerfake.Seconds(f.RetryAfterOr(time.Second))
	resp := providerfake.Text(http.StatusTooManyRequests, "Too Many Requests")
	resp.Header.Set("Retry-After", secs)
	resp.Header.Set("X-Ratelimit-Limit", "60")
	resp.Header.Set("X-Ratelimit-Remaining", "0")
	resp.Header.Set("X-Ratelimit-Reset", secs)
	return resp
}

// serverError answers a ServerError fault with a Frappe exception envelope.
func serverError(providerfake.Fault) providerfake.Response {
	return providerfake.JSON(http.StatusInternalServerError, map[string]any{
		"exception": "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')",
		"exc_type":  "OperationalError",
		"exc":       `["Traceback (most recent call last):\n  File \"apps/frappe/frappe/app.py\", line 95, in application\npymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')\n"]`,
	})
}

// frappeError renders a v1 error: exc_type plus _server_messages, a JSON string
// of a list of JSON-encoded message objects.
func frappeError(status int, excType, message string) providerfake.Response {
	msg, _ := json.Marshal(map[string]any{"message": message, "title": "Message", "indicator": "red", "raise_exception": 1})
	list, _ := json.Marshal([]string{string(msg)})
	return providerfake.JSON(status, map[string]any{
		"exc_type":         excType,
		"exception":        "frappe.exceptions." + excType + ": " + message,
		"_server_messages": string(list),
	})
}

// gate refuses requests Frappe would not serve: bad credentials (checked
// exactly) and methods other than GET.
func (s *Server) gate(r *http.Request, _ http.Header) *providerfake.Response {
	var refusal providerfake.Response
	switch {
	case r.Header.Get("Authorization") != "token "+s.opts.APIKey+":"+s.opts.APISecret:
		refusal = frappeError(http.StatusUnauthorized, "AuthenticationError", "Invalid API key or secret")
	case r.Method != http.MethodGet:
		refusal = frappeError(http.StatusForbidden, "PermissionError", "Not permitted")
	default:
		return nil
	}
	return &refusal
}

// route answers the resource API. A WrongType fault corrupts "modified" of
// list rows and "grand_total" of a single document unless it names a field.
func (s *Server) route(r *http.Request) providerfake.Response {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/resource/")
	if !ok {
		return frappeError(http.StatusNotFound, "DoesNotExistError", "Page not found")
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return frappeError(http.StatusNotFound, "DoesNotExistError", "Page not found")
		}
		parts[i] = u
	}
	var t *table
	switch parts[0] {
	case "Sales Order":
		t = s.orders
	case "Bin":
		t = s.bins
	default:
		return frappeError(http.StatusNotFound, "DoesNotExistError", "DocType "+parts[0]+" not found")
	}
	switch len(parts) {
	case 1:
		return s.list(r, t)
	case 2:
		s.mu.Lock()
		e, ok := t.byName[parts[1]]
		s.mu.Unlock()
		if !ok {
			return frappeError(http.StatusNotFound, "DoesNotExistError", parts[0]+" "+parts[1]+" not found")
		}
		// Stored documents are never mutated in place (a put replaces the
		// pointer), so rendering outside the lock is safe.
		resp := providerfake.JSON(http.StatusOK, map[string]any{"data": e.full})
		resp.WrongTypeField = "grand_total"
		return resp
	}
	return frappeError(http.StatusNotFound, "DoesNotExistError", "Page not found")
}

func (s *Server) list(r *http.Request, t *table) providerfake.Response {
	lq, err := parseListQuery(t, r.URL.Query())
	if err == nil {
		var rows []*entry
		s.mu.Lock()
		rows, err = t.run(&lq, s.opts.Location)
		s.mu.Unlock()
		if err == nil {
			return providerfake.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: rowsJSON(rows, lq.fields), WrongTypeField: "modified"}
		}
	}
	var qe *queryError
	if errors.As(err, &qe) {
		return frappeError(http.StatusExpectationFailed, "ValidationError", qe.msg)
	}
	return frappeError(http.StatusInternalServerError, "Exception", "internal error")
}

func parseListQuery(t *table, q url.Values) (listQuery, error) {
	var (
		lq  listQuery
		err error
	)
	if lq.fields, err = parseFields(t, q.Get("fields")); err != nil {
		return lq, err
	}
	if lq.conds, err = parseFilters(t, q.Get("filters")); err != nil {
		return lq, err
	}
	if lq.ors, err = parseFilters(t, q.Get("or_filters")); err != nil {
		return lq, err
	}
	if lq.order, err = parseOrder(t, q.Get("order_by")); err != nil {
		return lq, err
	}
	if lq.start, err = parseInt(q.Get("limit_start"), 0); err != nil {
		return lq, err
	}
	length := q.Get("limit_page_length")
	if length == "" {
		length = q.Get("limit") // alias in current Frappe
	}
	lq.length, err = parseInt(length, 20)
	return lq, err
}
