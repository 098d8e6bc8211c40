package shopifyfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// DefaultAccessToken is the Admin API token a Server accepts unless
// Options.AccessToken says otherwise.
const DefaultAccessToken = "shpat_fake0123456789abcdef0123456789ab"

// Options configure a Server.
type Options struct {
	// AccessToken is the one accepted X-Shopify-Access-Token; default
	// DefaultAccessToken.
	AccessToken string
	// Timezone is the shop's zone, used to render times; default UTC.
	Timezone *time.Location
	// CallLimit is the leaky bucket's size; default 40.
	CallLimit int
	// LeakRate is the bucket's drain per second. Zero (the default) never
	// throttles, which is what benchmarks and the demo want; set 2 to behave
	// like a standard plan.
	LeakRate float64
	// Now is the clock the leaky bucket drains by and the request log is
	// stamped with; default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log (oldest dropped); default
	// providerfake.DefaultLogLimit.
	LogLimit int
}

// Server is a fake Shopify Admin REST API. It is safe for concurrent use.
// Fault injection and the request log come from the embedded
// providerfake.Server; a RateLimited fault sends Retry-After "2.0" unless
// Fault.RetryAfter says otherwise, as Shopify does.
type Server struct {
	*providerfake.Server
	opts Options
	seq  atomic.Int64

	bucketMu   sync.Mutex
	bucketUsed float64
	bucketAt   time.Time

	mu      sync.Mutex
	orders  map[int64]*storedOrder
	byName  map[string]int64
	dirty   bool
	sorted  []*storedOrder // by updated_at second, then id
	skus    map[string]*skuIDs
	skuList []*skuIDs // by product id
	locs    map[string]*storedLocation
	locList []*storedLocation // by id
	levels  map[levelKey]*storedLevel
	lvDirty bool
	lvList  []*storedLevel // by location id, then item id
}

type storedOrder struct {
	o       orderbot.Order
	id      int64
	updated int64 // Unix seconds: Shopify's precision, the sort key
	created int64
	enc     encodedOrder // the order on the wire, rendered when stored
}

type skuIDs struct {
	sku                          string
	productID, variantID, itemID int64
	untracked                    bool
}

type storedLocation struct {
	id     int64
	name   string
	active bool
}

type levelKey struct{ loc, item int64 }

type storedLevel struct {
	levelKey
	sku       string
	available int64
	updated   time.Time
}

// New starts a Server on a local port.
func New(opts Options) *Server {
	if opts.AccessToken == "" {
		opts.AccessToken = DefaultAccessToken
	}
	if opts.Timezone == nil {
		opts.Timezone = time.UTC
	}
	if opts.CallLimit <= 0 {
		opts.CallLimit = 40
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:   opts,
		orders: map[int64]*storedOrder{}, byName: map[string]int64{},
		skus: map[string]*skuIDs{}, locs: map[string]*storedLocation{}, levels: map[levelKey]*storedLevel{},
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

// AccessToken is the accepted token.
func (s *Server) AccessToken() string { return s.opts.AccessToken }

// AddOrders adds or replaces orders by id. An order needs a positive decimal
// id (Shopify's are int64), a currency and creation and update times. The
// SKUs of its lines join the product catalog.
func (s *Server) AddOrders(os ...orderbot.Order) error {
	ids := make([]int64, len(os))
	for i := range os {
		o := &os[i]
		id, err := strconv.ParseInt(o.ID, 10, 64)
		if err != nil || id <= 0 {
			return orderbot.Errorf(orderbot.KindInvalid, "shopifyfake.add_orders", "order id %q is not a positive integer", o.ID)
		}
		if len(o.Total.Currency) != 3 || o.CreatedAt.IsZero() || o.UpdatedAt.IsZero() {
			return orderbot.Errorf(orderbot.KindInvalid, "shopifyfake.add_orders", "order %s needs a currency and creation and update times", o.ID)
		}
		ids[i] = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var scratch []byte
	for i := range os {
		o := os[i]
		// Stored records are never mutated, only replaced, so pages can be
		// rendered outside the lock from the pointers they copied.
		o.Lines = slices.Clone(o.Lines)
		o.Shipments = slices.Clone(o.Shipments)
		if old, ok := s.orders[ids[i]]; ok && old.o.Name != "" {
			delete(s.byName, old.o.Name)
		}
		for _, l := range o.Lines {
			if l.SKU != "" {
				s.sku(l.SKU)
			}
		}
		// Rendered once, with the catalog ids of its SKUs (which never
		// change): every listing cuts its pages from this.
		wo := s.renderOrder(&o, ids[i])
		var enc encodedOrder
		enc, scratch = encodeOrder(&wo, scratch)
		s.orders[ids[i]] = &storedOrder{o: o, id: ids[i], updated: o.UpdatedAt.Unix(), created: o.CreatedAt.Unix(), enc: enc}
		if o.Name != "" {
			s.byName[o.Name] = ids[i]
		}
	}
	s.dirty = true
	return nil
}

// Order returns the stored order with id.
func (s *Server) Order(id string) (orderbot.Order, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return orderbot.Order{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[n]
	if !ok {
		return orderbot.Order{}, false
	}
	return o.o, true
}

// Len is the number of stored orders.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

// SetStock adds or replaces inventory levels by SKU and location name; a new
// SKU gets a product, variant and inventory item, a new location name a
// location. An empty Location is "Shop location".
func (s *Server) SetStock(levels ...orderbot.StockLevel) error {
	for _, l := range levels {
		if l.SKU == "" || l.UpdatedAt.IsZero() {
			return orderbot.Errorf(orderbot.KindInvalid, "shopifyfake.set_stock", "a stock level needs a SKU and an update time")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range levels {
		ids := s.sku(l.SKU)
		loc := s.location(l.Location)
		k := levelKey{loc.id, ids.itemID}
		if _, ok := s.levels[k]; !ok {
			s.lvDirty = true
		}
		s.levels[k] = &storedLevel{levelKey: k, sku: l.SKU, available: l.Available, updated: l.UpdatedAt}
	}
	return nil
}

// SetUntracked marks SKUs as not tracked by Shopify: their levels are sent
// with available null.
func (s *Server) SetUntracked(skus ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range skus {
		s.sku(k).untracked = true
	}
}

// SetLocationActive activates or deactivates a location by name.
func (s *Server) SetLocationActive(name string, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.location(name).active = active
}

// sku returns the catalog ids of a SKU, creating them; s.mu must be held.
func (s *Server) sku(k string) *skuIDs {
	if ids, ok := s.skus[k]; ok {
		return ids
	}
	n := int64(len(s.skuList) + 1)
	ids := &skuIDs{sku: k, productID: 7_000_000_000 + n, variantID: 40_000_000_000 + n, itemID: 45_000_000_000 + n}
	s.skus[k] = ids
	s.skuList = append(s.skuList, ids)
	return ids
}

// location returns a location by name, creating it; s.mu must be held.
func (s *Server) location(name string) *storedLocation {
	if name == "" {
		name = "Shop location"
	}
	if l, ok := s.locs[name]; ok {
		return l
	}
	l := &storedLocation{id: 60_000_000 + int64(len(s.locList)+1), name: name, active: true}
	s.locs[name] = l
	s.locList = append(s.locList, l)
	return l
}

// index rebuilds the sorted indexes after changes; s.mu must be held.
func (s *Server) index() {
	if s.dirty {
		s.sorted = s.sorted[:0]
		for _, o := range s.orders {
			s.sorted = append(s.sorted, o)
		}
		slices.SortFunc(s.sorted, func(a, b *storedOrder) int {
			if c := cmp.Compare(a.updated, b.updated); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		s.dirty = false
	}
	if s.lvDirty {
		s.lvList = s.lvList[:0]
		for _, l := range s.levels {
			s.lvList = append(s.lvList, l)
		}
		slices.SortFunc(s.lvList, func(a, b *storedLevel) int {
			if c := cmp.Compare(a.loc, b.loc); c != 0 {
				return c
			}
			return cmp.Compare(a.item, b.item)
		})
		s.lvDirty = false
	}
}

var pathRe = regexp.MustCompile(`^/admin/api/([^/]+)/(.+)\.json$`)

// tooMany is Shopify's throttle message.
const tooMany = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."

// gate stamps every answer with a request id, the API version and the call
// limit, and refuses what never reaches the API: a path outside
// /admin/api/{version}/, a wrong access token (checked exactly) and a call
// that overflows the leaky bucket.
func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	n := s.seq.Add(1)
	h.Set("X-Request-Id", fmt.Sprintf("fake-%08x-%04x", n, n%0xffff))
	h.Set("Content-Type", contentType)
	m := pathRe.FindStringSubmatch(r.URL.Path)
	if m == nil || !validVersion(m[1]) {
		resp := errorsResponse(http.StatusNotFound, "Not Found")
		return &resp
	}
	h.Set("X-Shopify-API-Version", m[1])
	if r.Header.Get("X-Shopify-Access-Token") != s.opts.AccessToken {
		resp := errorsResponse(http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return &resp
	}
	return s.takeCall(h)
}

// rateLimited answers a RateLimited fault with Shopify's throttle error and
// Retry-After, "2.0" unless the fault says otherwise.
func rateLimited(f providerfake.Fault) providerfake.Response {
	resp := errorsResponse(http.StatusTooManyRequests, tooMany)
	resp.Header.Set("Retry-After", strconv.FormatFloat(f.RetryAfterOr(2*time.Second).Seconds(), 'f', 1, 64))
	return resp
}

// serverError answers a ServerError fault with {"errors":"Internal Server Error"}.
func serverError(providerfake.Fault) providerfake.Response {
	return errorsResponse(http.StatusInternalServerError, "Internal Server Error")
}

// route answers the resources the gate let through.
func (s *Server) route(r *http.Request) providerfake.Response {
	if r.Method != http.MethodGet {
		return errorsResponse(http.StatusNotFound, "Not Found")
	}
	m := pathRe.FindStringSubmatch(r.URL.Path)
	q := r.URL.Query()
	// Links name the host the client used, so the fake also works mounted on
	// another server (the demo).
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host + "/admin/api/" + m[1] + "/" + m[2] + ".json"
	if v, ok := strings.CutPrefix(m[2], "orders/"); ok && !strings.Contains(v, "/") {
		return s.getOrder(v, q)
	}
	switch m[2] {
	case "orders":
		return s.listOrders(base, q)
	case "locations":
		return s.listLocations()
	case "products":
		return s.listProducts(base, q)
	case "inventory_levels":
		return s.listLevels(base, q)
	}
	return errorsResponse(http.StatusNotFound, "Not Found")
}

func validVersion(v string) bool {
	if v == "unstable" {
		return true
	}
	if len(v) != 7 || v[4] != '-' {
		return false
	}
	_, err1 := strconv.Atoi(v[:4])
	mo, err2 := strconv.Atoi(v[5:])
	return err1 == nil && err2 == nil && mo >= 1 && mo <= 12
}

// takeCall runs the leaky bucket: it sets the call-limit header, and answers
// 429 when the bucket is full.
func (s *Server) takeCall(h http.Header) *providerfake.Response {
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	size := float64(s.opts.CallLimit)
	if s.opts.LeakRate <= 0 {
		h.Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("1/%d", s.opts.CallLimit))
		return nil
	}
	now := s.opts.Now()
	if !s.bucketAt.IsZero() {
		s.bucketUsed = math.Max(0, s.bucketUsed-now.Sub(s.bucketAt).Seconds()*s.opts.LeakRate)
	}
	s.bucketAt = now
	if s.bucketUsed+1 > size {
		h.Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", s.opts.CallLimit, s.opts.CallLimit))
		resp := errorsResponse(http.StatusTooManyRequests, tooMany)
		resp.Header.Set("Retry-After", "2.0")
		return &resp
	}
	s.bucketUsed++
	h.Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", int(math.Ceil(s.bucketUsed)), s.opts.CallLimit))
	return nil
}

// contentType is what Shopify labels its JSON with.
const contentType = "application/json; charset=utf-8"

// errorsResponse renders Shopify's {"errors": ...} envelope.
func errorsResponse(status int, errs any) providerfake.Response {
	resp := providerfake.JSON(status, map[string]any{"errors": errs})
	resp.Header.Set("Content-Type", contentType)
	return resp
}

// bad is a refusal in Shopify's envelope, for the parsers below.
func bad(status int, errs any) *providerfake.Response {
	resp := errorsResponse(status, errs)
	return &resp
}

// cursor is what a page_info carries: the listing's filters and where the
// page ends, so that the next request needs nothing else.
type cursor struct {
	Resource string            `json:"r"`
	Filters  map[string]string `json:"f,omitempty"`
	Limit    int               `json:"l"`
	// The page boundary: the next page starts after (A, B), the previous page
	// ends before it.
	A    int64 `json:"a"`
	B    int64 `json:"b"`
	Prev bool  `json:"p,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// listQuery resolves the filters and limit of a list request: from q, or from
// its page_info, with which only limit and fields may come.
func listQuery(resource string, q url.Values, filters []string) (c cursor, first bool, refusal *providerfake.Response) {
	if pi := q.Get("page_info"); pi != "" {
		for k := range q {
			if k != "page_info" && k != "limit" && k != "fields" {
				return c, false, bad(http.StatusBadRequest, map[string][]string{k: {"cannot be combined with page_info; only limit and fields can"}})
			}
		}
		raw, err := base64.RawURLEncoding.DecodeString(pi)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.Resource != resource {
			return c, false, bad(http.StatusBadRequest, map[string][]string{"page_info": {"is invalid"}})
		}
	} else {
		c = cursor{Resource: resource, Filters: map[string]string{}}
		for _, f := range filters {
			if v := q.Get(f); v != "" {
				c.Filters[f] = v
			}
		}
		first = true
	}
	c.Limit = 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 250 {
			return c, false, bad(http.StatusBadRequest, map[string][]string{"limit": {"must be an integer between 1 and 250"}})
		}
		c.Limit = n
	}
	return c, first, nil
}

// link sets the Link header of a page.
func link(h http.Header, base string, q url.Values, c cursor, hasNext, hasPrev bool, nextA, nextB, prevA, prevB int64) {
	var parts []string
	mk := func(a, b int64, prev bool) string {
		u := url.Values{"limit": {strconv.Itoa(c.Limit)}}
		if f := q.Get("fields"); f != "" {
			u.Set("fields", f)
		}
		nc := cursor{Resource: c.Resource, Filters: c.Filters, Limit: c.Limit, A: a, B: b, Prev: prev}
		u.Set("page_info", encodeCursor(nc))
		return base + "?" + u.Encode()
	}
	if hasPrev {
		parts = append(parts, fmt.Sprintf(`<%s>; rel="previous"`, mk(prevA, prevB, true)))
	}
	if hasNext {
		parts = append(parts, fmt.Sprintf(`<%s>; rel="next"`, mk(nextA, nextB, false)))
	}
	if len(parts) > 0 {
		h.Set("Link", strings.Join(parts, ", "))
	}
}

var orderFilters = []string{"status", "updated_at_min", "updated_at_max", "created_at_min", "created_at_max",
	"processed_at_min", "processed_at_max", "ids", "name", "since_id", "financial_status", "fulfillment_status"}

// orderFilter compiles an orders.json filter set.
type orderFilter struct {
	status             string
	updMin, updMax     int64
	crMin, crMax       int64
	ids                map[int64]bool
	name               string
	sinceID            int64
	financial, fulfill string
}

func parseOrderFilter(f map[string]string) (orderFilter, *providerfake.Response) {
	of := orderFilter{status: "open", updMin: math.MinInt64, updMax: math.MaxInt64, crMin: math.MinInt64, crMax: math.MaxInt64}
	if v := f["status"]; v != "" {
		if v != "open" && v != "closed" && v != "cancelled" && v != "any" {
			return of, bad(http.StatusBadRequest, map[string][]string{"status": {"is invalid"}})
		}
		of.status = v
	}
	for key, dst := range map[string]*int64{"updated_at_min": &of.updMin, "updated_at_max": &of.updMax,
		"created_at_min": &of.crMin, "created_at_max": &of.crMax} {
		if v := f[key]; v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return of, bad(http.StatusBadRequest, map[string][]string{key: {"is invalid"}})
			}
			*dst = t.Unix()
		}
	}
	if v := f["ids"]; v != "" {
		of.ids = map[int64]bool{}
		for _, p := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return of, bad(http.StatusBadRequest, map[string][]string{"ids": {"is invalid"}})
			}
			of.ids[n] = true
		}
	}
	if v := f["since_id"]; v != "" {
		of.sinceID, _ = strconv.ParseInt(v, 10, 64)
	}
	of.name, of.financial, of.fulfill = f["name"], f["financial_status"], f["fulfillment_status"]
	return of, nil
}

func (f *orderFilter) match(o *storedOrder) bool {
	if o.updated < f.updMin || o.updated > f.updMax || o.created < f.crMin || o.created > f.crMax {
		return false
	}
	if f.ids != nil && !f.ids[o.id] || o.id <= f.sinceID {
		return false
	}
	if f.name != "" && o.o.Name != f.name && o.o.Name != "#"+strings.TrimPrefix(f.name, "#") {
		return false
	}
	cancelled := o.o.Status == orderbot.OrderCancelled || !o.o.CancelledAt.IsZero()
	closed := cancelled || o.o.Status == orderbot.OrderCompleted
	switch f.status {
	case "open":
		if closed {
			return false
		}
	case "closed":
		if !closed {
			return false
		}
	case "cancelled":
		if !cancelled {
			return false
		}
	}
	switch f.financial {
	case "", "any":
	case "unpaid":
		if o.o.Financial.Paid() {
			return false
		}
	default:
		if string(o.o.Financial) != f.financial {
			return false
		}
	}
	switch f.fulfill {
	case "", "any":
	case "shipped":
		return o.o.Fulfillment == orderbot.FulfillmentFulfilled
	case "partial":
		return o.o.Fulfillment == orderbot.FulfillmentPartial
	case "unshipped", "unfulfilled":
		return o.o.Fulfillment != orderbot.FulfillmentFulfilled
	}
	return true
}

func (s *Server) listOrders(base string, q url.Values) providerfake.Response {
	c, _, refusal := listQuery("orders", q, orderFilters)
	if refusal != nil {
		return *refusal
	}
	of, refusal := parseOrderFilter(c.Filters)
	if refusal != nil {
		return *refusal
	}
	s.mu.Lock()
	s.index()
	list := s.sorted
	after := func(i int) bool { // sorted[i] is after the boundary (A, B)
		o := list[i]
		return o.updated > c.A || o.updated == c.A && o.id > c.B
	}
	var page []*storedOrder
	var hasNext, hasPrev bool
	if c.Prev {
		end := sort.Search(len(list), after) // items before the boundary, then the one at it
		if end > 0 && list[end-1].updated == c.A && list[end-1].id == c.B {
			end--
		}
		for i := end - 1; i >= 0 && len(page) < c.Limit; i-- {
			if list[i].updated < of.updMin {
				break
			}
			if of.match(list[i]) {
				page = append(page, list[i])
			}
		}
		slices.Reverse(page)
		hasNext = true
		hasPrev = len(page) == c.Limit
	} else {
		start := sort.Search(len(list), func(i int) bool { return list[i].updated >= of.updMin })
		if c.A != 0 || c.B != 0 {
			start = max(start, sort.Search(len(list), after))
			hasPrev = true
		}
		i := start
		for ; i < len(list) && len(page) < c.Limit; i++ {
			if list[i].updated > of.updMax {
				i = len(list)
				break
			}
			if of.match(list[i]) {
				page = append(page, list[i])
			}
		}
		// One more match after the page means a next page exists.
		for ; i < len(list) && !hasNext; i++ {
			if list[i].updated > of.updMax {
				break
			}
			hasNext = of.match(list[i])
		}
	}
	s.mu.Unlock()

	resp := okBody(nil, "total_price")
	if len(page) > 0 {
		firstO, lastO := page[0], page[len(page)-1]
		link(resp.Header, base, q, c, hasNext, hasPrev, lastO.updated, lastO.id, firstO.updated, firstO.id)
	}
	// Stored orders are replaced, never changed, so their encodings are read
	// outside the lock.
	mask := maskOf(parseFields(q.Get("fields")))
	size := len(`{"orders":[]}`) + len(page)
	for _, o := range page {
		size += o.enc.size()
	}
	body := make([]byte, 0, size)
	body = append(body, `{"orders":[`...)
	for i, o := range page {
		if i > 0 {
			body = append(body, ',')
		}
		body = o.enc.appendTo(body, mask)
	}
	resp.Body = append(body, "]}"...)
	return resp
}

func (s *Server) getOrder(idText string, q url.Values) providerfake.Response {
	id, err := strconv.ParseInt(idText, 10, 64)
	s.mu.Lock()
	o, ok := s.orders[id]
	s.mu.Unlock()
	if err != nil || !ok {
		return errorsResponse(http.StatusNotFound, "Not Found")
	}
	body := append([]byte(`{"order":`), o.enc.appendTo(nil, maskOf(parseFields(q.Get("fields"))))...)
	return okBody(append(body, '}'), "total_price")
}

func (s *Server) listLocations() providerfake.Response {
	s.mu.Lock()
	out := make([]wireLocation, len(s.locList))
	for i, l := range s.locList {
		out[i] = wireLocation{ID: l.id, Name: l.name, Active: l.active, CountryCode: "US",
			AdminGraphqlAPIID: "gid://shopify/Location/" + strconv.FormatInt(l.id, 10)}
	}
	s.mu.Unlock()
	return okJSON(map[string]any{"locations": out}, "id")
}

func (s *Server) listProducts(base string, q url.Values) providerfake.Response {
	c, _, refusal := listQuery("products", q, []string{"ids", "since_id"})
	if refusal != nil {
		return *refusal
	}
	s.mu.Lock()
	list := s.skuList // ordered by product id
	var page []wireProduct
	start := sort.Search(len(list), func(i int) bool { return list[i].productID > c.B })
	if c.Prev {
		start = max(0, sort.Search(len(list), func(i int) bool { return list[i].productID >= c.B })-c.Limit)
	}
	end := min(len(list), start+c.Limit)
	qty := map[int64]int64{} // inventory_quantity: the sum over locations
	for k, l := range s.levels {
		qty[k.item] += l.available
	}
	for _, ids := range list[start:end] {
		mgmt := ptr("shopify")
		if ids.untracked {
			mgmt = nil
		}
		page = append(page, wireProduct{ID: ids.productID, Title: ids.sku, Handle: strings.ToLower(ids.sku), Status: "active",
			Variants: []wireVariant{{ID: ids.variantID, ProductID: ids.productID, Title: "Default Title", SKU: ids.sku,
				InventoryItemID: ids.itemID, InventoryQuantity: qty[ids.itemID], InventoryManagement: mgmt, InventoryPolicy: "deny"}}})
	}
	s.mu.Unlock()
	resp := okJSON(map[string]any{"products": project(page, q.Get("fields"))}, "inventory_item_id")
	if len(page) > 0 {
		link(resp.Header, base, q, c, end < len(list), start > 0, 0, page[len(page)-1].ID, 0, page[0].ID)
	}
	return resp
}

func parseIDs(v string) (map[int64]bool, bool) {
	if v == "" {
		return nil, true
	}
	out := map[int64]bool{}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, false
		}
		out[n] = true
	}
	return out, true
}

func (s *Server) listLevels(base string, q url.Values) providerfake.Response {
	c, _, refusal := listQuery("inventory_levels", q, []string{"inventory_item_ids", "location_ids", "updated_at_min"})
	if refusal != nil {
		return *refusal
	}
	items, ok1 := parseIDs(c.Filters["inventory_item_ids"])
	locs, ok2 := parseIDs(c.Filters["location_ids"])
	tooMany := func(v string) bool { return v != "" && strings.Count(v, ",") >= 50 }
	if !ok1 || !ok2 || tooMany(c.Filters["inventory_item_ids"]) || tooMany(c.Filters["location_ids"]) {
		return errorsResponse(http.StatusUnprocessableEntity, map[string][]string{"base": {"location_ids and inventory_item_ids must be lists of at most 50 ids"}})
	}
	if items == nil && locs == nil {
		return errorsResponse(http.StatusUnprocessableEntity, map[string][]string{"base": {"inventory_item_ids or location_ids must be present"}})
	}
	var since time.Time
	if v := c.Filters["updated_at_min"]; v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return errorsResponse(http.StatusBadRequest, map[string][]string{"updated_at_min": {"is invalid"}})
		}
		since = t
	}
	match := func(l *storedLevel) bool {
		return (items == nil || items[l.item]) && (locs == nil || locs[l.loc]) &&
			(since.IsZero() || !l.updated.Truncate(time.Second).Before(since))
	}
	s.mu.Lock()
	s.index()
	list := s.lvList
	after := func(i int) bool { return list[i].loc > c.A || list[i].loc == c.A && list[i].item > c.B }
	var page []*storedLevel
	var hasNext, hasPrev bool
	if c.Prev {
		end := sort.Search(len(list), after)
		if end > 0 && list[end-1].loc == c.A && list[end-1].item == c.B {
			end--
		}
		for i := end - 1; i >= 0 && len(page) < c.Limit; i-- {
			if match(list[i]) {
				page = append(page, list[i])
			}
		}
		slices.Reverse(page)
		hasNext, hasPrev = true, len(page) == c.Limit
	} else {
		start := 0
		if c.A != 0 || c.B != 0 {
			start, hasPrev = sort.Search(len(list), after), true
		}
		i := start
		for ; i < len(list) && len(page) < c.Limit; i++ {
			if match(list[i]) {
				page = append(page, list[i])
			}
		}
		for ; i < len(list) && !hasNext; i++ {
			hasNext = match(list[i])
		}
	}
	out := make([]wireLevel, len(page))
	for i, l := range page {
		out[i] = wireLevel{InventoryItemID: l.item, LocationID: l.loc, UpdatedAt: shopTime(l.updated, s.opts.Timezone),
			AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", l.loc, l.item)}
		if !s.skus[l.sku].untracked {
			out[i].Available = ptr(l.available)
		}
	}
	s.mu.Unlock()
	resp := okJSON(map[string]any{"inventory_levels": out}, "available")
	if len(page) > 0 {
		f, l := page[0], page[len(page)-1]
		link(resp.Header, base, q, c, hasNext, hasPrev, l.loc, l.item, f.loc, f.item)
	}
	return resp
}

// project keeps only the comma-listed top-level fields of each record, as
// Shopify's fields parameter does; empty keeps everything.
func project[T any](records []T, fields string) []any {
	out := make([]any, len(records))
	if fields == "" {
		for i := range records {
			out[i] = records[i]
		}
		return out
	}
	keep := strings.Split(fields, ",")
	for i := range records {
		b, _ := json.Marshal(records[i])
		var m map[string]json.RawMessage
		json.Unmarshal(b, &m)
		p := make(map[string]json.RawMessage, len(keep))
		for _, k := range keep {
			if v, ok := m[strings.TrimSpace(k)]; ok {
				p[strings.TrimSpace(k)] = v
			}
		}
		out[i] = p
	}
	return out
}

// okJSON is a 200 answer of v whose field a WrongType fault corrupts by
// default: the field of each resource a client is sure to read.
func okJSON(v any, field string) providerfake.Response {
	resp := providerfake.JSON(http.StatusOK, v)
	resp.Header.Set("Content-Type", contentType)
	resp.WrongTypeField = field
	return resp
}

// okBody is a 200 answer of an encoded body; see okJSON.
func okBody(body []byte, field string) providerfake.Response {
	return providerfake.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {contentType}}, Body: body, WrongTypeField: field}
}
