package kuaidi100

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

// opTrack names the query in errors, logs and metrics.
const opTrack = "kuaidi100.query"

const (
	// DefaultName is the source name when Options.Name is empty.
	DefaultName = "kuaidi100"
	// DefaultAPIURL is Kuaidi100's query host.
	DefaultAPIURL = "https://poll.kuaidi100.com"
	// DefaultResultV2 asks for advanced sub-states, which tell a locker
	// delivery or a refusal apart from plain states, plus the predicted
	// arrival (arrivalTime), without which shipping.overdue cannot be judged.
	DefaultResultV2 = "8"
	queryPath       = "/poll/query.do"
)

// china is Kuaidi100's trace time zone. China has no daylight saving time, so
// a fixed offset is exact and needs no tz database.
var china = time.FixedZone("CST", 8*3600)

// Options configure a Client. Credentials are plain strings: config wiring
// resolves secrets.
type Options struct {
	// Settings are the options every adapter shares: Name (default "kuaidi100")
	// is Shipment.Source; APIURL is the API host, default
	// "https://poll.kuaidi100.com" (/poll/query.do is joined to it); RateLimit 0
	// means none.
	httpclient.Settings

	// Customer is the company code Kuaidi100 issued. Required.
	Customer string
	// Key is the signing key. Required.
	Key string
	// ResultV2 asks for richer answers: "0" none, "1" area parsing and status
	// names, "4" (default) advanced sub-states, "8" also ETA.
	ResultV2 string
	// Carriers maps courier slugs to Kuaidi100 company codes on top of
	// DefaultCarriers() (an entry here wins).
	Carriers map[string]string
	// Phone is a phone number known to the couriers in PhoneCarriers (usually
	// the shop's sender phone); only its last four digits are sent.
	Phone string
	// PhoneCarriers are the Kuaidi100 codes that get the phone tail; nil means
	// DefaultPhoneCarriers(), empty means none.
	PhoneCarriers []string
	// TimeZone of trace times; default China (UTC+8).
	TimeZone string
}

// Client queries Kuaidi100. It implements orderbot.TrackingSource and is safe
// for concurrent use.
type Client struct {
	name          string
	customer, key string
	resultV2      string
	carriers      map[string]string
	phoneTail     string
	phoneCarriers map[string]bool
	loc           *time.Location
	http          *httpclient.Client
	log           *slog.Logger
}

var _ orderbot.TrackingSource = (*Client)(nil)

// New validates opts and builds a Client. Bad options are KindInvalid errors.
func New(opts Options) (*Client, error) {
	const op = "kuaidi100.new"
	if strings.TrimSpace(opts.Customer) == "" || strings.TrimSpace(opts.Key) == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "customer and key are required")
	}
	c := &Client{
		name:          opts.Name,
		customer:      opts.Customer,
		key:           opts.Key,
		resultV2:      opts.ResultV2,
		carriers:      DefaultCarriers(),
		phoneTail:     phoneTail(opts.Phone),
		phoneCarriers: map[string]bool{},
		loc:           china,
		log:           opts.Logger,
	}
	if c.name == "" {
		c.name = DefaultName
	}
	switch c.resultV2 {
	case "":
		c.resultV2 = DefaultResultV2
	case "0", "1", "4", "8":
	default:
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "resultv2 must be 0, 1, 4 or 8")
	}
	if opts.Phone != "" && c.phoneTail == "" {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "phone has fewer than four digits")
	}
	if opts.TimeZone != "" {
		loc, err := time.LoadLocation(opts.TimeZone)
		if err != nil {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "unknown time zone %q", opts.TimeZone)
		}
		c.loc = loc
	}
	for k, v := range opts.Carriers {
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		if k == "" || v == "" {
			return nil, orderbot.Errorf(orderbot.KindInvalid, op, "carrier map entries need a slug and a code")
		}
		c.carriers[k] = v
	}
	pc := opts.PhoneCarriers
	if pc == nil {
		pc = DefaultPhoneCarriers()
	}
	for _, code := range pc {
		c.phoneCarriers[strings.ToLower(strings.TrimSpace(code))] = true
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	base := opts.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	secrets := []string{opts.Key, opts.Customer}
	if opts.Phone != "" {
		secrets = append(secrets, opts.Phone)
	}
	hopts := httpclient.Options{
		BaseURL:     strings.TrimRight(base, "/"),
		Secrets:     secrets,
		Header:      http.Header{"Accept": {"application/json"}},
		DecodeError: decodeError,
		Logger:      c.log.With("source", c.name),
	}
	var err error
	if c.http, err = opts.NewClient("kuaidi100", hopts); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns the configured source name.
func (c *Client) Name() string { return c.name }

// CarrierCode returns the Kuaidi100 company code for a carrier slug or code.
func (c *Client) CarrierCode(carrier string) string {
	k := strings.ToLower(strings.TrimSpace(carrier))
	if code, ok := c.carriers[k]; ok {
		return code
	}
	return k
}

// Track queries one parcel. The carrier is required (Kuaidi100 has no lookup by
// number alone here). A number without any trace yet is KindNotFound.
func (c *Client) Track(ctx context.Context, ref orderbot.ShipmentRef) (orderbot.Shipment, error) {
	number := strings.TrimSpace(ref.TrackingNumber)
	if number == "" {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindInvalid, opTrack, "empty tracking number")
	}
	if len(number) > 32 {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindInvalid, opTrack, "tracking number longer than 32 characters")
	}
	com := c.CarrierCode(ref.Carrier)
	if com == "" {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindInvalid, opTrack, "carrier is required")
	}
	p := queryParam{Com: com, Num: number, ResultV2: c.resultV2}
	if c.phoneCarriers[com] {
		p.Phone = c.phoneTail
	}
	param, err := encodeParam(p)
	if err != nil {
		return orderbot.Shipment{}, orderbot.Wrap(orderbot.KindInvalid, opTrack, err, "encoding the query")
	}
	form := url.Values{
		"customer": {c.customer},
		"param":    {param},
		"sign":     {sign(param, c.key, c.customer)},
	}
	// A query reads; repeating it is harmless, so the policy may retry it.
	resp, err := c.http.Do(ctx, httpclient.Request{Op: opTrack, Method: http.MethodPost, Path: queryPath, Form: form, Idempotent: true})
	if err != nil {
		return orderbot.Shipment{}, err
	}
	var qr queryResponse
	if err := httpclient.DecodeJSON(opTrack, resp.Body, &qr); err != nil {
		return orderbot.Shipment{}, err
	}
	if (qr.Result != nil && !*qr.Result) || qr.ReturnCode != "" {
		return orderbot.Shipment{}, returnCodeError(opTrack, qr.ReturnCode, qr.Message)
	}
	if qr.Message != "ok" {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindPermanent, opTrack, "unexpected answer (message %q)", truncate(qr.Message, 100))
	}
	return c.toShipment(ref, com, &qr)
}

// toShipment maps a successful answer. The tracking number and carrier are the
// caller's, so the record joins the order it came from.
func (c *Client) toShipment(ref orderbot.ShipmentRef, com string, qr *queryResponse) (orderbot.Shipment, error) {
	s := orderbot.Shipment{
		TrackingNumber: strings.TrimSpace(ref.TrackingNumber),
		Carrier:        ref.Carrier,
		StatusCode:     qr.State,
		Source:         c.name,
		URL:            "https://www.kuaidi100.com/chaxun?com=" + url.QueryEscape(com) + "&nu=" + url.QueryEscape(strings.TrimSpace(ref.TrackingNumber)),
	}
	st, known := shipmentStatus(qr.State)
	if !known {
		c.log.Warn("kuaidi100: unknown state code", "source", c.name, "state", qr.State)
	}
	s.Status, s.StatusText = st.status, st.name
	if len(qr.Data) > 0 {
		s.Checkpoints = make([]orderbot.Checkpoint, 0, len(qr.Data))
	}
	for i, n := range qr.Data {
		raw, field := n.Ftime, "ftime"
		if raw == "" {
			raw, field = n.Time, "time"
		}
		at, err := time.ParseInLocation(timeLayout, strings.TrimSpace(raw), c.loc)
		if err != nil {
			return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindPermanent, opTrack, "field %q: %q is not a time like %s",
				"data["+strconv.Itoa(i)+"]."+field, truncate(raw, 40), timeLayout)
		}
		cp := orderbot.Checkpoint{Time: at, Message: n.Context, Location: n.AreaName, Code: n.StatusCode}
		if cp.Location == "" {
			cp.Location = n.Location
		}
		switch {
		case n.StatusCode != "":
			cs, _ := shipmentStatus(n.StatusCode)
			cp.Status = cs.status
		case n.Status != "":
			cp.Status = nameStatus[n.Status]
		}
		s.Checkpoints = append(s.Checkpoints, cp)
	}
	// Newest first is Kuaidi100's default order; sort anyway (stably) so an
	// "asc" account setting cannot reverse the domain's order.
	slices.SortStableFunc(s.Checkpoints, func(a, b orderbot.Checkpoint) int { return b.Time.Compare(a.Time) })
	if eta := strings.TrimSpace(qr.ArrivalTime); eta != "" {
		// A prediction the adapter cannot read is dropped, not an error: the
		// trace itself is still good.
		for _, layout := range arrivalLayouts {
			if t, err := time.ParseInLocation(layout, eta, c.loc); err == nil {
				s.ExpectedDelivery = t
				break
			}
		}
	}
	if len(s.Checkpoints) == 0 {
		return s, nil
	}
	s.LastEventAt = s.Checkpoints[0].Time
	for i := len(s.Checkpoints) - 1; i >= 0; i-- {
		if s.Checkpoints[i].Status.Picked() {
			s.PickedUpAt = s.Checkpoints[i].Time
			break
		}
	}
	if s.Status == orderbot.ShipDelivered {
		s.DeliveredAt = s.Checkpoints[0].Time
		for _, cp := range s.Checkpoints {
			if cp.Status == orderbot.ShipDelivered {
				s.DeliveredAt = cp.Time
				break
			}
		}
	}
	return s, nil
}

// arrivalLayouts are the forms Kuaidi100's arrivalTime takes: to the hour, as
// documented, and the full trace-time form some accounts send.
var arrivalLayouts = []string{"2006-01-02 15", timeLayout, "2006-01-02"}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// CloseIdleConnections closes kept-alive connections, so that a stopped
// adapter leaves no connection goroutines behind.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
