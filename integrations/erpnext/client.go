package erpnext

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// Operation names, used in errors, logs and metrics.
const (
	opListOrders = "erpnext.list_orders"
	opGetOrder   = "erpnext.get_order"
	opListStock  = "erpnext.list_stock"
)

const (
	// DefaultName is the source name when Options.Name is empty.
	DefaultName = "erpnext"
	// DefaultPageSize is limit_page_length when Options.PageSize is zero.
	DefaultPageSize = 100
	// MaxPageSize caps Options.PageSize: bigger pages only make slow requests.
	MaxPageSize = 1000
	// DefaultConcurrency is how many Sales Orders are read in parallel.
	DefaultConcurrency = 4
)

// Options configure a Client. Credentials are plain strings: the caller (config
// wiring) resolves secrets; this package never reads configuration itself.
type Options struct {
	// Settings are the options every adapter shares: Name (default "erpnext") is
	// Order.Source and StockLevel.Source; APIURL is the site URL, e.g.
	// "https://erp.example.com" (paths /api/resource/... are joined to it), and
	// required; RateLimit 0 means none.
	httpclient.Settings

	// APIKey and APISecret are the API user's key pair, sent as
	// "Authorization: token key:secret". Required.
	APIKey    string
	APISecret string
	// TimeZone is the site's IANA time zone: Frappe datetimes carry no offset.
	// Default UTC.
	TimeZone string
	// Warehouses restricts ListStock to these warehouses; empty means all.
	Warehouses []string
	// Company restricts Sales Orders to this company (filter company = X);
	// empty means all. Bin has no company field, so stock is limited by
	// Warehouses only.
	Company string
	// PageSize is limit_page_length of list requests; default 100, at most 1000.
	PageSize int
	// Concurrency is how many Sales Orders of one page are fetched in parallel
	// (the list endpoint has no child tables, so each order is read in full).
	// Default 4.
	Concurrency int

	// Links, when set, make the Sales Orders an ERP's view of shop orders
	// (ListERPOrders): each names the field holding a shop's order id or
	// name. A Sales Order links through the first link whose field is set.
	Links []orderbot.OrderLink
}

// Client reads Sales Orders and Bins from one ERPNext site. It implements
// orderbot.OrderSource and orderbot.InventorySource (ERP side) and is safe for
// concurrent use.
type Client struct {
	name        string
	siteURL     string
	http        *httpclient.Client
	loc         *time.Location
	warehouses  []string
	company     string
	pageSize    int
	concurrency int
	links       []orderbot.OrderLink
	log         *slog.Logger
}

var (
	_ orderbot.OrderSource     = (*Client)(nil)
	_ orderbot.InventorySource = (*Client)(nil)
)

// New validates opts and builds a Client. Bad options are KindInvalid errors.
func New(opts Options) (*Client, error) {
	const op = "erpnext.new"
	if opts.APIKey == "" || opts.APISecret == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "api key and api secret are required")
	}
	if strings.ContainsAny(opts.APIKey, ": \t\r\n") || strings.ContainsAny(opts.APISecret, " \t\r\n") {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "api key or secret contains a separator or whitespace")
	}
	u, err := url.Parse(opts.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "api_url must be an http(s) site URL")
	}
	loc := time.UTC
	if opts.TimeZone != "" {
		if loc, err = time.LoadLocation(opts.TimeZone); err != nil {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "unknown time zone %q", opts.TimeZone)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Fill(DefaultName, "", 0)
	c := &Client{
		name:        opts.Name,
		siteURL:     strings.TrimRight(opts.APIURL, "/"),
		loc:         loc,
		warehouses:  slices.Clone(opts.Warehouses),
		company:     opts.Company,
		pageSize:    opts.PageSize,
		concurrency: opts.Concurrency,
		links:       slices.Clone(opts.Links),
		log:         opts.Logger,
	}
	for _, l := range c.links {
		if l.Field == "" || (l.Holds != orderbot.LinkID && l.Holds != orderbot.LinkName) || l.Shop == "" {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "order link %+v needs a shop, a field and holds id or name", l)
		}
	}
	switch {
	case c.pageSize <= 0:
		c.pageSize = DefaultPageSize
	case c.pageSize > MaxPageSize:
		c.pageSize = MaxPageSize
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
	token := opts.APIKey + ":" + opts.APISecret
	hopts := httpclient.Options{
		BaseURL: c.siteURL,
		// The key alone is an identifier, but scrubbing it costs nothing and
		// keeps half a credential out of logs.
		Secrets:     []string{opts.APIKey, opts.APISecret, token},
		Header:      http.Header{"Authorization": {"token " + token}, "Accept": {"application/json"}},
		DecodeError: decodeError,
		Logger:      c.log.With("source", c.name),
	}
	if c.http, err = opts.NewClient("erpnext", hopts); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns the configured source name.
func (c *Client) Name() string { return c.name }

// Side reports that ERPNext stock is the ERP's view.
func (c *Client) Side() orderbot.StockSide { return orderbot.SideERP }

// ListOrders lists Sales Orders modified in w, oldest first, page by page. Each
// order is read in full (items included). An order deleted between the list and
// the read is skipped.
func (c *Client) ListOrders(ctx context.Context, w orderbot.Window, page func([]orderbot.Order) error) error {
	return listSalesOrders(ctx, c, w, func(so *salesOrder) (orderbot.Order, string, time.Time, bool, error) {
		o, err := c.toOrder(opListOrders, "data", so)
		return o, o.ID, o.UpdatedAt, err == nil, err
	}, page)
}

// listSalesOrders lists the Sales Orders modified in w, oldest first, reads
// each in full and hands the mapped documents over page by page; conv maps
// one and says whether to keep it. A document listed again (modified while
// paging) is read and delivered again only when newer.
func listSalesOrders[T any](ctx context.Context, c *Client, w orderbot.Window, conv func(*salesOrder) (T, string, time.Time, bool, error), page func([]T) error) error {
	if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
		return nil
	}
	seen := newSeenSet()
	q := listQuery{op: opListOrders, doctype: doctypeSalesOrder, fields: orderListFields, from: w.From, to: w.To}
	if c.company != "" {
		q.filters = append(q.filters, []any{"company", "=", c.company})
	}
	return listRows(ctx, c, q, func(r *listRow) (string, string) { return r.Name, r.Modified }, func(rows []listRow, at []time.Time) error {
		// A row already delivered at this or a newer version is not read again.
		want := make([]string, 0, len(rows))
		for i, r := range rows {
			if seen.newer(r.Name, at[i]) {
				want = append(want, r.Name)
			}
		}
		docs, err := c.fetchOrders(ctx, want)
		if err != nil {
			return err
		}
		out := make([]T, 0, len(docs))
		for _, so := range docs {
			if so == nil {
				continue
			}
			v, name, modified, keep, err := conv(so)
			if err != nil {
				return err
			}
			if seen.keep(name, modified) && keep {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return page(out)
	})
}

// GetOrder reads one Sales Order by name; a missing one is KindNotFound.
func (c *Client) GetOrder(ctx context.Context, id string) (orderbot.Order, error) {
	if strings.TrimSpace(id) == "" {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindInvalid, opGetOrder, "empty order id")
	}
	so, err := c.getSalesOrder(ctx, opGetOrder, id)
	if err != nil {
		return orderbot.Order{}, err
	}
	if c.company != "" && so.Company != c.company {
		// Another company's order is not this source's, as the list filter
		// would have it.
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindNotFound, opGetOrder, "Sales Order %s belongs to another company", id)
	}
	return c.toOrder(opGetOrder, "data", so)
}

// ListStock lists Bins modified at or after since (all when zero), restricted to
// the configured warehouses, oldest first.
func (c *Client) ListStock(ctx context.Context, since time.Time, page func([]orderbot.StockLevel) error) error {
	q := listQuery{op: opListStock, doctype: doctypeBin, fields: binFields, from: since}
	if len(c.warehouses) > 0 {
		q.filters = append(q.filters, []any{"warehouse", "in", c.warehouses})
	}
	seen := newSeenSet()
	return listRows(ctx, c, q, func(b *bin) (string, string) { return b.Name, b.Modified }, func(rows []bin, _ []time.Time) error {
		levels := make([]orderbot.StockLevel, 0, len(rows))
		for i := range rows {
			l, err := c.toStock(opListStock, "data["+strconv.Itoa(i)+"]", &rows[i])
			if err != nil {
				return err
			}
			if seen.keep(rows[i].Name, l.UpdatedAt) {
				levels = append(levels, l)
			}
		}
		if len(levels) == 0 {
			return nil
		}
		return page(levels)
	})
}

// resourcePath is /api/resource/{doctype}[/{name}], each part escaped: doctypes
// contain spaces and names may contain slashes.
func resourcePath(doctype string, name ...string) string {
	p := "/api/resource/" + url.PathEscape(doctype)
	for _, n := range name {
		p += "/" + url.PathEscape(n)
	}
	return p
}

func (c *Client) getSalesOrder(ctx context.Context, op, name string) (*salesOrder, error) {
	resp, err := c.http.Do(ctx, httpclient.Request{Op: op, Path: resourcePath(doctypeSalesOrder, name)})
	if err != nil {
		return nil, err
	}
	var env docEnvelope[salesOrder]
	if err := httpclient.DecodeJSON(op, resp.Body, &env); err != nil {
		return nil, err
	}
	if c.customLinks() {
		// Link fields other than po_no are the site's own (custom_…): read
		// them from the document as sent.
		var raw docEnvelope[map[string]any]
		if err := httpclient.DecodeJSON(op, resp.Body, &raw); err != nil {
			return nil, err
		}
		env.Data.Fields = make(map[string]string, len(c.links))
		for _, l := range c.links {
			switch v := raw.Data[l.Field].(type) {
			case string:
				env.Data.Fields[l.Field] = v
			case float64: // an Int or Data field holding a number
				env.Data.Fields[l.Field] = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	}
	if env.Data.Name == "" {
		return nil, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: missing document", "data")
	}
	return &env.Data, nil
}

// fetchOrders reads the named Sales Orders with bounded parallelism and returns
// them in the given order; a document deleted since it was listed is nil.
func (c *Client) fetchOrders(ctx context.Context, names []string) ([]*salesOrder, error) {
	out := make([]*salesOrder, len(names))
	if len(names) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, c.concurrency)
loop:
	for i, name := range names {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			so, err := c.getSalesOrder(ctx, opListOrders, name)
			switch {
			case err == nil:
				out[i] = so
			case orderbot.IsKind(err, orderbot.KindNotFound):
				c.log.Debug("erpnext: listed Sales Order no longer exists", "source", c.name, "order", name)
			default:
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		// The caller's context ended before every document was read.
		return nil, orderbot.Wrap(orderbot.KindTransient, opListOrders, context.Cause(ctx), "listing interrupted")
	}
	return out, nil
}

// seenSet remembers the newest version of each document delivered by one
// listing, so a document modified while paging (and therefore listed again) is
// delivered again only when newer.
type seenSet struct{ m map[string]time.Time }

func newSeenSet() *seenSet { return &seenSet{m: make(map[string]time.Time)} }

// newer reports whether name at modified would be newer than what was delivered.
func (s *seenSet) newer(name string, modified time.Time) bool {
	t, ok := s.m[name]
	return !ok || modified.After(t)
}

// keep records name at modified and reports whether it is newer than before.
func (s *seenSet) keep(name string, modified time.Time) bool {
	if !s.newer(name, modified) {
		return false
	}
	s.m[name] = modified
	return true
}

// listQuery is one incremental listing of a doctype.
type listQuery struct {
	op       string
	doctype  string
	fields   []string
	filters  [][]any // besides the modified window
	from, to time.Time
}

// listRows pages through q by keyset on (modified, name): each request asks for
// rows modified at or after the last modified value read, ordered by modified
// then name, with limit_start skipping the rows already read at exactly that
// value. page receives each non-empty page with its parsed modified times.
func listRows[T any](ctx context.Context, c *Client, q listQuery, key func(*T) (name, modified string), page func([]T, []time.Time) error) error {
	var (
		cursor   string    // modified of the last row read, exactly as the server wrote it
		cursorAt time.Time // the same, parsed
		ties     int       // rows read whose modified equals cursor
		tieNames = map[string]bool{}
	)
	fields, err := marshalQuery(q.fields)
	if err != nil {
		return orderbot.Wrap(orderbot.KindInvalid, q.op, err, "encoding fields")
	}
	for {
		filters := slices.Clone(q.filters)
		if !q.from.IsZero() {
			filters = append(filters, []any{"modified", ">=", formatDatetime(q.from, c.loc)})
		}
		if !q.to.IsZero() {
			filters = append(filters, []any{"modified", "<", formatDatetime(q.to, c.loc)})
		}
		if cursor != "" {
			filters = append(filters, []any{"modified", ">=", cursor})
		}
		query := url.Values{
			"fields":            {fields},
			"order_by":          {"modified asc, name asc"},
			"limit_start":       {strconv.Itoa(ties)},
			"limit_page_length": {strconv.Itoa(c.pageSize)},
		}
		if len(filters) > 0 {
			fb, err := marshalQuery(filters)
			if err != nil {
				return orderbot.Wrap(orderbot.KindInvalid, q.op, err, "encoding filters")
			}
			query.Set("filters", fb)
		}
		resp, err := c.http.Do(ctx, httpclient.Request{Op: q.op, Path: resourcePath(q.doctype), Query: query})
		if err != nil {
			return err
		}
		var env listEnvelope[T]
		if err := httpclient.DecodeJSON(q.op, resp.Body, &env); err != nil {
			return err
		}
		rows := env.Data
		if len(rows) == 0 {
			return nil
		}
		at := make([]time.Time, len(rows))
		for i := range rows {
			name, mod := key(&rows[i])
			path := "data[" + strconv.Itoa(i) + "]"
			if name == "" {
				return orderbot.Errorf(orderbot.KindPermanent, q.op, "field %q: empty document name", path+".name")
			}
			if at[i], err = parseDatetime(mod, c.loc); err != nil {
				return orderbot.Errorf(orderbot.KindPermanent, q.op, "%s", fieldError(path+".modified", "Frappe datetime", mod))
			}
			// The keyset is only sound if the server sorted and filtered as asked.
			if (i > 0 && at[i].Before(at[i-1])) || (cursor != "" && at[i].Before(cursorAt)) {
				return orderbot.Errorf(orderbot.KindPermanent, q.op, "rows are not in modified order (row %d); cannot page safely", i)
			}
		}
		_, lastMod := key(&rows[len(rows)-1])
		last := at[len(at)-1]
		if cursor == "" || !last.Equal(cursorAt) {
			cursor, cursorAt, ties = lastMod, last, 0
			clear(tieNames)
		}
		for i := len(at) - 1; i >= 0 && at[i].Equal(last); i-- {
			name, _ := key(&rows[i])
			if tieNames[name] {
				// The server ignored limit_start (paging would never end), or a row
				// was inserted at exactly the cursor's microsecond; either way this
				// listing cannot go on, and a later poll starts afresh.
				return orderbot.Errorf(orderbot.KindTransient, q.op, "the server repeated row %q at the same offset; cannot page safely", name)
			}
			tieNames[name] = true
			ties++
		}
		if err := page(rows, at); err != nil {
			return err
		}
		if len(rows) < c.pageSize {
			return nil
		}
	}
}

// marshalQuery encodes a query parameter value as JSON without HTML escaping,
// so that operators read as "<" and ">=" in logs and on the wire.
func marshalQuery(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// CloseIdleConnections closes kept-alive connections, so that a stopped
// adapter leaves no connection goroutines behind.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
