package simulate

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/orderbot/orderbot"
)

// Options shape the generated world. The zero value gives a realistic mix with
// 1 % of orders anomalous.
type Options struct {
	// AnomalyRate is the fraction of generated orders seeded with an
	// order-level anomaly (0.01 = 1 %). SKU- and source-level kinds are seeded
	// in proportion (at least one subject each). Zero means 0.01; a negative
	// value seeds nothing.
	AnomalyRate float64
	// Kinds are the kinds to seed; nil means every detectable kind but the
	// manual shipping.not_received and the sync kinds (the world has no ERP
	// mirror of its orders).
	Kinds []orderbot.Kind
	// Settings are the thresholds the seeded anomalies must cross and clean
	// records must stay within, as the detector under test is configured. Nil
	// means orderbot.DefaultKindSettings().
	Settings map[orderbot.Kind]orderbot.KindSettings
	// ChinaShare is the fraction of customers in mainland China; the rest are in
	// the US, Germany, France, the Netherlands and the UK. Zero means 0.5;
	// negative means none.
	ChinaShare float64
	// CODShare is the fraction of Chinese orders paid cash on delivery (货到付款).
	// Zero means 0.15; negative means none.
	CODShare float64
	// SKUs is the catalogue size. Zero means 500.
	SKUs int

	// Source names, as configured in orderbot.yaml. Empty fields take the
	// defaults shown.
	OrderSource         string // "shopify"
	PaymentSource       string // "stripe"
	TrackingSource      string // "aftership" (US and European parcels)
	ChinaTrackingSource string // "kuaidi100" (Chinese parcels)
	ShopStockSource     string // "shopify"
	ERPStockSource      string // "erpnext"

	// ChinaWalletSource, when set, holds the payments of Chinese orders paid by
	// wallet (Alipay), one per order; empty keeps them at PaymentSource.
	ChinaWalletSource string
}

// Expected is one (kind, subject) pair the generator seeded on purpose.
type Expected struct {
	Kind    orderbot.Kind
	Subject string
	// Stage is "warning" when the seed is a late dispatch inside its warning
	// window rather than past its deadline.
	Stage string
	// Note says which variant of the anomaly was seeded, for test messages.
	Note string
	// From is when a Timeline's seeded anomaly is present in full (zero for
	// Generate's batches, whose anomalies are present at Now).
	From time.Time
	// FollowOn marks a kind a Timeline's seeded record may raise later because
	// nobody fixes it (a paid order never shipped becomes a late dispatch): a
	// true finding, but not one the simulation set out to inject.
	FollowOn bool
}

// SourceStatus is the poll health of one source, as the poll cycle records it.
type SourceStatus struct {
	Name                string
	Provides            orderbot.DataSet
	ConsecutiveFailures int
	LastError           string
	LastSuccess         time.Time
	CursorAt            time.Time // zero for sources polled without a cursor
}

// Dataset is one generated batch.
type Dataset struct {
	// Now is the clock the batch was generated for; every time in it is at or
	// before Now.
	Now       time.Time
	Orders    []orderbot.Order
	Payments  []orderbot.Payment
	Shipments []orderbot.Shipment
	ShopStock []orderbot.StockLevel
	ERPStock  []orderbot.StockLevel
	// Demand is the open quantity per SKU over the batch's open orders (not
	// cancelled, not completed): what the line items still have to ship.
	Demand map[string]int64
	// StockDiffSince says since when each SKU seeded as out of sync has
	// differed between shop and ERP (what a poller that watched it would have
	// recorded; detect.Snapshot.StockDiffSince).
	StockDiffSince map[string]time.Time
	Sources        []SourceStatus
	// Expected lists the seeded (kind, subject) pairs, sorted by kind and
	// subject, one entry per pair.
	Expected []Expected
}

// PaymentsByOrder groups the payments by order id, as a detection snapshot holds
// them.
func (d *Dataset) PaymentsByOrder() map[string][]orderbot.Payment {
	m := make(map[string][]orderbot.Payment, len(d.Payments))
	for _, p := range d.Payments {
		m[p.OrderID] = append(m[p.OrderID], p)
	}
	return m
}

// ShipmentsByTracking indexes the parcels by tracking number.
func (d *Dataset) ShipmentsByTracking() map[string]orderbot.Shipment {
	m := make(map[string]orderbot.Shipment, len(d.Shipments))
	for _, s := range d.Shipments {
		m[s.TrackingNumber] = s
	}
	return m
}

// ShopStockBySKU indexes the shop's stock by SKU.
func (d *Dataset) ShopStockBySKU() map[string]orderbot.StockLevel { return bySKU(d.ShopStock) }

// ERPStockBySKU indexes the ERP's stock by SKU.
func (d *Dataset) ERPStockBySKU() map[string]orderbot.StockLevel { return bySKU(d.ERPStock) }

func bySKU(levels []orderbot.StockLevel) map[string]orderbot.StockLevel {
	m := make(map[string]orderbot.StockLevel, len(levels))
	for _, l := range levels {
		m[l.SKU] = l
	}
	return m
}

// World is a seeded generator. Successive Generate calls continue its random
// stream and id counters, so they produce new orders with new ids; the sequence
// of batches is the same for the same seed and options. A World is not safe for
// concurrent use.
type World struct {
	rng      *rand.Rand
	opts     Options
	settings map[orderbot.Kind]orderbot.KindSettings
	seeds    map[orderbot.Kind]bool
	catalog  []product
	weights  []float64 // cumulative popularity
	orderSeq int64     // orders generated so far
	lastID   int64     // last order id handed out
	idSeq    int64     // for other ids
	// settled makes clean orders old enough that their lives are complete
	// (Timeline generates them so).
	settled bool
}

// New returns a World for seed.
func New(seed int64, opts Options) *World {
	if opts.AnomalyRate == 0 {
		opts.AnomalyRate = 0.01
	}
	if opts.ChinaShare == 0 {
		opts.ChinaShare = 0.5
	}
	if opts.CODShare == 0 {
		opts.CODShare = 0.15
	}
	if opts.SKUs <= 0 {
		opts.SKUs = 500
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&opts.OrderSource, "shopify")
	def(&opts.PaymentSource, "stripe")
	def(&opts.TrackingSource, "aftership")
	def(&opts.ChinaTrackingSource, "kuaidi100")
	def(&opts.ShopStockSource, "shopify")
	def(&opts.ERPStockSource, "erpnext")
	settings := orderbot.DefaultKindSettings()
	for k, s := range opts.Settings {
		settings[k] = s
	}
	w := &World{
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		opts:     opts,
		settings: settings,
		seeds:    map[orderbot.Kind]bool{},
		lastID:   5_300_000_000_000 + int64(uint64(seed)%1_000_000)*1000,
	}
	if opts.Kinds == nil {
		for _, k := range orderbot.Kinds() {
			// The sync kinds need an ERP mirror of the shop, which the
			// world does not make.
			if spec, _ := orderbot.Spec(k); !spec.Manual && k.Category() != "sync" {
				w.seeds[k] = true
			}
		}
	} else {
		for _, k := range opts.Kinds {
			if spec, ok := orderbot.Spec(k); ok && !spec.Manual {
				w.seeds[k] = true
			}
		}
	}
	w.buildCatalog()
	return w
}

// orderKinds are the order-grouped kinds seeded one order each, in the order
// seeds are dealt.
var orderKinds = []orderbot.Kind{
	orderbot.PaymentUnrecorded, orderbot.PaymentMissing, orderbot.PaymentDuplicate, orderbot.PaymentAmountMismatch,
	orderbot.PaymentAfterClose, orderbot.ShippingLateDispatch, orderbot.ShippingNoPickup, orderbot.ShippingStalled,
	orderbot.ShippingOverdue, orderbot.ShippingException, orderbot.CustomerInvalidPhone, orderbot.CustomerInvalidAddr,
	orderbot.SystemStuck, orderbot.SystemStateViolation,
}

// Generate produces n orders as of now, with their payments, parcels, stock and
// source health, seeding anomalies at the configured rate.
func (w *World) Generate(n int, now time.Time) Dataset {
	b := &batch{w: w, now: now}
	// Deal the order-level seeds over distinct random orders, kinds in turn, so
	// every seeded kind gets its share.
	var kinds []orderbot.Kind
	for _, k := range orderKinds {
		if w.seeds[k] {
			kinds = append(kinds, k)
		}
	}
	seedAt := map[int]orderbot.Kind{}
	if w.opts.AnomalyRate > 0 && len(kinds) > 0 && n > 0 {
		m := int(math.Round(float64(n) * w.opts.AnomalyRate))
		if m > n {
			m = n
		}
		picked := w.pick(n, m)
		for i, idx := range picked {
			seedAt[idx] = kinds[i%len(kinds)]
		}
	}
	b.orders = make([]orderbot.Order, 0, n)
	for i := 0; i < n; i++ {
		if k, ok := seedAt[i]; ok {
			b.seedOrder(k)
			continue
		}
		b.cleanOrder()
	}
	b.demand = demandOf(b.orders)
	b.stock()
	b.sources()
	return b.dataset()
}

// pick returns m distinct indexes in [0, n), in increasing order.
func (w *World) pick(n, m int) []int {
	// Partial Fisher–Yates over a virtual identity permutation.
	swapped := map[int]int{}
	get := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, m)
	for i := 0; i < m; i++ {
		j := i + w.rng.IntN(n-i)
		vi, vj := get(i), get(j)
		swapped[i], swapped[j] = vj, vi
		out[i] = vj
	}
	sort.Ints(out)
	return out
}

// param returns the settings params of kind k.
func (w *World) param(k orderbot.Kind) orderbot.Params { return w.settings[k].Params }

// between returns a uniform duration in [lo, hi].
func (w *World) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

// chance reports true with probability p.
func (w *World) chance(p float64) bool { return w.rng.Float64() < p }

// batch is the state of one Generate call.
type batch struct {
	w         *World
	now       time.Time
	orders    []orderbot.Order
	payments  []orderbot.Payment
	shipments []orderbot.Shipment
	shop      []orderbot.StockLevel
	erp       []orderbot.StockLevel
	demand    map[string]int64
	diffSince map[string]time.Time
	srcs      []SourceStatus
	expected  []Expected
	// walletPaid marks orders with a succeeded payment at ChinaWalletSource.
	walletPaid map[string]bool
}

func (b *batch) expect(k orderbot.Kind, subject, stage, note string) {
	b.expected = append(b.expected, Expected{Kind: k, Subject: subject, Stage: stage, Note: note})
}

func (b *batch) dataset() Dataset {
	sort.SliceStable(b.expected, func(i, j int) bool {
		if b.expected[i].Kind != b.expected[j].Kind {
			return b.expected[i].Kind < b.expected[j].Kind
		}
		return b.expected[i].Subject < b.expected[j].Subject
	})
	exp := b.expected[:0]
	for _, e := range b.expected {
		if n := len(exp); n > 0 && exp[n-1].Kind == e.Kind && exp[n-1].Subject == e.Subject {
			continue
		}
		exp = append(exp, e)
	}
	return Dataset{
		Now: b.now, Orders: b.orders, Payments: b.payments, Shipments: b.shipments,
		ShopStock: b.shop, ERPStock: b.erp, Demand: b.demand, StockDiffSince: b.diffSince, Sources: b.srcs, Expected: exp,
	}
}

// demandOf sums the open quantity per SKU over open orders.
func demandOf(orders []orderbot.Order) map[string]int64 {
	m := map[string]int64{}
	for i := range orders {
		o := &orders[i]
		if o.Cancelled() || o.Status.Terminal() {
			continue
		}
		for _, l := range o.Lines {
			if q := l.Open(); q > 0 {
				m[l.SKU] += q
			}
		}
	}
	return m
}

// sources records a healthy poll record for every source, and a failing one for
// the source-down seed.
func (b *batch) sources() {
	w := b.w
	minute := time.Minute
	add := func(name string, ds orderbot.DataSet, cursor bool) {
		s := SourceStatus{Name: name, Provides: ds, LastSuccess: b.now.Add(-w.between(10*time.Second, 2*minute))}
		if cursor {
			s.CursorAt = s.LastSuccess.Add(-w.between(30*time.Second, 2*minute))
		}
		b.srcs = append(b.srcs, s)
	}
	add(w.opts.OrderSource, orderbot.DataOrders, true)
	add(w.opts.PaymentSource, orderbot.DataPayments, true)
	if w.opts.ChinaWalletSource != "" {
		add(w.opts.ChinaWalletSource, orderbot.DataPayments, true)
	}
	add(w.opts.TrackingSource, orderbot.DataTracking, true)
	add(w.opts.ChinaTrackingSource, orderbot.DataTracking, false)
	if w.opts.ShopStockSource != w.opts.OrderSource {
		add(w.opts.ShopStockSource, orderbot.DataInventory, true)
	}
	add(w.opts.ERPStockSource, orderbot.DataInventory, true)
	if !w.seeds[orderbot.SystemSourceDown] || w.opts.AnomalyRate < 0 {
		return
	}
	// The per-parcel tracking source has been failing: one poll past the limit.
	p := w.param(orderbot.SystemSourceDown)
	failures := p.Failures + 1
	if failures < 1 {
		failures = 1
	}
	for i := range b.srcs {
		s := &b.srcs[i]
		if s.Name != w.opts.ChinaTrackingSource {
			continue
		}
		s.ConsecutiveFailures = failures
		s.LastError = s.Name + ".track: transient: HTTP 503 Service Unavailable"
		s.LastSuccess = b.now.Add(-time.Duration(failures)*5*minute - w.between(0, 4*minute))
		b.expect(orderbot.SystemSourceDown, s.Name, "", "consecutive failures")
	}
}
