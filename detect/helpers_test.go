package detect_test

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

// now is the clock of the table tests.
var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

// nextChecks collects a Result's re-checks by order id, as the poll cycle's
// watch list does.
func nextChecks(res *detect.Result) map[string]time.Time { return maps.Collect(res.NextChecks()) }

func usd(major float64) orderbot.Money { return orderbot.FromFloat(major, "USD") }

// order is a clean order: paid by card two hours ago, not shipped, valid US
// customer data. Each case changes what it tests.
func order(id string) orderbot.Order {
	return orderbot.Order{
		ID: id, Source: "shopify", Name: "#" + id,
		Status: orderbot.OrderProcessing, StatusSince: ago(2 * time.Hour),
		Financial: orderbot.FinancialPaid, Fulfillment: orderbot.FulfillmentUnfulfilled,
		Total: usd(100), PaymentMethod: orderbot.PayCard,
		Customer: orderbot.Customer{Name: "Ada Lovelace", Phone: "+1 415-253-0123", Email: "ada@example.com", Locale: "en"},
		ShippingAddress: orderbot.Address{Name: "Ada Lovelace", Line1: "1 Main St", City: "San Francisco", Province: "CA",
			PostalCode: "94105", Country: "US"},
		RequiresShipping: true,
		Lines:            []orderbot.LineItem{{SKU: "SKU-1", Title: "Mug", Quantity: 1, Price: usd(100)}},
		CreatedAt:        ago(2*time.Hour + time.Minute), UpdatedAt: ago(2 * time.Hour), PaidAt: ago(2 * time.Hour),
	}
}

// payment is a succeeded provider payment.
func payment(id, orderID string, amount orderbot.Money, at time.Time) orderbot.Payment {
	return orderbot.Payment{ID: id, Provider: "stripe", OrderID: orderID, Amount: amount,
		Status: orderbot.PaymentSucceeded, CreatedAt: at}
}

func refunded(p orderbot.Payment, minor int64, at time.Time) orderbot.Payment {
	p.Refunds = append(p.Refunds, orderbot.Refund{ID: "re_" + p.ID, Amount: orderbot.Money{Minor: minor, Currency: p.Amount.Currency},
		Status: "succeeded", CreatedAt: at})
	return p
}

// shipped marks the order shipped at t with one parcel per tracking number.
func shipped(o orderbot.Order, t time.Time, tracking ...string) orderbot.Order {
	o.Fulfillment = orderbot.FulfillmentFulfilled
	o.ShippedAt = t
	for _, tn := range tracking {
		o.Shipments = append(o.Shipments, orderbot.ShipmentRef{TrackingNumber: tn, Carrier: "ups", ShippedAt: t})
	}
	return o
}

// parcel is a tracking record in transit, last scanned at last.
func parcel(tracking string, status orderbot.ShipmentStatus, last time.Time) orderbot.Shipment {
	return orderbot.Shipment{
		TrackingNumber: tracking, Carrier: "ups", Status: status, Source: "aftership",
		Checkpoints:      []orderbot.Checkpoint{{Time: last, Location: "Louisville, KY", Message: "Departed facility", Status: status}},
		LastEventAt:      last,
		PickedUpAt:       last.Add(-time.Hour),
		ExpectedDelivery: now.Add(48 * time.Hour),
	}
}

// covered is full coverage up to now.
func covered() map[orderbot.DataSet]time.Time {
	return map[orderbot.DataSet]time.Time{
		orderbot.DataOrders: now, orderbot.DataPayments: now, orderbot.DataInventory: now,
		orderbot.DataTracking: now, orderbot.DataPolls: now,
	}
}

// snapshot builds a snapshot with full coverage.
func snapshot(orders []orderbot.Order, pays []orderbot.Payment, ships []orderbot.Shipment) *detect.Snapshot {
	s := &detect.Snapshot{Now: now, Orders: orders, Payments: map[string][]orderbot.Payment{},
		Shipments: map[string]orderbot.Shipment{}, Coverage: covered()}
	for _, p := range pays {
		s.Payments[p.OrderID] = append(s.Payments[p.OrderID], p)
	}
	for _, sh := range ships {
		s.Shipments[sh.TrackingNumber] = sh
	}
	return s
}

// found is what a table case expects: kind, subject and stage.
type found struct {
	kind    orderbot.Kind
	subject string
	stage   string
}

func (f found) String() string {
	if f.stage != "" {
		return fmt.Sprintf("%s %s [%s]", f.kind, f.subject, f.stage)
	}
	return fmt.Sprintf("%s %s", f.kind, f.subject)
}

// foundSet lists a result's anomalies restricted to the given kinds (all when
// none given), sorted.
func foundSet(res *detect.Result, kinds ...orderbot.Kind) []string {
	var out []string
	for _, a := range res.Anomalies {
		if len(kinds) > 0 && !hasKind(kinds, a.Kind) {
			continue
		}
		out = append(out, found{a.Kind, a.Subject, a.Stage}.String())
	}
	sort.Strings(out)
	return out
}

func hasKind(ks []orderbot.Kind, k orderbot.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func wantSet(fs ...found) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	sort.Strings(out)
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkFound runs d over snap and compares the anomalies of the listed kinds.
func checkFound(t *testing.T, res *detect.Result, want []found, kinds ...orderbot.Kind) {
	t.Helper()
	got := foundSet(res, kinds...)
	w := wantSet(want...)
	if len(got) == 0 {
		got = []string{}
	}
	if !equalSets(got, w) {
		t.Errorf("anomalies:\n got %s\nwant %s", strings.Join(got, ", "), strings.Join(w, ", "))
	}
}

// anomaly returns the anomaly of kind k for subject, or fails.
func anomaly(t *testing.T, res *detect.Result, k orderbot.Kind, subject string) orderbot.Anomaly {
	t.Helper()
	for _, a := range res.Anomalies {
		if a.Kind == k && a.Subject == subject {
			return a
		}
	}
	t.Fatalf("no %s anomaly for %s; have %v", k, subject, foundSet(res))
	return orderbot.Anomaly{}
}

// factValue returns the value of the first fact with label, or "".
func factValue(a orderbot.Anomaly, label string) string {
	for _, f := range a.Facts {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

func factValues(a orderbot.Anomaly, label string) []string {
	var out []string
	for _, f := range a.Facts {
		if f.Label == label {
			out = append(out, f.Value)
		}
	}
	return out
}

// settings returns the default settings changed by fn.
func settings(fn func(map[orderbot.Kind]orderbot.KindSettings)) map[orderbot.Kind]orderbot.KindSettings {
	s := orderbot.DefaultKindSettings()
	if fn != nil {
		fn(s)
	}
	return s
}

// withParams changes the params of kind k.
func withParams(k orderbot.Kind, fn func(*orderbot.Params)) func(map[orderbot.Kind]orderbot.KindSettings) {
	return func(m map[orderbot.Kind]orderbot.KindSettings) {
		s := m[k]
		fn(&s.Params)
		m[k] = s
	}
}

// withRecords turns a map-joined snapshot into its aligned form: each order's
// payments and parcels in Records, Payments left with the entries of unknown
// orders only, no Shipments map.
func withRecords(snap *detect.Snapshot) *detect.Snapshot {
	c := *snap
	c.Records = make([]detect.OrderRecords, len(snap.Orders))
	c.Payments = map[string][]orderbot.Payment{}
	known := map[string]bool{}
	for i, o := range snap.Orders {
		known[o.ID] = true
		c.Records[i].Payments = snap.Payments[o.ID]
		for _, ref := range o.Shipments {
			var p *orderbot.Shipment
			if sh, ok := snap.Shipments[ref.TrackingNumber]; ok {
				p = &sh
			}
			c.Records[i].Parcels = append(c.Records[i].Parcels, p)
		}
	}
	for id, ps := range snap.Payments {
		if !known[id] {
			c.Payments[id] = ps
		}
	}
	c.Shipments = nil
	return &c
}

// modes are the two ways a snapshot joins records to orders.
var modes = []struct {
	name string
	conv func(*detect.Snapshot) *detect.Snapshot
}{
	{"maps", func(s *detect.Snapshot) *detect.Snapshot { return s }},
	{"records", withRecords},
}

func run(snap *detect.Snapshot) *detect.Result {
	return detect.New(nil, detect.Options{}).Run(snap)
}
