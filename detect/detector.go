package detect

import (
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// Options tunes a Detector beyond the per-kind settings. The zero value is usable.
type Options struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 region ("CN", "US") used to read a
	// phone number written in national format when the order's shipping address
	// has no country. Empty means such numbers cannot be judged and are not
	// reported: a missing country must not turn into an invalid-phone ticket.
	// Numbers written in international format (+86..., 0044...) never need it.
	DefaultRegion string
	// PhoneCacheSize bounds the memo of phone-validation verdicts, in entries per
	// generation; the cache holds at most twice this many. It should exceed the
	// number of distinct phone numbers on unshipped orders, so that every cycle
	// after the first finds them all. Zero means 100,000; a negative value turns
	// the memo off (every number is parsed on every cycle).
	PhoneCacheSize int
	// MaxListed caps the items a grouped anomaly lists in its Facts: the stuck
	// orders of a source/status, the SKUs of a sync-lag source, the parcels or
	// payments of an order. Zero means 10.
	MaxListed int
}

// Defaults for Options fields left at zero.
const (
	defaultPhoneCacheSize = 100_000
	defaultMaxListed      = 10
)

// kindIdx numbers the detectable kinds so that per-cycle state is a fixed array
// and a bit set instead of maps keyed by kind strings.
type kindIdx uint8

const (
	kUnrecorded kindIdx = iota
	kMissing
	kDuplicate
	kMismatch
	kAfterClose
	kOversold
	kSyncLag
	kLowStock
	kLateDispatch
	kNoPickup
	kStalled
	kOverdue
	kException
	kInvalidPhone
	kInvalidAddr
	kStuck
	kViolation
	kSourceDown
	kOrderMissing
	kStatusMismatch
	kAmountMismatch
	numKinds
)

// kindIDs maps the indexes to kind ids. shipping.not_received is absent: staff open
// it by hand and detection never evaluates it.
var kindIDs = [numKinds]orderbot.Kind{
	kUnrecorded:   orderbot.PaymentUnrecorded,
	kMissing:      orderbot.PaymentMissing,
	kDuplicate:    orderbot.PaymentDuplicate,
	kMismatch:     orderbot.PaymentAmountMismatch,
	kAfterClose:   orderbot.PaymentAfterClose,
	kOversold:     orderbot.InventoryOversold,
	kSyncLag:      orderbot.InventorySyncLag,
	kLowStock:     orderbot.InventoryLowStock,
	kLateDispatch: orderbot.ShippingLateDispatch,
	kNoPickup:     orderbot.ShippingNoPickup,
	kStalled:      orderbot.ShippingStalled,
	kOverdue:      orderbot.ShippingOverdue,
	kException:    orderbot.ShippingException,
	kInvalidPhone: orderbot.CustomerInvalidPhone,
	kInvalidAddr:  orderbot.CustomerInvalidAddr,
	kStuck:        orderbot.SystemStuck,
	kViolation:    orderbot.SystemStateViolation,
	kSourceDown:   orderbot.SystemSourceDown,

	kOrderMissing:   orderbot.SyncOrderMissing,
	kStatusMismatch: orderbot.SyncStatusMismatch,
	kAmountMismatch: orderbot.SyncAmountMismatch,
}

// kindMask is a set of kind indexes.
type kindMask uint32

func bit(k kindIdx) kindMask { return 1 << k }

func (m kindMask) has(k kindIdx) bool { return m&bit(k) != 0 }

// indexOf returns the index of a detectable kind.
func indexOf(k orderbot.Kind) (kindIdx, bool) {
	for i, id := range kindIDs {
		if id == k {
			return kindIdx(i), true
		}
	}
	return 0, false
}

// Detectable returns the kinds detection evaluates, sorted by name: every kind of
// the registry except the manual ones.
func Detectable() []orderbot.Kind {
	out := make([]orderbot.Kind, 0, numKinds)
	out = append(out, kindIDs[:]...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// kindConf is the resolved configuration of one kind.
type kindConf struct {
	enabled bool
	s       orderbot.KindSettings
	needs   []orderbot.DataSet
	group   orderbot.Grouping
}

// Detector runs the detection rules. It is immutable after New except for its
// phone-verdict memo, which is safe for concurrent use, so one Detector serves
// concurrent Run calls.
type Detector struct {
	seed      maphash.Seed // hashes order ids for the evaluated-subject index
	conf      [numKinds]kindConf
	region    string
	maxListed int
	phones    *phoneCache
	// scratch recycles the per-cycle buffers that do not outlive Run (a few
	// megabytes on a 100,000-order cycle), so that each cycle allocates little
	// beyond its result and the collector runs less often over the large live
	// snapshot.
}

// New builds a Detector from the effective kind settings (as config produces them
// from orderbot.DefaultKindSettings plus overrides) and options. A kind missing
// from settings runs with its registry defaults; a kind whose settings say
// Enabled=false never fires and is never reported as evaluated. An empty
// department or invalid severity falls back to the registry default, so a
// half-filled settings value cannot produce an unroutable anomaly. The settings
// are copied; later changes to the map do not affect the Detector.
func New(settings map[orderbot.Kind]orderbot.KindSettings, opts Options) *Detector {
	d := &Detector{
		seed:      maphash.MakeSeed(),
		region:    strings.ToUpper(strings.TrimSpace(opts.DefaultRegion)),
		maxListed: opts.MaxListed,
	}
	if d.maxListed <= 0 {
		d.maxListed = defaultMaxListed
	}
	size := opts.PhoneCacheSize
	if size == 0 {
		size = defaultPhoneCacheSize
	}
	if size > 0 {
		d.phones = newPhoneCache(size)
	}
	for i, k := range kindIDs {
		spec, _ := orderbot.Spec(k)
		s, ok := settings[k]
		if !ok {
			s, _ = orderbot.DefaultSettings(k)
		} else {
			// Copy the maps so a caller changing its config map later cannot race
			// with a running cycle.
			s.Params = cloneParams(s.Params)
		}
		if s.Department == "" {
			s.Department = spec.Department
		}
		if !s.Severity.Valid() {
			s.Severity = spec.Severity
		}
		s.Kind = k
		d.conf[i] = kindConf{enabled: s.Enabled, s: s, needs: spec.Needs, group: spec.GroupBy}
	}
	return d
}

func cloneParams(p orderbot.Params) orderbot.Params {
	c := p
	if p.Statuses != nil {
		c.Statuses = make(map[orderbot.OrderStatus]time.Duration, len(p.Statuses))
		for k, v := range p.Statuses {
			c.Statuses[k] = v
		}
	}
	if p.SKUs != nil {
		c.SKUs = make(map[string]int64, len(p.SKUs))
		for k, v := range p.SKUs {
			c.SKUs[k] = v
		}
	}
	return c
}

// Run evaluates every enabled kind over snap and returns what it found. It does
// not modify snap, and it may run concurrently with other Run calls.
func (d *Detector) Run(snap *Snapshot) *Result {
	r := newRun(d, snap)
	r.orders()
	r.unknownOrderPayments()
	r.erpOrphans()
	r.inventory()
	r.sources()
	r.flushStuck()
	return r.result()
}

// run is the state of one Run call.
type run struct {
	d    *Detector
	snap *Snapshot
	now  time.Time

	// Coverage of the data sets whose rules compare it with record times.
	covOrders, covPayments, covTracking, covERP time.Time
	// Since of the data sets whose absence rules read it (see Snapshot.Since).
	sinceOrders, sincePayments, sinceERP time.Time
	// active holds the kinds that are enabled and whose data sets all have
	// coverage: only these fire or count as evaluated.
	active kindMask
	// blind holds the enabled kinds that cannot run because a data set they need
	// has never been polled; in-flight orders come back as soon as it has.
	blind kindMask

	// paymentAny says some kind that reads payments is active: look them up.
	paymentAny bool

	out  []orderbot.Anomaly
	eval evaluation
	// next is aligned with the snapshot's orders (see Result.Next), allocated
	// on the first order that needs a re-check. A slot per order instead of a
	// map keyed by id: inserting most of 100,000 ids into a map was a fifth of
	// detection's time.
	next []time.Time
	// nextUnknown holds the re-checks of order ids known only from payments.
	nextUnknown map[string]time.Time
	stuck       map[stuckKey]*stuckGroup

	// matchedN counts the snapshot orders that found payments in the
	// Payments map, so that unknownOrderPayments can tell, without looking,
	// when every entry belongs to a snapshot order.
	matchedN int

	// rec is the current order's Records entry, nil when the snapshot has none.
	rec *OrderRecords

	// stockDiffs are the SKUs whose stock differs this cycle (Result.StockDiffs).
	stockDiffs map[string]time.Time
	// prices are unit prices by SKU from the snapshot's orders, built on the
	// first oversold SKU (see unitsAtRisk).
	prices map[string]orderbot.Money
}

func newRun(d *Detector, snap *Snapshot) *run {
	r := &run{
		d:    d,
		snap: snap,
		now:  snap.Now,
	}
	r.covOrders = snap.Coverage[orderbot.DataOrders]
	r.covPayments = snap.Coverage[orderbot.DataPayments]
	r.covTracking = snap.Coverage[orderbot.DataTracking]
	r.sinceOrders = snap.Since[orderbot.DataOrders]
	r.sincePayments = snap.Since[orderbot.DataPayments]
	r.covERP = snap.Coverage[orderbot.DataERPOrders]
	r.sinceERP = snap.Since[orderbot.DataERPOrders]
	for i := range d.conf {
		c := &d.conf[i]
		if !c.enabled {
			continue
		}
		if syncKinds.has(kindIdx(i)) && len(snap.ERPShops) == 0 {
			// No ERP mirrors a shop: the sync kinds have nothing to compare,
			// which is not the same as waiting for a first poll.
			continue
		}
		ok := true
		for _, ds := range c.needs {
			if snap.Coverage[ds].IsZero() {
				ok = false
				break
			}
		}
		if ok {
			r.active |= bit(kindIdx(i))
		} else {
			r.blind |= bit(kindIdx(i))
		}
	}
	r.paymentAny = r.active&(bit(kUnrecorded)|bit(kMissing)|bit(kDuplicate)|bit(kMismatch)|bit(kAfterClose)) != 0
	r.eval = evaluation{kinds: r.active, orders: newOrderIndex(d.seed, snap.Orders)}
	return r
}

func (r *run) conf(k kindIdx) *kindConf { return &r.d.conf[k] }

func (r *run) params(k kindIdx) *orderbot.Params { return &r.d.conf[k].s.Params }

// emit appends an anomaly of kind k with the kind's department and severity.
func (r *run) emit(k kindIdx, a orderbot.Anomaly) {
	c := r.conf(k)
	a.Kind = kindIDs[k]
	a.Severity = c.s.Severity
	a.Department = c.s.Department
	a.DetectedAt = r.now
	if c.group == orderbot.BySKU && a.Dims.SKU == "" {
		a.Dims.SKU = a.Subject
	}
	r.out = append(r.out, a)
}

// due reports whether a time-based condition that starts counting at t and
// lasts d has run its course. Every time-based rule fires once the full duration
// has elapsed, that is at t+d == now, not one tick later.
func (r *run) due(t time.Time, d time.Duration) bool { return !t.Add(d).After(r.now) }

// orders evaluates every order-grouped kind over the snapshot's orders.
func (r *run) orders() {
	orderKinds := bit(kUnrecorded) | bit(kMissing) | bit(kDuplicate) | bit(kMismatch) | bit(kAfterClose) |
		bit(kLateDispatch) | bit(kNoPickup) | bit(kStalled) | bit(kOverdue) | bit(kException) |
		bit(kInvalidPhone) | bit(kInvalidAddr) | bit(kStuck) | bit(kViolation) | syncKinds
	if r.active&orderKinds == 0 {
		// Nothing to evaluate per order; WasEvaluated says false for every order
		// subject because no order kind is active. When that is because a data
		// set has never been polled (every source's first cycles run side by
		// side in serve, and each sees the others' cursors still at zero), the
		// in-flight orders must stay on the watch list, or the next cycles,
		// whose windows hold only recent changes, would never look at them.
		if r.blind&orderKinds != 0 {
			r.watchBlind()
		}
		return
	}
	stuck := r.active.has(kStuck)
	orders := r.snap.Orders
	// Hash each id for the evaluated-order index while the order is in cache:
	// the index is built for every cycle that has open tickets to auto-resolve
	// or payments of unknown orders, and hashing in a second pass over 100,000
	// orders costs a cache miss per order.
	idx := r.eval.orders
	idx.hashes = make([]uint64, len(orders))
	for i := range orders {
		o := &orders[i]
		if o.ID == "" {
			continue
		}
		idx.hashes[i] = maphash.String(idx.seed, o.ID)
		if stuck {
			r.seenSource(o.Source)
		}
		r.rec = nil
		if i < len(r.snap.Records) {
			r.rec = &r.snap.Records[i]
		}
		r.order(i, o)
	}
	r.rec = nil
}

// terminalKinds are the kinds whose rules also judge orders that are over
// (completed or cancelled): payments go on arriving for those.
const terminalKinds = kindMask(1<<kUnrecorded | 1<<kMissing | 1<<kDuplicate | 1<<kMismatch | 1<<kAfterClose)

// blindFor reports whether a kind that could judge the order could not run
// this cycle for lack of a data set: in-flight orders for any blind kind,
// finished ones only for the payment kinds, which still apply to them.
func (r *run) blindFor(o *orderbot.Order) bool {
	if o.InFlight() {
		return r.blind != 0
	}
	return r.blind&terminalKinds != 0
}

// watchBlind asks for every in-flight order to be looked at again on the next
// cycle, when no order kind could run on this one.
func (r *run) watchBlind() {
	for i := range r.snap.Orders {
		o := &r.snap.Orders[i]
		if o.ID == "" || o.Test || !r.blindFor(o) {
			continue
		}
		if r.next == nil {
			r.next = make([]time.Time, len(r.snap.Orders))
		}
		r.next[i] = r.now
	}
}

// seenSource records an order source for system.stuck groups. A snapshot holds
// orders of a handful of sources, so a short slice beats a map; the last match
// is tried first because orders come in runs from one source.
func (r *run) seenSource(src string) {
	if src == "" {
		src = unknownSource
	}
	list := r.eval.orderSources
	if n := len(list); n > 0 && list[n-1] == src {
		return
	}
	for _, s := range list {
		if s == src {
			return
		}
	}
	r.eval.orderSources = append(list, src)
}

// order evaluates one order. Fine orders take no allocation. Almost all of a fine
// order's cost is the cache misses of its joins (payments, parcels, phone memo),
// so each is done once and only when a rule needs it; its re-check goes to slot
// i of the positional Result.Next, not into a map keyed by id.
func (r *run) order(i int, o *orderbot.Order) {
	var pays []orderbot.Payment
	switch {
	case r.rec != nil:
		pays = r.rec.Payments
	case r.paymentAny:
		pays = r.snap.Payments[o.ID]
		if len(pays) > 0 {
			r.matchedN++
		}
	}
	if o.Test {
		// Test orders (Shopify's bogus gateway, staff checks) are examined so that
		// a ticket opened before the order was flagged as a test clears, but they
		// never produce anomalies: they have no real payment, parcel or customer.
		return
	}
	var nc nextCheck
	first := len(r.out)
	pv := viewPayments(pays, o.Total.Currency)
	r.paymentRules(o, &pv, &nc)
	r.shippingRules(o, &nc)
	r.customerRules(o)
	r.stuckRule(o, pays, &nc)
	r.violationRule(o)
	if r.active&syncKinds != 0 {
		r.syncRules(o, &nc)
	}
	if len(r.out) > first {
		dims := orderDims(o, pays)
		for j := first; j < len(r.out); j++ {
			if r.out[j].OrderID == o.ID {
				r.out[j].Dims = dims
			}
		}
	}
	if r.blindFor(o) {
		// A source has not been polled yet (the first cycles after start):
		// look again on the next cycle instead of waiting for the order to
		// change, or a condition that needs that source would go unnoticed.
		nc.asap(r.now)
	}
	if nc.set {
		if r.next == nil {
			r.next = make([]time.Time, len(r.snap.Orders))
		}
		r.next[i] = nc.t
	}
}

// skip marks kind k as not evaluated for the order subject id: the rule could
// not decide for lack of coverage at the times that matter for this order.
func (r *run) skip(id string, k kindIdx) {
	if r.eval.skipped == nil {
		r.eval.skipped = make(map[string]kindMask)
	}
	r.eval.skipped[id] |= bit(k)
}

// parcelOf returns the tracking record of the order's j-th parcel, nil when
// there is none: from the snapshot's Records when it has them, else from
// Shipments, copied into buf.
func (r *run) parcelOf(o *orderbot.Order, j int, buf *orderbot.Shipment) *orderbot.Shipment {
	if r.rec != nil {
		if j < len(r.rec.Parcels) {
			return r.rec.Parcels[j]
		}
		return nil
	}
	sh, ok := r.snap.Shipments[o.Shipments[j].TrackingNumber]
	if !ok {
		return nil
	}
	*buf = sh
	return buf
}

// nextCheck accumulates the earliest time an order's verdict may change.
type nextCheck struct {
	t   time.Time
	set bool
}

// at records a future time at which a time-based rule may change its verdict;
// times not after now are ignored (the rule has already decided).
func (n *nextCheck) at(t, now time.Time) {
	if !t.After(now) {
		return
	}
	if !n.set || t.Before(n.t) {
		n.t, n.set = t, true
	}
}

// asap asks for the order to be looked at again on every cycle: it is stuck, or a
// rule's verdict waits for a data set's coverage to catch up.
func (n *nextCheck) asap(now time.Time) { n.t, n.set = now, true }

func (r *run) result() *Result {
	r.defaultAtRisk()
	sort.SliceStable(r.out, func(i, j int) bool {
		if r.out[i].Kind != r.out[j].Kind {
			return r.out[i].Kind < r.out[j].Kind
		}
		return r.out[i].Subject < r.out[j].Subject
	})
	// One anomaly per fingerprint: duplicates can only come from duplicate
	// records in the snapshot, and the first (stable order) wins.
	out := r.out[:0]
	for i := range r.out {
		if len(out) > 0 && out[len(out)-1].Kind == r.out[i].Kind && out[len(out)-1].Subject == r.out[i].Subject {
			continue
		}
		out = append(out, r.out[i])
	}
	return &Result{Anomalies: out, Next: r.next, orders: r.snap.Orders, nextUnknown: r.nextUnknown, evaluated: r.eval,
		StockDiffs: r.stockDiffs}
}
