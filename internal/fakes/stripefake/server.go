package stripefake

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
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

// DefaultAPIKey is the secret key a Server accepts unless Options.APIKey says
// otherwise.
const DefaultAPIKey = "sk_test_stripefake_000000000000000000000000"

// Options configure a Server.
type Options struct {
	// APIKey is the one secret key accepted; default DefaultAPIKey.
	APIKey string
	// OrderIDKey is the metadata key payments' OrderID is stored under;
	// default "order_id".
	OrderIDKey string
	// Now stamps the request log; default time.Now.
	Now func() time.Time
	// LogLimit bounds the request log (oldest dropped); default
	// providerfake.DefaultLogLimit.
	LogLimit int
}

// Server is a fake Stripe API. It is safe for concurrent use. Fault injection
// and the request log come from the embedded providerfake.Server; a
// RateLimited fault sends Retry-After only when Fault.RetryAfter is set, since
// Stripe itself sends none.
type Server struct {
	*providerfake.Server
	opts Options
	seq  atomic.Int64

	mu        sync.Mutex
	payments  map[string]*orderbot.Payment
	refundPI  map[string]string // refund id → intent id
	dirty     bool
	intents   []*orderbot.Payment // newest first
	intentPos map[string]int
	refunds   []refundEntry // newest first
	refundPos map[string]int
}

type refundEntry struct {
	r  *orderbot.Refund
	pi string
}

// New starts a Server on a local port.
func New(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.OrderIDKey == "" {
		opts.OrderIDKey = "order_id"
	}
	s := &Server{opts: opts, payments: map[string]*orderbot.Payment{}, refundPI: map[string]string{}}
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

// APIKey is the accepted secret key.
func (s *Server) APIKey() string { return s.opts.APIKey }

// AddPayments adds or replaces payments by id. A payment needs an id, a
// three-letter currency and a creation time; a refund needs an id not used by
// another payment. A payment that breaks these rules is a KindInvalid error
// and nothing is stored.
func (s *Server) AddPayments(ps ...orderbot.Payment) error {
	const op = "stripefake.add_payments"
	for i := range ps {
		p := &ps[i]
		if p.ID == "" || len(p.Amount.Currency) != 3 || p.CreatedAt.IsZero() {
			return orderbot.Errorf(orderbot.KindInvalid, op, "payment %q needs an id, a currency and a creation time", p.ID)
		}
		for _, r := range p.Refunds {
			if r.ID == "" || r.CreatedAt.IsZero() {
				return orderbot.Errorf(orderbot.KindInvalid, op, "payment %q: refund needs an id and a creation time", p.ID)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range ps {
		for _, r := range ps[i].Refunds {
			if owner, ok := s.refundPI[r.ID]; ok && owner != ps[i].ID {
				return orderbot.Errorf(orderbot.KindInvalid, op, "refund %q already belongs to %q", r.ID, owner)
			}
		}
	}
	for i := range ps {
		p := ps[i]
		p.Refunds = slices.Clone(p.Refunds)
		// Stored records are never mutated, only replaced, so pages can be
		// rendered outside the lock from the pointers they copied.
		if old, ok := s.payments[p.ID]; ok {
			for _, r := range old.Refunds {
				delete(s.refundPI, r.ID)
			}
		}
		for _, r := range p.Refunds {
			s.refundPI[r.ID] = p.ID
		}
		s.payments[p.ID] = &p
	}
	s.dirty = true
	return nil
}

// Payment returns the stored payment with id.
func (s *Server) Payment(id string) (orderbot.Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return orderbot.Payment{}, false
	}
	return *p, true
}

// Len is the number of stored payments.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.payments)
}

// index rebuilds the sorted indexes after changes; s.mu must be held.
func (s *Server) index() {
	if !s.dirty {
		return
	}
	s.intents = s.intents[:0]
	s.refunds = s.refunds[:0]
	for _, p := range s.payments {
		s.intents = append(s.intents, p)
		for i := range p.Refunds {
			s.refunds = append(s.refunds, refundEntry{&p.Refunds[i], p.ID})
		}
	}
	slices.SortFunc(s.intents, func(a, b *orderbot.Payment) int {
		return newestFirst(a.CreatedAt.Unix(), b.CreatedAt.Unix(), a.ID, b.ID)
	})
	slices.SortFunc(s.refunds, func(a, b refundEntry) int {
		return newestFirst(a.r.CreatedAt.Unix(), b.r.CreatedAt.Unix(), a.r.ID, b.r.ID)
	})
	s.intentPos = make(map[string]int, len(s.intents))
	for i, p := range s.intents {
		s.intentPos[p.ID] = i
	}
	s.refundPos = make(map[string]int, len(s.refunds))
	for i, e := range s.refunds {
		s.refundPos[e.r.ID] = i
	}
	s.dirty = false
}

func newestFirst(ca, cb int64, ida, idb string) int {
	if c := cmp.Compare(cb, ca); c != 0 {
		return c
	}
	return strings.Compare(idb, ida)
}

// gate stamps every answer with a request id and JSON content type and
// refuses a missing or wrong key with Stripe's 401 before any fault applies.
func (s *Server) gate(r *http.Request, h http.Header) *providerfake.Response {
	h.Set("Request-Id", fmt.Sprintf("req_fake%010d", s.seq.Add(1)))
	h.Set("Content-Type", "application/json")
	if msg := s.checkAuth(r.Header.Get("Authorization")); msg != "" {
		resp := errorResponse(http.StatusUnauthorized, wireError{Type: "invalid_request_error", Message: msg})
		return &resp
	}
	return nil
}

// rateLimited answers a RateLimited fault with Stripe's rate_limit error, and
// Retry-After only when the fault sets one: Stripe itself sends none.
func rateLimited(f providerfake.Fault) providerfake.Response {
	resp := errorResponse(http.StatusTooManyRequests, wireError{Type: "invalid_request_error", Code: "rate_limit",
		Message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."})
	if f.RetryAfter > 0 {
		resp.Header.Set("Retry-After", providerfake.Seconds(f.RetryAfter))
	}
	return resp
}

// serverError answers a ServerError fault with an api_error.
func serverError(providerfake.Fault) providerfake.Response {
	return errorResponse(http.StatusInternalServerError, wireError{Type: "api_error",
		Message: "An unknown error occurred while processing your request."})
}

// route answers the v1 API the gate let through.
func (s *Server) route(r *http.Request) providerfake.Response {
	if r.Method != http.MethodGet {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			return errorResponse(http.StatusBadRequest, wireError{Type: "invalid_request_error",
				Message: "Invalid request: request parameters should be sent as application/x-www-form-urlencoded."})
		}
		return unrecognized(r)
	}
	q := r.URL.Query()
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return unrecognized(r)
	}
	resource, id, _ := strings.Cut(rest, "/")
	switch {
	case resource == "payment_intents" && id == "":
		return s.listIntents(q)
	case resource == "payment_intents" && !strings.Contains(id, "/"):
		return s.getIntent(id, q)
	case resource == "refunds" && id == "":
		return s.listRefunds(q)
	case resource == "refunds" && !strings.Contains(id, "/"):
		return s.getRefund(id, q)
	}
	return unrecognized(r)
}

func (s *Server) checkAuth(h string) string {
	if h == "" {
		return "You did not provide an API key. You need to provide your API key in the Authorization header, " +
			"using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
	}
	var key string
	if k, ok := strings.CutPrefix(h, "Bearer "); ok {
		key = k
	} else if b, ok := strings.CutPrefix(h, "Basic "); ok {
		raw, err := base64.StdEncoding.DecodeString(b)
		if err == nil {
			key, _, _ = strings.Cut(string(raw), ":")
		}
	}
	if key == s.opts.APIKey {
		return ""
	}
	// Stripe masks all but the last four characters of a wrong key.
	masked := "****"
	if len(key) > 4 {
		masked = key[:min(8, len(key)-4)] + "****" + key[len(key)-4:]
	}
	return "Invalid API Key provided: " + masked
}

func unrecognized(r *http.Request) providerfake.Response {
	return errorResponse(http.StatusNotFound, wireError{Type: "invalid_request_error", Message: fmt.Sprintf(
		"Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
		r.Method, r.URL.Path)})
}

// errorResponse renders Stripe's {"error":{...}} envelope.
func errorResponse(status int, e wireError) providerfake.Response {
	return providerfake.JSON(status, map[string]wireError{"error": e})
}

func missing(kind, id, param string) *providerfake.Response {
	resp := errorResponse(http.StatusNotFound, wireError{Type: "invalid_request_error", Code: "resource_missing",
		Param: param, Message: fmt.Sprintf("No such %s: '%s'", kind, id),
		DocURL: "https://stripe.com/docs/error-codes/resource-missing"})
	return &resp
}

func invalid(code, param, msg string) *providerfake.Response {
	resp := errorResponse(http.StatusBadRequest, wireError{Type: "invalid_request_error", Code: code, Param: param, Message: msg})
	return &resp
}

// listParams are the parsed common list parameters.
type listParams struct {
	gte, lt       int64 // created range, [gte, lt)
	limit         int
	startingAfter string
	endingBefore  string
	expand        []string
}

// parseList validates q against the allowed parameters like Stripe does:
// unknown parameters and bad integers are 400s, returned as the refusal.
func parseList(q url.Values, extra ...string) (listParams, *providerfake.Response) {
	p := listParams{gte: 0, lt: 1<<62 - 1, limit: 10}
	for key, vals := range q {
		v := vals[0]
		switch {
		case key == "limit":
			n, err := strconv.Atoi(v)
			if err != nil {
				return p, invalid("parameter_invalid_integer", "limit", "Invalid integer: "+v)
			}
			if n < 1 || n > 100 {
				return p, invalid("parameter_invalid_integer", "limit", "This value must be between 1 and 100 (it currently is "+v+").")
			}
			p.limit = n
		case key == "starting_after":
			p.startingAfter = v
		case key == "ending_before":
			p.endingBefore = v
		case key == "created" || strings.HasPrefix(key, "created["):
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return p, invalid("parameter_invalid_integer", key, "Invalid integer: "+v)
			}
			switch key {
			case "created":
				p.gte, p.lt = max(p.gte, n), min(p.lt, n+1)
			case "created[gte]":
				p.gte = max(p.gte, n)
			case "created[gt]":
				p.gte = max(p.gte, n+1)
			case "created[lt]":
				p.lt = min(p.lt, n)
			case "created[lte]":
				p.lt = min(p.lt, n+1)
			default:
				return p, invalid("parameter_unknown", key, "Received unknown parameter: "+key)
			}
		case isExpand(key):
			p.expand = append(p.expand, vals...)
		case slices.Contains(extra, key):
		default:
			return p, invalid("parameter_unknown", key, "Received unknown parameter: "+key)
		}
	}
	if p.startingAfter != "" && p.endingBefore != "" {
		return p, invalid("", "ending_before", "You may only specify one of these parameters: starting_after, ending_before.")
	}
	return p, nil
}

// isExpand accepts both expand[] (curl docs) and expand[0] (official SDKs).
func isExpand(key string) bool {
	rest, ok := strings.CutPrefix(key, "expand[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return false
	}
	idx := strings.TrimSuffix(rest, "]")
	if idx == "" {
		return true
	}
	_, err := strconv.Atoi(idx)
	return err == nil
}

// cut returns the [from, to) slice positions of a page of a newest-first list
// whose items in [lo, hi) match the filters, and whether more follow.
func cut(lo, hi int, cursorPos int, p listParams) (from, to int, more bool) {
	hi = max(hi, lo) // an empty or inverted created range
	switch {
	case p.startingAfter != "":
		from = min(max(lo, cursorPos+1), hi)
		to = min(hi, from+p.limit)
		return from, to, to < hi
	case p.endingBefore != "":
		to = min(hi, cursorPos)
		if to < lo {
			return lo, lo, false
		}
		from = max(lo, to-p.limit)
		return from, to, from > lo
	}
	to = min(hi, lo+p.limit)
	return lo, to, to < hi
}

func (s *Server) listIntents(q url.Values) providerfake.Response {
	p, refusal := parseList(q, "customer")
	if refusal != nil {
		return *refusal
	}
	expand := expansionOf(p.expand, "data.")
	s.mu.Lock()
	s.index()
	created := func(i int) int64 { return s.intents[i].CreatedAt.Unix() }
	lo := sort.Search(len(s.intents), func(i int) bool { return created(i) < p.lt })
	hi := sort.Search(len(s.intents), func(i int) bool { return created(i) < p.gte })
	cursor := -1
	if c := p.startingAfter + p.endingBefore; c != "" {
		pos, ok := s.intentPos[c]
		if !ok {
			s.mu.Unlock()
			return *missing("payment_intent", c, cut2param(p))
		}
		cursor = pos
	}
	from, to, more := cut(lo, hi, cursor, p)
	page := slices.Clone(s.intents[from:to])
	s.mu.Unlock()

	data := make([]any, len(page))
	for i, pay := range page {
		data[i] = renderIntent(pay, s.opts.OrderIDKey, expand)
	}
	return okJSON(wireList{Object: "list", URL: "/v1/payment_intents", HasMore: more, Data: data}, "amount_received")
}

func cut2param(p listParams) string {
	if p.startingAfter != "" {
		return "starting_after"
	}
	return "ending_before"
}

func (s *Server) getIntent(id string, q url.Values) providerfake.Response {
	var expand []string
	for key, vals := range q {
		if !isExpand(key) {
			return *invalid("parameter_unknown", key, "Received unknown parameter: "+key)
		}
		expand = append(expand, vals...)
	}
	s.mu.Lock()
	pay, ok := s.payments[id]
	s.mu.Unlock()
	if !ok {
		return *missing("payment_intent", id, "intent")
	}
	return okJSON(renderIntent(pay, s.opts.OrderIDKey, expansionOf(expand, "")), "amount_received")
}

func (s *Server) listRefunds(q url.Values) providerfake.Response {
	p, refusal := parseList(q, "charge", "payment_intent")
	if refusal != nil {
		return *refusal
	}
	piFilter := q.Get("payment_intent")
	if ch := q.Get("charge"); ch != "" {
		piFilter = "pi_" + strings.TrimPrefix(ch, "ch_")
	}
	s.mu.Lock()
	s.index()
	entries := s.refunds
	pos := s.refundPos
	if piFilter != "" {
		// One payment's refunds: few, so filter them linearly.
		entries, pos = nil, map[string]int{}
		if pay, ok := s.payments[piFilter]; ok {
			for i := range pay.Refunds {
				entries = append(entries, refundEntry{&pay.Refunds[i], pay.ID})
			}
			slices.SortFunc(entries, func(a, b refundEntry) int {
				return newestFirst(a.r.CreatedAt.Unix(), b.r.CreatedAt.Unix(), a.r.ID, b.r.ID)
			})
			for i, e := range entries {
				pos[e.r.ID] = i
			}
		}
	}
	created := func(i int) int64 { return entries[i].r.CreatedAt.Unix() }
	lo := sort.Search(len(entries), func(i int) bool { return created(i) < p.lt })
	hi := sort.Search(len(entries), func(i int) bool { return created(i) < p.gte })
	cursor := -1
	if c := p.startingAfter + p.endingBefore; c != "" {
		at, ok := pos[c]
		if !ok {
			s.mu.Unlock()
			return *missing("refund", c, cut2param(p))
		}
		cursor = at
	}
	from, to, more := cut(lo, hi, cursor, p)
	page := slices.Clone(entries[from:to])
	s.mu.Unlock()

	data := make([]any, len(page))
	for i, e := range page {
		data[i] = renderRefund(e.r, e.pi)
	}
	return okJSON(wireList{Object: "list", URL: "/v1/refunds", HasMore: more, Data: data}, "amount")
}

func (s *Server) getRefund(id string, q url.Values) providerfake.Response {
	for key := range q {
		if !isExpand(key) {
			return *invalid("parameter_unknown", key, "Received unknown parameter: "+key)
		}
	}
	s.mu.Lock()
	piID, ok := s.refundPI[id]
	var r orderbot.Refund
	if ok {
		for _, x := range s.payments[piID].Refunds {
			if x.ID == id {
				r = x
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return *missing("refund", id, "refund")
	}
	return okJSON(renderRefund(&r, piID), "amount")
}

// okJSON is a 200 answer whose field a WrongType fault corrupts by default:
// amount_received of intents, amount of refunds, the fields a client is sure
// to read.
func okJSON(v any, field string) providerfake.Response {
	resp := providerfake.JSON(http.StatusOK, v)
	resp.WrongTypeField = field
	return resp
}

var _ http.Handler = (*Server)(nil)
