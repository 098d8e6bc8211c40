package aftership

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// Operation names, used in errors, logs and metrics.
const (
	opListShipments = "aftership.list_trackings"
	opTrack         = "aftership.get_tracking"
)

const (
	// Version202404 is the 2024-04 API (as-api-key header).
	Version202404 = "2024-04"
	// Version202310 is the 2023-10 API (as-api-key header).
	Version202310 = "2023-10"
	// VersionV4 is the legacy v4 API (aftership-api-key header).
	VersionV4 = "v4"
)

const (
	// DefaultName is the source name when Options.Name is empty.
	DefaultName = "aftership"
	// DefaultVersion is the API version when Options.APIVersion is empty.
	DefaultVersion = Version202404
	// DefaultPageSize is the list limit when Options.PageSize is zero.
	DefaultPageSize = 100
	// MaxPageSize is AfterShip's largest list limit.
	MaxPageSize = 200
	// DefaultCreatedLookback is AfterShip's data retention: older trackings are gone anyway.
	DefaultCreatedLookback = 90 * 24 * time.Hour
	// maxRestarts bounds how often a listing starts over because the result set
	// changed under it.
	maxRestarts = 3
)

// Options configure a Client. The key is a plain string: config wiring resolves
// secrets.
type Options struct {
	// Settings are the options every adapter shares: Name (default "aftership")
	// is Shipment.Source; APIURL is the API base including the version, e.g.
	// "https://api.aftership.com/tracking/2024-04", by default AfterShip's URL
	// for APIVersion; RateLimit 0 means none.
	httpclient.Settings

	// APIKey is sent as "as-api-key" (2023-10, 2024-04) or "aftership-api-key"
	// (v4). Required.
	APIKey string
	// APIVersion is "2024-04" (default), "2023-10" or "v4"; it selects the auth
	// header and the default APIURL.
	APIVersion string
	// PageSize is the list limit; default 100, at most 200.
	PageSize int
	// CreatedLookback bounds created_at_min of a listing (To minus this), since
	// AfterShip otherwise lists only trackings created in the last 30 days and a
	// parcel updated today may be older. Default 90 days (data retention).
	CreatedLookback time.Duration
}

// Client reads trackings from AfterShip. It implements orderbot.ShipmentLister
// and is safe for concurrent use.
type Client struct {
	name     string
	http     *httpclient.Client
	pageSize int
	lookback time.Duration
	log      *slog.Logger
}

var _ orderbot.ShipmentLister = (*Client)(nil)

// Versions are the API versions the adapter speaks.
var Versions = []string{Version202404, Version202310, VersionV4}

// BaseURL is AfterShip's API base for a version: v4 has its own path.
func BaseURL(version string) string {
	if version == VersionV4 {
		return "https://api.aftership.com/v4"
	}
	return "https://api.aftership.com/tracking/" + version
}

// New validates opts and builds a Client. Bad options are KindInvalid errors.
func New(opts Options) (*Client, error) {
	const op = "aftership.new"
	if strings.TrimSpace(opts.APIKey) == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "api key is required")
	}
	version := opts.APIVersion
	if version == "" {
		version = DefaultVersion
	}
	header := "as-api-key"
	switch version {
	case Version202404, Version202310:
	case VersionV4:
		header = "aftership-api-key"
	default:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "api version %q is not supported (2024-04, 2023-10, v4)", version)
	}
	base := BaseURL(version)
	if opts.APIURL != "" {
		base = opts.APIURL
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Fill(DefaultName, "", 0)
	c := &Client{name: opts.Name, pageSize: opts.PageSize, lookback: opts.CreatedLookback, log: opts.Logger}
	switch {
	case c.pageSize <= 0:
		c.pageSize = DefaultPageSize
	case c.pageSize > MaxPageSize:
		c.pageSize = MaxPageSize
	}
	if c.lookback <= 0 {
		c.lookback = DefaultCreatedLookback
	}
	clock := time.Now
	hopts := httpclient.Options{
		Provider: "aftership",
		BaseURL:  strings.TrimRight(base, "/"),
		Timeout:  opts.Timeout, MaxRetries: opts.MaxRetries, RateLimit: opts.RateLimit,
		Secrets: []string{opts.APIKey},
		Header: http.Header{
			http.CanonicalHeaderKey(header): {opts.APIKey},
			"Accept":                        {"application/json"},
		},
		// The reset time is an instant: measure it against the policy's clock,
		// which HTTPOptions may replace (tests).
		RateHeaders: func(h http.Header) time.Duration { return paceFromHeaders(h, clock()) },
		DecodeError: decodeError,
		Logger:      c.log.With("source", c.name),
	}
	if opts.HTTPOptions != nil {
		opts.HTTPOptions(&hopts)
	}
	if hopts.Now != nil {
		clock = hopts.Now
	}
	var err error
	if c.http, err = httpclient.New(hopts); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns the configured source name.
func (c *Client) Name() string { return c.name }

// ListShipments lists trackings updated in w, page by page. AfterShip pages by
// offset (newest created first), so a tracking updated out of the window while
// paging shifts later pages; the listing notices through the total count and
// starts over, delivering each tracking again only if it is newer.
func (c *Client) ListShipments(ctx context.Context, w orderbot.Window, page func([]orderbot.Shipment) error) error {
	if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
		return nil
	}
	to := w.To
	if to.IsZero() {
		to = time.Now()
	}
	base := url.Values{
		"limit":          {strconv.Itoa(c.pageSize)},
		"created_at_min": {formatTime(to.Add(-c.lookback))},
		"updated_at_max": {formatTime(ceilSecond(to))},
		"created_at_max": {formatTime(ceilSecond(to))},
		"updated_at_min": {formatTime(w.From.Truncate(time.Second))},
	}
	if w.From.IsZero() {
		base.Del("updated_at_min")
	}
	seen := map[string]string{} // tracking id → updated_at delivered
	count, restarts := -1, 0
	for p := 1; ; p++ {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(p))
		resp, err := c.http.Do(ctx, httpclient.Request{Op: opListShipments, Path: "/trackings", Query: q})
		if err != nil {
			return err
		}
		var lr listResponse
		if err := httpclient.DecodeJSON(opListShipments, resp.Body, &lr); err != nil {
			return err
		}
		if err := checkMeta(opListShipments, lr.Meta); err != nil {
			return err
		}
		if count >= 0 && lr.Data.Count != count {
			restarts++
			if restarts > maxRestarts {
				return orderbot.Errorf(orderbot.KindTransient, opListShipments, "the tracking list kept changing while paging; try again")
			}
			c.log.Info("aftership: tracking list changed while paging, starting over", "source", c.name,
				"count_before", count, "count_now", lr.Data.Count)
			count, p = -1, 0
			continue
		}
		count = lr.Data.Count
		out := make([]orderbot.Shipment, 0, len(lr.Data.Trackings))
		for i := range lr.Data.Trackings {
			tr := &lr.Data.Trackings[i]
			s, err := c.toShipment(opListShipments, "data.trackings["+strconv.Itoa(i)+"]", tr)
			if err != nil {
				return err
			}
			key := tr.ID
			if key == "" {
				key = tr.Slug + "/" + tr.TrackingNumber
			}
			if prev, ok := seen[key]; ok && !newerStamp(tr.UpdatedAt, prev) {
				continue
			}
			seen[key] = tr.UpdatedAt
			out = append(out, s)
		}
		if len(out) > 0 {
			if err := page(out); err != nil {
				return err
			}
		}
		if len(lr.Data.Trackings) < c.pageSize || p*c.pageSize >= count {
			return nil
		}
	}
}

// Track reads one tracking by courier slug and number. Without a slug it looks
// the number up in the list (AfterShip needs the slug for the direct path) and
// takes the most recently updated match. A missing tracking is KindNotFound.
func (c *Client) Track(ctx context.Context, ref orderbot.ShipmentRef) (orderbot.Shipment, error) {
	number := strings.TrimSpace(ref.TrackingNumber)
	if number == "" {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindInvalid, opTrack, "empty tracking number")
	}
	slug := strings.ToLower(strings.TrimSpace(ref.Carrier))
	if slug == "" {
		return c.trackByNumber(ctx, number)
	}
	resp, err := c.http.Do(ctx, httpclient.Request{Op: opTrack,
		Path: "/trackings/" + url.PathEscape(slug) + "/" + url.PathEscape(number)})
	if err != nil {
		return orderbot.Shipment{}, err
	}
	var tr trackingResponse
	if err := httpclient.DecodeJSON(opTrack, resp.Body, &tr); err != nil {
		return orderbot.Shipment{}, err
	}
	if err := checkMeta(opTrack, tr.Meta); err != nil {
		return orderbot.Shipment{}, err
	}
	return c.toShipment(opTrack, "data.tracking", &tr.Data.Tracking)
}

func (c *Client) trackByNumber(ctx context.Context, number string) (orderbot.Shipment, error) {
	q := url.Values{"tracking_numbers": {number}, "limit": {strconv.Itoa(MaxPageSize)},
		"created_at_min": {formatTime(time.Now().Add(-c.lookback))}}
	resp, err := c.http.Do(ctx, httpclient.Request{Op: opTrack, Path: "/trackings", Query: q})
	if err != nil {
		return orderbot.Shipment{}, err
	}
	var lr listResponse
	if err := httpclient.DecodeJSON(opTrack, resp.Body, &lr); err != nil {
		return orderbot.Shipment{}, err
	}
	if err := checkMeta(opTrack, lr.Meta); err != nil {
		return orderbot.Shipment{}, err
	}
	best := -1
	for i, tr := range lr.Data.Trackings {
		if tr.TrackingNumber == number && (best < 0 || newerStamp(tr.UpdatedAt, lr.Data.Trackings[best].UpdatedAt)) {
			best = i
		}
	}
	if best < 0 {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindNotFound, opTrack, "no tracking with that number")
	}
	return c.toShipment(opTrack, "data.trackings["+strconv.Itoa(best)+"]", &lr.Data.Trackings[best])
}

// checkMeta rejects a 2xx answer whose envelope reports an error.
func checkMeta(op string, m meta) error {
	switch m.Code {
	case 200, 201:
		return nil
	case 0:
		return orderbot.Errorf(orderbot.KindPermanent, op, "field %q: missing", "meta.code")
	}
	kind := orderbot.KindPermanent
	switch {
	case m.Code == 401 || m.Code == 403:
		kind = orderbot.KindUnauthorized
	case m.Code == 404 || m.Code == 4004:
		kind = orderbot.KindNotFound
	case m.Code == 429:
		kind = orderbot.KindRateLimited
	case m.Code >= 500 && m.Code < 600:
		kind = orderbot.KindTransient
	case m.Code >= 400 && m.Code < 5000:
		kind = orderbot.KindInvalid
	}
	return orderbot.Errorf(kind, op, "aftership reported %s", metaText(m))
}

// newerStamp reports whether timestamp a is after b; unreadable stamps compare
// as text, which is right for AfterShip's fixed format.
func newerStamp(a, b string) bool {
	ta, errA := parseTime(a)
	tb, errB := parseTime(b)
	if errA != nil || errB != nil {
		return a > b
	}
	return ta.After(tb)
}

func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// CloseIdleConnections closes kept-alive connections, so that a stopped
// adapter leaves no connection goroutines behind.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
