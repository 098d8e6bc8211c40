package aftershipfake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// Options configure a Server.
type Options struct {
	// APIKey is the accepted key; default "fake-aftership-key".
	APIKey string
	// Version is "2024-04" (default), "2023-10" or "v4": it selects the base
	// path (/tracking/{version} or /v4) and the key header (as-api-key or
	// aftership-api-key).
	Version string
	// RateLimit is the account limit in requests per second; when set, every
	// answer carries x-ratelimit-* headers and a request over the limit gets
	// 429. Zero means unlimited and no rate headers.
	RateLimit int
	// Now is the server clock (defaults of created_at_min, rate windows, puts
	// without a time); default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log (oldest dropped); default
	// providerfake.DefaultLogLimit.
	LogLimit int
}

// record is one stored tracking.
type record struct {
	id       string
	shipment orderbot.Shipment
	created  time.Time
	updated  time.Time
}

// Server is a fake AfterShip. Create it with New and Close it when done.
// Fault injection and the request log come from the embedded
// providerfake.Server.
type Server struct {
	*providerfake.Server
	opts      Options
	prefix    string
	keyHeader string

	mu      sync.Mutex
	records map[string]*record // slug "/" number → record
	seq     int
	version int // bumped by every write; invalidates the list cache
	cache   listCache
	second  int64 // rate window (Unix second) and requests in it
	inSec   int
}

// listCache keeps the sorted result of the last list query, so paging through
// a large result costs one filter and sort, not one per page.
type listCache struct {
	key     string
	version int
	rows    []*record
}

// New starts a Server on a loopback port.
func New(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = "fake-aftership-key"
	}
	if opts.Version == "" {
		opts.Version = "2024-04"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, records: make(map[string]*record)}
	s.prefix, s.keyHeader = "/tracking/"+opts.Version, "As-Api-Key"
	if opts.Version == "v4" {
		s.prefix, s.keyHeader = "/v4", "Aftership-Api-Key"
	}
	s.Server = providerfake.Start(providerfake.Config{
		Gate:        s.gate,
		Serve:       s.route,
		RateLimited: s.rateLimited,
		ServerError: serverError,
		LogLimit:    opts.LogLimit,
		Now:         opts.Now,
	})
	return s
}

// URL is the API base to configure as api_url, version path included.
func (s *Server) URL() string { return s.Server.URL() + s.prefix }

// APIKey returns the accepted key.
func (s *Server) APIKey() string { return s.opts.APIKey }

// AddShipments stores shipments (keyed by Carrier slug and TrackingNumber) as
// trackings updated at updatedAt (zero = now): AfterShip's updated_at is not a
// field of the domain shipment, and the listing filters on it. A new tracking
// is created at updatedAt; an existing one keeps its id and creation time. A
// shipment without a tracking number or carrier slug is a KindInvalid error
// and nothing is stored.
func (s *Server) AddShipments(updatedAt time.Time, shipments ...orderbot.Shipment) error {
	for _, sh := range shipments {
		if sh.TrackingNumber == "" || sh.Carrier == "" {
			return orderbot.Errorf(orderbot.KindInvalid, "aftershipfake.add_shipments", "a shipment needs a tracking number and a carrier slug")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if updatedAt.IsZero() {
		updatedAt = s.opts.Now()
	}
	updatedAt = updatedAt.Truncate(time.Second) // AfterShip stamps have whole seconds
	for _, sh := range shipments {
		sh.Checkpoints = slices.Clone(sh.Checkpoints)
		key := sh.Carrier + "/" + sh.TrackingNumber
		r, ok := s.records[key]
		if !ok {
			s.seq++
			r = &record{id: fmt.Sprintf("5f%022x", s.seq), created: updatedAt}
		}
		// Records are replaced, never changed in place, so answers can be
		// rendered outside the lock.
		s.records[key] = &record{id: r.id, created: r.created, updated: updatedAt, shipment: sh}
	}
	s.version++
	return nil
}

// DeleteShipment deletes a tracking; it reports whether it existed.
func (s *Server) DeleteShipment(slug, number string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.records[slug+"/"+number]
	delete(s.records, slug+"/"+number)
	s.version++
	return ok
}

// Shipment returns a stored shipment.
func (s *Server) Shipment(slug, number string) (orderbot.Shipment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[slug+"/"+number]
	if !ok {
		return orderbot.Shipment{}, false
	}
	return r.shipment, true
}

// envelope renders {"meta":{...},"data":...}.
func envelope(status, code int, typ, message string, data any) providerfake.Response {
	m := map[string]any{"code": code}
	if typ != "" {
		m["type"] = typ
	}
	if message != "" {
		m["message"] = message
	}
	if data == nil {
		data = map[string]any{}
	}
	return providerfake.JSON(status, map[string]any{"meta": m, "data": data})
}

func (s *Server) rateHeaders(h http.Header, remaining int, reset int64) {
	h.Set("X-Ratelimit-Limit", strconv.Itoa(max(s.opts.RateLimit, 10)))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
}

// rateLimited answers a RateLimited fault with AfterShip's TooManyRequests
// envelope, Retry-After and x-ratelimit-* headers (remaining 0).
func (s *Server) rateLimited(f providerfake.Fault) providerfake.Response {
	ra := f.RetryAfterOr(time.Second)
	resp := envelope(http.StatusTooManyRequests, 429, "TooManyRequests",
		"You have exceeded the API call rate limit. Default limit is 10 requests per second.", nil)
	resp.Header.Set("Retry-After", providerfake.Seconds(ra))
	s.rateHeaders(resp.Header, 0, s.opts.Now().Add(ra).Unix())
	return resp
}

// serverError answers a ServerError fault with AfterShip's InternalError
// envelope.
func serverError(providerfake.Fault) providerfake.Response {
	return envelope(http.StatusInternalServerError, 500, "InternalError", "Something went wrong on AfterShip's end.", nil)
}

// gate refuses a wrong key (checked exactly) and, with Options.RateLimit,
// counts the request against the second's limit: every answer carries the
// x-ratelimit-* headers, and a request over the limit gets 429.
func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	if r.Header.Get(s.keyHeader) != s.opts.APIKey {
		resp := envelope(http.StatusUnauthorized, 401, "Unauthorized", "Invalid API key.", nil)
		return &resp
	}
	if s.opts.RateLimit <= 0 {
		return nil
	}
	now := s.opts.Now()
	s.mu.Lock()
	if sec := now.Unix(); sec != s.second {
		s.second, s.inSec = sec, 0
	}
	s.inSec++
	remaining, reset := s.opts.RateLimit-s.inSec, s.second+1
	limited := s.inSec > s.opts.RateLimit
	s.mu.Unlock()
	s.rateHeaders(h, remaining, reset)
	if !limited {
		return nil
	}
	resp := envelope(http.StatusTooManyRequests, 429, "TooManyRequests",
		fmt.Sprintf("You have exceeded the API call rate limit. Default limit is %d requests per second.", s.opts.RateLimit), nil)
	resp.Header.Set("Retry-After", strconv.FormatInt(max(reset-now.Unix(), 1), 10))
	return &resp
}

// route answers the trackings API. A WrongType fault corrupts
// "tracking_number" unless it names a field.
func (s *Server) route(r *http.Request) providerfake.Response {
	resp := s.routeAPI(r, s.opts.Now())
	resp.WrongTypeField = "tracking_number"
	return resp
}

func (s *Server) routeAPI(r *http.Request, now time.Time) providerfake.Response {
	invalidURI := envelope(http.StatusNotFound, 404, "NotFound", "The URI requested is invalid or the resource requested does not exist.", nil)
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), s.prefix+"/trackings")
	if !ok || r.Method != http.MethodGet {
		return invalidURI
	}
	if rest == "" || rest == "/" {
		return s.list(r.URL.Query(), now)
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if len(parts) != 2 {
		return invalidURI
	}
	slug, err1 := url.PathUnescape(parts[0])
	number, err2 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil {
		return invalidURI
	}
	s.mu.Lock()
	rec, found := s.records[slug+"/"+number]
	s.mu.Unlock()
	if !found {
		return envelope(http.StatusNotFound, 4004, "NotFound", "Tracking does not exist.", nil)
	}
	return envelope(http.StatusOK, 200, "", "", map[string]any{"tracking": renderTracking(rec)})
}

func badValue(field string) providerfake.Response {
	return envelope(http.StatusBadRequest, 4008, "BadRequest", fmt.Sprintf("The value of `%s` is invalid.", field), nil)
}

func (s *Server) list(q url.Values, now time.Time) providerfake.Response {
	page, limit := 1, 100
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badValue("page")
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return badValue("limit")
		}
		limit = n
	}
	bounds := map[string]time.Time{
		"created_at_min": now.Add(-30 * 24 * time.Hour), // AfterShip's default
		"created_at_max": now,
	}
	for _, k := range []string{"created_at_min", "created_at_max", "updated_at_min", "updated_at_max"} {
		if v := q.Get(k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badValue(k)
			}
			bounds[k] = t
		}
	}
	set := func(k string) map[string]bool {
		if q.Get(k) == "" {
			return nil
		}
		m := map[string]bool{}
		for _, v := range strings.Split(q.Get(k), ",") {
			m[strings.TrimSpace(v)] = true
		}
		return m
	}
	numbers, slugs := set("tracking_numbers"), set("slug")
	tag := q.Get("tag")

	// The cache key is the query without the page, with the defaulted bounds.
	kq := url.Values{}
	for k, v := range q {
		if k != "page" {
			kq[k] = v
		}
	}
	key := kq.Encode() + "|" + bounds["created_at_min"].String() + "|" + bounds["created_at_max"].String()

	s.mu.Lock()
	var rows []*record
	if s.cache.key == key && s.cache.version == s.version {
		rows = s.cache.rows
	} else {
		for _, r := range s.records {
			if r.created.Before(bounds["created_at_min"]) || r.created.After(bounds["created_at_max"]) {
				continue
			}
			if t, ok := bounds["updated_at_min"]; ok && r.updated.Before(t) {
				continue
			}
			if t, ok := bounds["updated_at_max"]; ok && r.updated.After(t) {
				continue
			}
			if numbers != nil && !numbers[r.shipment.TrackingNumber] {
				continue
			}
			if slugs != nil && !slugs[r.shipment.Carrier] {
				continue
			}
			if tag != "" {
				if t, _ := tagOf(r.shipment.Status, r.shipment.StatusCode); t != tag {
					continue
				}
			}
			rows = append(rows, r)
		}
		// AfterShip lists the newest created first.
		slices.SortFunc(rows, func(a, b *record) int {
			if c := b.created.Compare(a.created); c != 0 {
				return c
			}
			return strings.Compare(b.id, a.id)
		})
		s.cache = listCache{key: key, version: s.version, rows: rows}
	}
	s.mu.Unlock()

	count := len(rows)
	start := min((page-1)*limit, count)
	end := min(start+limit, count)
	trackings := make([]trackingJSON, 0, end-start)
	for _, r := range rows[start:end] {
		trackings = append(trackings, renderTracking(r))
	}
	return envelope(http.StatusOK, 200, "", "", map[string]any{
		"page": page, "limit": limit, "count": count, "keyword": "", "slug": q.Get("slug"),
		"origin": []string{}, "destination": []string{}, "tag": tag, "fields": "",
		"created_at_min":   bounds["created_at_min"].UTC().Format(time.RFC3339),
		"created_at_max":   bounds["created_at_max"].UTC().Format(time.RFC3339),
		"return_to_sender": []bool{}, "trackings": trackings,
	})
}
