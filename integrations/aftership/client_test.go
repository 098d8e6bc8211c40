package aftership_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/aftershipfake"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// addShipments stores shipments updated at updatedAt, failing the test on a refused one.
func addShipments(t testing.TB, srv *aftershipfake.Server, updatedAt time.Time, shipments ...orderbot.Shipment) {
	t.Helper()
	if err := srv.AddShipments(updatedAt, shipments...); err != nil {
		t.Fatal(err)
	}
}

func newFake(t *testing.T, opts aftershipfake.Options) *aftershipfake.Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0.Add(time.Hour) }
	}
	srv := aftershipfake.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, srv *aftershipfake.Server, edit func(*aftership.Options)) (*aftership.Client, *conformance.Sleeper) {
	t.Helper()
	sl := &conformance.Sleeper{}
	opts := aftership.Options{
		Settings: httpclient.Settings{Name: "as", APIURL: srv.URL(), Timeout: conformance.GenerousTimeout, HTTPOptions: func(o *httpclient.Options) { o.Sleep = sl.Sleep }},

		APIKey: srv.APIKey(), PageSize: 10,
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := aftership.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func parcel(i int) orderbot.Shipment {
	return orderbot.Shipment{
		TrackingNumber: fmt.Sprintf("1Z%08d", i), Carrier: "ups", OrderID: fmt.Sprintf("#%d", 1000+i),
		Status: orderbot.ShipInTransit, StatusCode: "InTransit_001", StatusText: "In transit", Source: "as",
	}
}

// putRange stores parcels from..to, parcel i updated at t0+i minutes.
func putRange(t testing.TB, srv *aftershipfake.Server, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		addShipments(t, srv, t0.Add(time.Duration(i)*time.Minute), parcel(i))
	}
}

func collect(t *testing.T, c *aftership.Client, w orderbot.Window) ([]orderbot.Shipment, int) {
	t.Helper()
	return conformance.Collect(t, func(ctx context.Context, page func([]orderbot.Shipment) error) error {
		return c.ListShipments(ctx, w, page)
	})
}

func numbers(ss []orderbot.Shipment) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.TrackingNumber
	}
	return out
}

func TestAuthHeaderExact(t *testing.T) {
	for _, tt := range []struct {
		version, header string
	}{
		{"2024-04", "As-Api-Key"},
		{"2023-10", "As-Api-Key"},
		{"v4", "Aftership-Api-Key"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			srv := newFake(t, aftershipfake.Options{APIKey: "as-key-0001", Version: tt.version})
			addShipments(t, srv, t0, parcel(1))
			c, _ := newClient(t, srv, func(o *aftership.Options) { o.APIVersion = tt.version })
			if _, err := c.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: parcel(1).TrackingNumber, Carrier: "UPS"}); err != nil {
				t.Fatal(err)
			}
			req := srv.Requests()[0]
			if req.Header.Get(tt.header) != "as-key-0001" || len(req.Header.Values(tt.header)) != 1 {
				t.Errorf("%s = %q", tt.header, req.Header.Values(tt.header))
			}
			if !strings.HasSuffix(req.Path, "/trackings/ups/"+parcel(1).TrackingNumber) {
				t.Errorf("path = %s", req.Path)
			}
			bad, _ := newClient(t, srv, func(o *aftership.Options) { o.APIVersion = tt.version; o.APIKey = "as-key-0002" })
			_, err := bad.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: parcel(1).TrackingNumber, Carrier: "ups"})
			if !orderbot.IsKind(err, orderbot.KindUnauthorized) || !strings.Contains(err.Error(), "Invalid API key") || strings.Contains(err.Error(), "as-key-0002") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestListSeveralPages(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	putRange(t, srv, 1, 25)
	putRange(t, srv, 50, 52) // outside the window
	c, _ := newClient(t, srv, nil)
	got, pages := collect(t, c, orderbot.Window{From: t0, To: t0.Add(30 * time.Minute)})
	if len(got) != 25 || pages != 3 {
		t.Fatalf("got %d in %d pages", len(got), pages)
	}
	// Newest created first, as AfterShip lists.
	if got[0].TrackingNumber != parcel(25).TrackingNumber || got[24].TrackingNumber != parcel(1).TrackingNumber {
		t.Errorf("order = %v", numbers(got))
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[0].Query
	want := map[string]string{
		"page": "1", "limit": "10", "updated_at_min": "2024-05-01T10:00:00Z", "updated_at_max": "2024-05-01T10:30:00Z",
		"created_at_min": "2024-02-01T10:30:00Z",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if reqs[2].Query.Get("page") != "3" {
		t.Errorf("third page = %s", reqs[2].Query.Get("page"))
	}
}

func TestListOldTrackingUpdatedToday(t *testing.T) {
	// Created 60 days before the window: AfterShip's default created_at_min
	// (30 days) would hide it; the adapter's lookback must not.
	now := t0.Add(61 * 24 * time.Hour)
	srv := newFake(t, aftershipfake.Options{Now: func() time.Time { return now }})
	addShipments(t, srv, t0, parcel(1))
	addShipments(t, srv, now.Add(-time.Minute), parcel(1))
	c, _ := newClient(t, srv, nil)
	got, _ := collect(t, c, orderbot.Window{From: now.Add(-time.Hour), To: now})
	if len(got) != 1 {
		t.Fatalf("got %d trackings", len(got))
	}
}

func TestListEmpty(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	c, _ := newClient(t, srv, nil)
	got, pages := collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Hour)})
	if len(got) != 0 || pages != 0 || srv.RequestCount() != 1 {
		t.Fatalf("got %d, pages %d, requests %d", len(got), pages, srv.RequestCount())
	}
	putRange(t, srv, 1, 20) // exactly two pages: stop on the count, no third request
	srv.ResetRequests()
	got, pages = collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Hour)})
	if len(got) != 20 || pages != 2 || srv.RequestCount() != 2 {
		t.Fatalf("got %d, pages %d, requests %d", len(got), pages, srv.RequestCount())
	}
}

func TestListRecordUpdatedWhilePaging(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	putRange(t, srv, 1, 25)
	c, _ := newClient(t, srv, nil)
	w := orderbot.Window{From: t0, To: t0.Add(30 * time.Minute)}
	var got []orderbot.Shipment
	pages := 0
	err := c.ListShipments(context.Background(), w, func(p []orderbot.Shipment) error {
		pages++
		got = append(got, p...)
		if pages == 1 {
			// Parcel 25 (first page: newest created) is updated after the window:
			// it leaves the result, every later row moves up one place, and
			// offset paging alone would skip parcel 15.
			p25 := parcel(25)
			p25.Status, p25.StatusCode = orderbot.ShipDelivered, "Delivered_001"
			addShipments(t, srv, t0.Add(45*time.Minute), p25)
			// Parcel 20 (also read) changes inside the window.
			p20 := parcel(20)
			p20.Status, p20.StatusCode, p20.StatusText = orderbot.ShipOutForDelivery, "OutForDelivery_001", "Out for delivery"
			addShipments(t, srv, t0.Add(29*time.Minute), p20)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range got {
		count[s.TrackingNumber]++
	}
	for i := 1; i <= 25; i++ {
		if count[parcel(i).TrackingNumber] == 0 {
			t.Errorf("parcel %d skipped", i)
		}
	}
	if count[parcel(20).TrackingNumber] != 2 {
		t.Errorf("parcel 20 delivered %d times, want 2 (old, then newer)", count[parcel(20).TrackingNumber])
	}
	for n, k := range count {
		if k > 1 && n != parcel(20).TrackingNumber {
			t.Errorf("%s delivered %d times", n, k)
		}
	}
	var last orderbot.Shipment
	for _, s := range got {
		if s.TrackingNumber == parcel(20).TrackingNumber {
			last = s
		}
	}
	if last.Status != orderbot.ShipOutForDelivery {
		t.Errorf("parcel 20 last status = %s", last.Status)
	}
}

func TestListKeepsChanging(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	putRange(t, srv, 1, 25)
	c, _ := newClient(t, srv, nil)
	n := 100
	err := c.ListShipments(context.Background(), orderbot.Window{From: t0, To: t0.Add(time.Hour)}, func([]orderbot.Shipment) error {
		// A new tracking on every page changes the count, and being the newest
		// created it heads page 1 again after every restart.
		n++
		addShipments(t, srv, t0.Add(30*time.Minute+time.Duration(n)*time.Second), parcel(n))
		return nil
	})
	if !orderbot.IsKind(err, orderbot.KindTransient) || !strings.Contains(err.Error(), "kept changing") {
		t.Fatalf("err = %v", err)
	}
}

func TestTrackWithoutSlug(t *testing.T) {
	// The lookup bounds created_at by the real clock, so the records are recent.
	now := time.Now()
	srv := newFake(t, aftershipfake.Options{Now: time.Now})
	p := parcel(1)
	other := parcel(1)
	other.Carrier = "dhl"
	addShipments(t, srv, now.Add(-2*time.Minute), other)
	addShipments(t, srv, now.Add(-time.Minute), p)
	c, _ := newClient(t, srv, nil)
	got, err := c.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: p.TrackingNumber})
	if err != nil || got.Carrier != "ups" {
		t.Fatalf("Track = %+v, %v", got, err)
	}
	if q := srv.Requests()[0].Query; q.Get("tracking_numbers") != p.TrackingNumber {
		t.Errorf("query = %v", q)
	}
	if _, err := c.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: "NOPE"}); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := c.Track(context.Background(), orderbot.ShipmentRef{}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("empty: %v", err)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    providerfake.Fault
		times    int
		edit     func(*aftership.Options)
		ref      orderbot.ShipmentRef
		wantKind orderbot.ErrorKind
		wantText string
		wantWait time.Duration
	}{
		{name: "404", times: 0, ref: orderbot.ShipmentRef{TrackingNumber: "MISSING", Carrier: "ups"},
			wantKind: orderbot.KindNotFound, wantText: "4004 NotFound: Tracking does not exist."},
		{name: "429 with Retry-After then success", fault: providerfake.Fault{Kind: providerfake.RateLimited, RetryAfter: 2 * time.Second},
			times: 1, wantWait: 2 * time.Second},
		{name: "500 then success", fault: providerfake.Fault{Kind: providerfake.ServerError}, times: 2},
		{name: "429 until retries run out", fault: providerfake.Fault{Kind: providerfake.RateLimited}, times: 10,
			wantKind: orderbot.KindRateLimited, wantText: "429 TooManyRequests"},
		{name: "500 until retries run out", fault: providerfake.Fault{Kind: providerfake.ServerError}, times: 10,
			wantKind: orderbot.KindTransient, wantText: "500 InternalError"},
		{name: "timeout", fault: providerfake.Fault{Kind: providerfake.Slow}, times: 1, // held until the client gives up
			edit:     func(o *aftership.Options) { o.Timeout = 100 * time.Millisecond; o.MaxRetries = -1 },
			wantKind: orderbot.KindTransient, wantText: "did not answer"},
		{name: "malformed JSON", fault: providerfake.Fault{Kind: providerfake.Malformed}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: "malformed JSON"},
		{name: "wrong type", fault: providerfake.Fault{Kind: providerfake.WrongType}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: `field "data.tracking.tracking_number": want string, got number`},
		{name: "wrong type in a checkpoint", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "checkpoint_time"}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: `field "data.tracking.checkpoints.checkpoint_time": want string, got number`},
		{name: "wrong type of a flag", fault: providerfake.Fault{Kind: providerfake.WrongType, Field: "return_to_sender"}, times: 1,
			wantKind: orderbot.KindPermanent, wantText: `field "data.tracking.return_to_sender": want boolean, got string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, aftershipfake.Options{})
			p := parcel(1)
			p.Checkpoints = []orderbot.Checkpoint{{Time: t0, Message: "Picked up", Status: orderbot.ShipInTransit, Code: "InTransit_002"}}
			addShipments(t, srv, t0, p)
			c, sl := newClient(t, srv, tt.edit)
			if tt.times > 0 {
				f := tt.fault
				f.Times = tt.times
				srv.Inject(f)
			}
			ref := tt.ref
			if ref.TrackingNumber == "" {
				ref = orderbot.ShipmentRef{TrackingNumber: p.TrackingNumber, Carrier: "ups"}
			}
			got, err := c.Track(context.Background(), ref)
			if tt.wantKind == "" {
				if err != nil || got.TrackingNumber != p.TrackingNumber {
					t.Fatalf("Track = %v, %v", got.TrackingNumber, err)
				}
				if srv.RequestCount() != tt.times+1 {
					t.Errorf("%d requests, want %d", srv.RequestCount(), tt.times+1)
				}
				if tt.wantWait > 0 && (len(sl.Waits()) == 0 || sl.Waits()[0] != tt.wantWait) {
					t.Errorf("waits = %v, want %v first", sl.Waits(), tt.wantWait)
				}
				return
			}
			conformance.CheckError(t, err, tt.wantKind, tt.wantText, srv.APIKey())
		})
	}
}

// clock is a settable test clock whose Sleep advances it instead of waiting,
// so that pacing against a rate window is exact however slowly the test runs.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return ctx.Err()
}

func TestRateHeadersPace(t *testing.T) {
	// The account allows 3 requests per second; the adapter must wait for the
	// reset announced by x-ratelimit-reset instead of running into 429s. One
	// clock drives the fake's rate window and the policy's pacing. It starts on
	// a whole second near the real time, since the adapter's created_at_min
	// bound follows the real clock.
	clk := &clock{now: time.Now().Truncate(time.Second)}
	srv := newFake(t, aftershipfake.Options{RateLimit: 3, Now: clk.Now})
	for i := 1; i <= 8; i++ {
		addShipments(t, srv, clk.Now().Add(-time.Duration(i)*time.Minute), parcel(i))
	}
	c, _ := newClient(t, srv, func(o *aftership.Options) {
		o.HTTPOptions = func(h *httpclient.Options) { h.Sleep, h.Now = clk.Sleep, clk.Now }
	})
	for i := 1; i <= 5; i++ {
		if _, err := c.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: parcel(i).TrackingNumber, Carrier: "ups"}); err != nil {
			t.Fatal(err)
		}
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	// Three requests use up the second, the adapter waits out the rest of it,
	// and the last two fit in the next.
	if !slices.Equal(statuses, []int{200, 200, 200, 200, 200}) || !slices.Equal(clk.waits, []time.Duration{time.Second}) {
		t.Fatalf("statuses = %v, waits = %v; want five 200s and one wait of 1s", statuses, clk.waits)
	}
}

func TestCancelledContext(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	putRange(t, srv, 1, 3)
	c, _ := newClient(t, srv, nil)
	srv.Inject(providerfake.Fault{Kind: providerfake.Slow}) // held until the client gives up
	took, err := conformance.CancelWhileHeld(t, srv, func(ctx context.Context) error {
		return c.ListShipments(ctx, orderbot.Window{From: t0, To: t0.Add(time.Hour)}, func([]orderbot.Shipment) error { return nil })
	})
	if !errors.Is(err, context.Canceled) || took > conformance.Prompt {
		t.Fatalf("err = %v %v after cancel; want context.Canceled well before the attempt timeout", err, took)
	}
}

func TestRoundTrip(t *testing.T) {
	srv := newFake(t, aftershipfake.Options{})
	c, _ := newClient(t, srv, nil)
	sh := time.FixedZone("CST", 8*3600)
	cp := func(min int, status orderbot.ShipmentStatus, code, loc, msg string) orderbot.Checkpoint {
		return orderbot.Checkpoint{Time: t0.Add(time.Duration(min) * time.Minute).In(sh), Location: loc, Message: msg, Status: status, Code: code}
	}
	var want []orderbot.Shipment
	add := func(number string, status orderbot.ShipmentStatus, code, text string, edit func(*orderbot.Shipment)) {
		s := orderbot.Shipment{TrackingNumber: number, Carrier: "sf-express", OrderID: "#" + number, Status: status,
			StatusCode: code, StatusText: text, Source: "as"}
		if edit != nil {
			edit(&s)
		}
		if len(s.Checkpoints) > 0 {
			s.LastEventAt = s.Checkpoints[0].Time
		}
		want = append(want, s)
	}
	add("P1", orderbot.ShipPending, "Pending_001", "No information yet", func(s *orderbot.Shipment) { s.OrderID = "" })
	add("P2", orderbot.ShipInfoReceived, "InfoReceived_001", "Info received", nil)
	add("P3", orderbot.ShipInTransit, "InTransit_007", "Departure scan", func(s *orderbot.Shipment) {
		s.PickedUpAt = t0.Add(-time.Hour)
		s.ExpectedDelivery = time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
		s.Checkpoints = []orderbot.Checkpoint{
			cp(30, orderbot.ShipInTransit, "InTransit_007", "Shenzhen", "Departed facility"),
			cp(-60, orderbot.ShipInTransit, "InTransit_002", "Shenzhen", "Picked up"),
			cp(-120, orderbot.ShipInfoReceived, "InfoReceived_001", "", "Label created"),
		}
	})
	add("P4", orderbot.ShipOutForDelivery, "OutForDelivery_001", "Out for delivery", func(s *orderbot.Shipment) {
		s.ExpectedDelivery = t0.Add(5 * time.Hour).In(sh)
	})
	add("P5", orderbot.ShipAttemptFail, "AttemptFail_001", "Failed delivery attempt", func(s *orderbot.Shipment) {
		s.Checkpoints = []orderbot.Checkpoint{cp(10, orderbot.ShipAttemptFail, "AttemptFail_001", "Beijing", "No one home")}
	})
	add("P6", orderbot.ShipAwaitPickup, "AvailableForPickup_001", "Available for pickup", nil)
	add("P7", orderbot.ShipDelivered, "Delivered_003", "Signed by customer", func(s *orderbot.Shipment) {
		s.DeliveredAt = t0.Add(2 * time.Hour)
		s.Checkpoints = []orderbot.Checkpoint{cp(120, orderbot.ShipDelivered, "Delivered_003", "Beijing", "Signed")}
	})
	add("P8", orderbot.ShipException, "Exception_004", "Customs delay", nil)
	add("P9", orderbot.ShipRefused, "Exception_003", "Refused by recipient", nil)
	add("P10", orderbot.ShipReturning, "Exception_010", "Returning to sender", func(s *orderbot.Shipment) {
		s.Checkpoints = []orderbot.Checkpoint{cp(5, orderbot.ShipReturning, "Exception_010", "Beijing", "Return to sender")}
	})
	add("P11", orderbot.ShipReturned, "Exception_011", "Returned to sender", nil)
	add("P12", orderbot.ShipExpired, "Expired_001", "Expired", nil)
	for i, s := range want {
		addShipments(t, srv, t0.Add(time.Duration(i)*time.Second), s)
	}

	got, _ := collect(t, c, orderbot.Window{From: t0, To: t0.Add(time.Hour)})
	byNumber := map[string]orderbot.Shipment{}
	for _, s := range got {
		byNumber[s.TrackingNumber] = s
	}
	for _, w := range want {
		if g := byNumber[w.TrackingNumber]; !reflect.DeepEqual(utc(g), utc(w)) {
			t.Errorf("%s (list):\n got %+v\nwant %+v", w.TrackingNumber, utc(g), utc(w))
		}
		one, err := c.Track(context.Background(), orderbot.ShipmentRef{TrackingNumber: w.TrackingNumber, Carrier: w.Carrier})
		if err != nil || !reflect.DeepEqual(utc(one), utc(w)) {
			t.Errorf("%s (track): %v\n got %+v", w.TrackingNumber, err, utc(one))
		}
	}
}

// utc normalises time zones so that DeepEqual compares instants.
func utc(s orderbot.Shipment) orderbot.Shipment {
	for _, p := range []*time.Time{&s.LastEventAt, &s.PickedUpAt, &s.ExpectedDelivery, &s.DeliveredAt} {
		if !p.IsZero() {
			*p = p.UTC()
		}
	}
	cps := make([]orderbot.Checkpoint, len(s.Checkpoints))
	for i, c := range s.Checkpoints {
		c.Time = c.Time.UTC()
		cps[i] = c
	}
	if len(cps) == 0 {
		cps = nil
	}
	s.Checkpoints = cps
	return s
}
