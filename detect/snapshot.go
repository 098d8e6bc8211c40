package detect

import (
	"iter"
	"time"

	"github.com/orderbot/orderbot"
)

// Snapshot is everything one detection cycle looks at. The poll cycle builds it
// from the records it just fetched plus the records cached in the store (so a
// payment polled from Stripe is joined with its order polled earlier from Shopify).
type Snapshot struct {
	// Now is the clock every time-based rule reads.
	Now time.Time

	// Orders are the orders to evaluate: those that changed this cycle, those of
	// changed payments and shipments, and those the watch list says are due.
	Orders []orderbot.Order
	// Payments are every known payment of the orders above, by order id.
	Payments map[string][]orderbot.Payment
	// Shipments are the known parcels by tracking number.
	Shipments map[string]orderbot.Shipment
	// Records, when not nil, is aligned with Orders: Records[i] holds the
	// payments and parcels of Orders[i] as the caller loaded them with the
	// order (a store returns them in request order). The detector then reads
	// them instead of looking every order up in Payments and Shipments: those
	// two hash probes per order are cache misses and about 40 % of detection's
	// time on a 100,000-order snapshot. With Records set, Payments needs to hold
	// only the payments of order ids that are not in Orders (orders unknown to
	// the store), and Shipments is not read.
	Records []OrderRecords

	// ShopStock and ERPStock are the two views of stock, by SKU (summed over
	// locations by the caller when a side reports several). Nil when the cycle
	// did not load stock.
	ShopStock map[string]orderbot.StockLevel
	ERPStock  map[string]orderbot.StockLevel
	// Demand is the open (unshipped) quantity per SKU over every open order the
	// store knows, not only the orders in this snapshot.
	Demand map[string]int64
	// StockSKUs are the SKUs whose inventory kinds are evaluated this cycle; nil
	// means every SKU present in ShopStock, ERPStock or Demand.
	StockSKUs []string
	// StockDiffSince says, per SKU, since when the shop's and the ERP's stock
	// have differed beyond inventory.sync_lag's tolerance, as earlier cycles
	// found (Result.StockDiffs, kept by the store). A SKU missing here that
	// differs now starts to differ now.
	StockDiffSince map[string]time.Time

	// ERPOrders are ERP records of shop orders that the store does not have
	// (see OrderRecords.ERP for the others): sync.order_missing judges them.
	ERPOrders []orderbot.ErpOrder
	// ERPShops are the shop sources whose orders an ERP mirrors (an ERP
	// source links its records to them). Only their orders are compared with
	// the ERP, and only their orders can be missing from it.
	ERPShops map[string]bool

	// Sources is the poll health of every configured source.
	Sources []SourceHealth

	// Coverage says, per data set, up to which time the store's records of that
	// data set are known to be complete (the oldest committed cursor of the
	// sources providing it). Zero or missing means the data set is unknown: rules
	// that need it do not fire and do not auto-resolve, so a source that is down
	// never produces "payment missing" false positives nor clears real tickets.
	Coverage map[orderbot.DataSet]time.Time
	// Since says, per data set, from which time on the store's records of that
	// data set are known: the start of the first poll of its sources. Absence
	// of a record older than Since proves nothing (the first poll looked back
	// only so far), so rules that conclude from a missing record ("marked paid,
	// no payment at the provider", "payment for an order the shop does not
	// have") do not fire and do not count as evaluated for times before it.
	// Missing means no such bound.
	Since map[orderbot.DataSet]time.Time
}

// OrderRecords are the records joined to one order of a Snapshot.
type OrderRecords struct {
	// Payments are the order's payments at the provider.
	Payments []orderbot.Payment
	// Parcels holds the tracking record of each of the order's ShipmentRefs, in
	// the same order; nil (or a short slice) where the tracking service has no
	// record of the parcel.
	Parcels []*orderbot.Shipment
	// ERP are the ERP's records of the order (usually one Sales Order; an
	// amended or split order has several). The sync kinds compare them with
	// the order only when the snapshot has Records.
	ERP []orderbot.ErpOrder
}

// SourceHealth is the poll record of one source.
type SourceHealth struct {
	Name                string
	Kind                orderbot.DataSet   // what the source provides
	Side                orderbot.StockSide // whose stock an inventory source reports
	ConsecutiveFailures int
	LastError           string // already free of secrets
	LastSuccess         time.Time
	// CursorAt is the source's committed cursor; it not advancing for long is
	// also a sign the source is down.
	CursorAt time.Time
}

// Result is what one detection cycle found.
type Result struct {
	// Anomalies found, in a deterministic order (by kind, then subject).
	Anomalies []orderbot.Anomaly
	// Next is aligned with the snapshot's Orders: Next[i] is the earliest time
	// at which a time-based rule could change the verdict of Orders[i], zero
	// when that order needs no time-based re-check (terminal, or nothing
	// pending). It is nil when no order needs one. A slot per order rather
	// than a map keyed by id, because filling such a map for most of a
	// 100,000-order cycle cost a fifth of detection's time. NextChecks adds the
	// order ids that are not in Orders.
	Next []time.Time
	// orders are the snapshot's Orders, which Next is aligned with.
	orders []orderbot.Order
	// nextUnknown are the re-checks of order ids known only from payments (a
	// payment whose order the store does not know is watched under its order
	// id).
	nextUnknown map[string]time.Time
	// StockDiffs are the SKUs whose shop and ERP stock differ beyond
	// inventory.sync_lag's tolerance this cycle, each with the time it started
	// to differ (from Snapshot.StockDiffSince, or now): what the store keeps
	// for the next cycle's StockDiffSince. Nil when the cycle did not compare
	// stock (then the kept times stay as they are).
	StockDiffs map[string]time.Time
	// evaluated records which (kind, subject) pairs were examined with complete
	// data, compactly: per grouping, not per pair, because a 100,000-order cycle
	// must not build millions of map entries.
	evaluated evaluation
}

// NextChecks yields, for each in-flight order id of the cycle that needs a
// time-based re-check, the earliest time a rule could change its verdict: the
// snapshot's orders in their order (by Next), then the order ids known only
// from payments, in no particular order. An id listed twice in Orders is
// yielded for each record with a re-check; the last one is the later record's,
// as a map filled from the sequence keeps it. Orders not yielded need no
// time-based re-check. Like WasEvaluated it reads the snapshot's Orders.
func (r *Result) NextChecks() iter.Seq2[string, time.Time] {
	return func(yield func(string, time.Time) bool) {
		for i, t := range r.Next {
			if !t.IsZero() && i < len(r.orders) && !yield(r.orders[i].ID, t) {
				return
			}
		}
		r.NextUnknown()(yield)
	}
}

// NextUnknown yields the re-checks of the order ids known only from payments
// (not among the snapshot's Orders), in no particular order: the part of
// NextChecks that Next does not hold. A caller that walks Next by position
// adds these.
func (r *Result) NextUnknown() iter.Seq2[string, time.Time] {
	return func(yield func(string, time.Time) bool) {
		for id, t := range r.nextUnknown {
			if !yield(id, t) {
				return
			}
		}
	}
}

// WasEvaluated reports whether kind k examined subject with complete data this
// cycle. A ticket whose kind and subject were evaluated but are not among
// Anomalies has cleared and may be auto-resolved. It reads the snapshot's
// Orders (the Result does not copy them), so they must not be changed while
// the Result is still asked; it is safe for concurrent use.
func (r *Result) WasEvaluated(k orderbot.Kind, subject string) bool {
	return r.evaluated.has(k, subject)
}
