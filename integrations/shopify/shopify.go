package shopify

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// Defaults of Options.
const (
	DefaultName = "shopify"
	// DefaultAPIVersion is the newest version providers.md was checked against;
	// Shopify serves a retired version as the oldest supported one, so set
	// api_version in config when upgrading.
	DefaultAPIVersion = "2025-10"
	// MaxPageSize is Shopify's largest page (limit).
	MaxPageSize = 250
	// DefaultLeakRate is the call-limit bucket's drain on standard plans
	// (requests per second); Advanced leaks 4, Plus 20.
	DefaultLeakRate = 2.0
	// DefaultHeadroom is how many bucket slots pacing keeps free for other
	// apps and for our own retries.
	DefaultHeadroom = 10
	// DefaultCatalogTTL is how long the variant → SKU map and the locations
	// are reused before being listed again.
	DefaultCatalogTTL = time.Hour
)

// Options configure the adapter. Credentials are plain strings: the config
// package resolves secrets, adapters do not import it.
type Options struct {
	// Settings are the options every adapter shares: Name defaults to "shopify";
	// APIURL is the shop's base URL, https://{shop}.myshopify.com, and required;
	// RateLimit 0 means no limit on top of the call-limit pacing.
	httpclient.Settings

	// AccessToken is the Admin API access token (shpat_...); required.
	AccessToken string
	// APIVersion is the quarterly API version; default DefaultAPIVersion.
	APIVersion string
	// AdminURL is the base of admin links on cards; default APIURL + "/admin".
	AdminURL string
	// PageSize is the page size, 1–250; default 250.
	PageSize int
	// CODGateways are extra payment gateway names that mean cash on delivery,
	// besides names containing "cash on delivery" or "COD".
	CODGateways []string
	// CarrierSlugs maps tracking_company names (any case) to courier slugs,
	// on top of the built-in table.
	CarrierSlugs map[string]string
	// Locations limits stock to these location ids or names; empty means
	// every active location.
	Locations []string
	// CatalogTTL is how long the variant → SKU map and the locations are
	// cached; default 1h. A level for an unknown item refreshes them anyway.
	CatalogTTL time.Duration
	// LeakRate is the call-limit bucket's drain per second; default 2.
	LeakRate float64
	// Headroom is how many bucket slots pacing keeps free; default 10.
	Headroom int
}

// Client is the Shopify adapter. It is safe for concurrent use.
type Client struct {
	name       string
	base       string // /admin/api/{version}
	adminURL   string
	pageSize   int
	cod        []string
	carriers   map[string]string
	locFilter  []string
	catalogTTL time.Duration
	http       *httpclient.Client
	log        *slog.Logger
	deprecated sync.Once

	catMu   sync.Mutex
	catalog *catalog
}

var (
	_ orderbot.OrderSource     = (*Client)(nil)
	_ orderbot.InventorySource = (*Client)(nil)
)

// New builds the adapter; a missing token or URL is a KindInvalid error.
func New(opts Options) (*Client, error) {
	const op = "shopify.new"
	opts.Fill(DefaultName, "", 0)
	if opts.AccessToken == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: an access token is required", opts.Name)
	}
	u, err := url.Parse(opts.APIURL)
	if opts.APIURL == "" || err != nil || u.Host == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: api_url must be the shop URL, https://{shop}.myshopify.com", opts.Name)
	}
	if opts.APIVersion == "" {
		opts.APIVersion = DefaultAPIVersion
	}
	if !validVersion(opts.APIVersion) {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "%s: api_version %q is not YYYY-MM or unstable", opts.Name, opts.APIVersion)
	}
	if opts.PageSize <= 0 || opts.PageSize > MaxPageSize {
		opts.PageSize = MaxPageSize
	}
	if opts.AdminURL == "" {
		opts.AdminURL = strings.TrimRight(u.Scheme+"://"+u.Host, "/") + "/admin"
	}
	if opts.CatalogTTL <= 0 {
		opts.CatalogTTL = DefaultCatalogTTL
	}
	if opts.LeakRate <= 0 {
		opts.LeakRate = DefaultLeakRate
	}
	if opts.Headroom <= 0 {
		opts.Headroom = DefaultHeadroom
	}
	carriers := make(map[string]string, len(carrierSlugs)+len(opts.CarrierSlugs))
	for k, v := range carrierSlugs {
		carriers[k] = v
	}
	for k, v := range opts.CarrierSlugs {
		carriers[normalizeName(k)] = v
	}
	cod := make([]string, 0, len(opts.CODGateways))
	for _, g := range opts.CODGateways {
		cod = append(cod, normalizeName(g))
	}
	hopts := httpclient.Options{
		BaseURL:     strings.TrimRight(opts.APIURL, "/"),
		Secrets:     []string{opts.AccessToken},
		Header:      http.Header{"X-Shopify-Access-Token": {opts.AccessToken}, "Accept": {"application/json"}},
		RateHeaders: CallLimitPacing(opts.LeakRate, opts.Headroom),
		DecodeError: decodeError,
	}
	hc, err := opts.NewClient("shopify", hopts)
	if err != nil {
		return nil, err
	}
	return &Client{
		name:       opts.Name,
		base:       "/admin/api/" + opts.APIVersion,
		adminURL:   strings.TrimRight(opts.AdminURL, "/"),
		pageSize:   opts.PageSize,
		cod:        cod,
		carriers:   carriers,
		locFilter:  opts.Locations,
		catalogTTL: opts.CatalogTTL,
		http:       hc,
		log:        opts.Logger.With("source", opts.Name),
	}, nil
}

func validVersion(v string) bool {
	if v == "unstable" {
		return true
	}
	if len(v) != 7 || v[4] != '-' {
		return false
	}
	y, err1 := strconv.Atoi(v[:4])
	m, err2 := strconv.Atoi(v[5:])
	return err1 == nil && err2 == nil && y > 2000 && m >= 1 && m <= 12
}

// Name implements orderbot.Source.
func (c *Client) Name() string { return c.name }

// Side implements orderbot.InventorySource: Shopify's levels are what the shop
// sells from.
func (c *Client) Side() orderbot.StockSide { return orderbot.SideShop }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// CallLimitPacing returns the httpclient RateHeaders hook for Shopify's leaky
// bucket: X-Shopify-Shop-Api-Call-Limit "used/size". Once fewer than headroom
// slots are free it waits for the excess to leak out at leak per second, so a
// long listing slows down before Shopify answers 429 instead of after.
func CallLimitPacing(leak float64, headroom int) func(http.Header) time.Duration {
	return func(h http.Header) time.Duration {
		used, size, ok := parseCallLimit(h.Get("X-Shopify-Shop-Api-Call-Limit"))
		if !ok || leak <= 0 {
			return 0
		}
		over := used - (size - min(headroom, size-1))
		if over <= 0 {
			return 0
		}
		return time.Duration(float64(over) / leak * float64(time.Second))
	}
}

func parseCallLimit(v string) (used, size int, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(v), "/")
	if !found {
		return 0, 0, false
	}
	used, err1 := strconv.Atoi(a)
	size, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || size <= 0 {
		return 0, 0, false
	}
	return used, size, true
}

// decodeError reads {"errors": string | {field: [messages]} | [...]} and the
// OAuth {"error", "error_description"} shape.
func decodeError(_ int, _ http.Header, body []byte) string {
	var env struct {
		Errors           json.RawMessage `json:"errors"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &env) != nil {
		return httpclient.GenericErrorMessage(body)
	}
	if len(env.Errors) > 0 {
		var s string
		if json.Unmarshal(env.Errors, &s) == nil {
			return s
		}
		var fields map[string][]string
		if json.Unmarshal(env.Errors, &fields) == nil {
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, k+" "+strings.Join(fields[k], ", "))
			}
			return strings.Join(parts, "; ")
		}
		var list []string
		if json.Unmarshal(env.Errors, &list) == nil {
			return strings.Join(list, "; ")
		}
	}
	if env.Error != "" {
		return strings.TrimSpace(env.Error + ": " + env.ErrorDescription)
	}
	return httpclient.GenericErrorMessage(body)
}

// get sends one GET and logs Shopify's deprecation warning once per client.
func (c *Client) get(ctx context.Context, op, path string, q url.Values) (*httpclient.Response, error) {
	resp, err := c.http.Do(ctx, httpclient.Request{Op: op, Path: path, Query: q})
	if err != nil {
		return nil, err
	}
	if reason := resp.Header.Get("X-Shopify-API-Deprecated-Reason"); reason != "" {
		c.deprecated.Do(func() {
			c.log.Warn("shopify reports a deprecated API call; update api_version", "op", op, "reason", reason)
		})
	}
	return resp, nil
}

// pages walks a Link-paginated listing: the first request with q, then each
// rel="next" URL verbatim (Shopify carries the filters inside page_info and
// rejects them repeated). each receives every page's body, in order, on the
// calling goroutine. The next page is fetched while each works on the current
// one, so network time and processing overlap; when each fails or ctx ends,
// the fetch in flight is cancelled and pages returns only after it stopped.
func (c *Client) pages(ctx context.Context, op, path string, q url.Values, each func(body []byte) error) error {
	type page struct {
		body []byte
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan page) // unbuffered: at most one page ahead of each
	// stop, not ctx, ends a pending send: with ctx the fetcher could drop the
	// error of a cancelled request and the listing would end as if complete.
	stop := make(chan struct{})
	go func() {
		defer close(ch)
		next, query := c.base+path, q
		for next != "" {
			var p page
			resp, err := c.get(ctx, op, next, query)
			if err != nil {
				p.err = err
			} else {
				p.body = resp.Body
				link := nextLink(resp.Header.Values("Link"))
				if link == next {
					link = ""
					p.err = orderbot.Errorf(orderbot.KindPermanent, op, "%s: pagination link did not advance", c.name)
				}
				next, query = link, nil
			}
			select {
			case ch <- p:
			case <-stop:
				return
			}
			if p.err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		cancel()
		for range ch { // wait for the fetcher to stop
		}
	}()
	for p := range ch {
		if err := ctx.Err(); err != nil {
			// A page fetched before the caller gave up is not delivered.
			return orderbot.Wrap(orderbot.KindTransient, op, err, c.name+": listing cancelled")
		}
		if p.body != nil {
			if err := each(p.body); err != nil {
				return err
			}
		}
		if p.err != nil {
			return p.err
		}
	}
	return nil
}

// nextLink finds the rel="next" URL in RFC 8288 Link header values:
// <url>; rel="next", <url>; rel="previous".
func nextLink(values []string) string {
	for _, v := range values {
		for len(v) > 0 {
			start := strings.IndexByte(v, '<')
			if start < 0 {
				break
			}
			end := strings.IndexByte(v[start:], '>')
			if end < 0 {
				break
			}
			target := v[start+1 : start+end]
			rest := v[start+end+1:]
			params := rest
			if i := strings.IndexByte(rest, '<'); i >= 0 {
				params = rest[:i]
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ",")), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
						if strings.EqualFold(rel, "next") {
							return target
						}
					}
				}
			}
			v = rest
		}
	}
	return ""
}
