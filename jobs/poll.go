package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// Source is one configured source with the roles its adapter plays. An adapter
// that provides several data sets (Shopify: orders and shop stock) fills several
// roles; the poll of the source fetches them all.
type Source struct {
	Name      string
	Orders    orderbot.OrderSource
	Payments  orderbot.PaymentSource
	Inventory orderbot.InventorySource
	Tracking  orderbot.TrackingSource
	// ERPOrders is an ERP's view of shop orders (ERPNext Sales Orders beside
	// a shop); Links say how its records name the shop orders. Its records
	// are stored beside the shop's orders, never as orders.
	ERPOrders orderbot.ERPOrderSource
	Links     []orderbot.OrderLink
	// PaymentQueries is a payment source asked per order (Alipay) instead of
	// listed; see queryPayments.
	PaymentQueries orderbot.PaymentQuerier
	// Overlap is how far before the committed cursor each poll starts again, so
	// records whose update time was set late (replication lag, clock skew at the
	// provider) are still seen. Default 10m.
	Overlap time.Duration
	// InitialLookback is the window of the very first poll. Default 72h.
	InitialLookback time.Duration
	// RecheckEvery is how often a per-parcel tracker (no list API) asks about a
	// parcel that is still moving. Default 2h.
	RecheckEvery time.Duration
}

// Provides lists the data sets the source supplies.
func (s Source) Provides() []orderbot.DataSet {
	var out []orderbot.DataSet
	if s.Orders != nil {
		out = append(out, orderbot.DataOrders)
	}
	if s.Payments != nil || s.PaymentQueries != nil {
		out = append(out, orderbot.DataPayments)
	}
	if s.Inventory != nil {
		out = append(out, orderbot.DataInventory)
	}
	if s.Tracking != nil {
		out = append(out, orderbot.DataTracking)
	}
	if s.ERPOrders != nil {
		out = append(out, orderbot.DataERPOrders)
	}
	return out
}

// Poller runs detection cycles: fetch a source's window, cache the records, join
// them with what the store knows, detect, fold into tickets, then commit.
type Poller struct {
	Store    *store.Store
	Detector *detect.Detector
	Engine   *tickets.Engine
	Sources  []Source
	Now      func() time.Time
	Log      *slog.Logger
	Metrics  *Metrics // may be nil
	// ParcelBatch bounds how many parcels a per-parcel tracker, or orders a
	// per-order payment source, is asked about in one cycle (provider quotas);
	// default 500. The rest wait for the next cycle.
	ParcelBatch int

	// beforeCommit runs after tickets are written and before the cursor moves;
	// tests use it to simulate a crash at the worst moment.
	beforeCommit func(ctx context.Context)
}

// Report is what one cycle did.
type Report struct {
	Source    string
	Window    orderbot.Window
	Fetched   map[string]int // orders, payments, stock, shipments
	Evaluated int            // orders in the snapshot
	Anomalies []orderbot.Anomaly
	Changes   []tickets.Change
	Duration  time.Duration
	Err       error // the source's failure; the cycle still recorded it
}

// fetched is one cycle's raw haul.
type fetched struct {
	orders    *listed // already cached (see listOrders)
	payments  []orderbot.Payment
	stock     []orderbot.StockLevel
	stockSide orderbot.StockSide
	shipments []orderbot.Shipment
	erp       []orderbot.ErpOrder
	// erpWatched are the watch-list members of ERP records this cycle
	// looked at again (see splitERPWatch).
	erpWatched []string
	// queried are the parcels a per-parcel tracker was asked about.
	queried []orderbot.ShipmentRef
	// asked are the orders a per-order payment source was asked about.
	asked []string
	// cov holds the sources' health and each data set's coverage, read
	// before any record of the cycle (see Poll).
	cov *detect.Snapshot
	// gone are watched order ids the store no longer knows (their records
	// expired): they leave the watch list.
	gone []string
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Source returns the configured source of that name.
func (p *Poller) Source(name string) (Source, bool) {
	for _, s := range p.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// PollAll polls every source once, order sources first so that payments, stock
// and parcels polled after them join with fresh orders, and listed payments
// before payments asked per order. It returns every report
// and an error naming the sources that failed.
func (p *Poller) PollAll(ctx context.Context) ([]*Report, error) {
	srcs := append([]Source(nil), p.Sources...)
	rank := func(s Source) int {
		switch {
		case s.Orders != nil, s.ERPOrders != nil:
			return 0
		case s.Payments != nil:
			return 1
		case s.PaymentQueries != nil:
			// After the listed payments, which settle most orders a
			// per-order source would otherwise be asked about.
			return 2
		case s.Inventory != nil:
			return 3
		}
		return 4
	}
	sort.SliceStable(srcs, func(i, j int) bool { return rank(srcs[i]) < rank(srcs[j]) })
	var reports []*Report
	var failed []error
	for _, s := range srcs {
		r, err := p.Poll(ctx, s.Name)
		if r != nil {
			reports = append(reports, r)
		}
		if err != nil {
			failed = append(failed, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return reports, errors.Join(failed...)
}

// Poll runs one cycle for the named source. A source failure is recorded (and
// may open system.source_down) and returned; the cursor does not move.
func (p *Poller) Poll(ctx context.Context, name string) (*Report, error) {
	src, ok := p.Source(name)
	if !ok {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "poll", "no source named %q", name)
	}
	start := p.now()
	rep := &Report{Source: name, Fetched: map[string]int{}}
	defer func() {
		rep.Duration = p.now().Sub(start)
		if p.Metrics != nil {
			outcome := "ok"
			if rep.Err != nil {
				outcome = "failed"
			}
			p.Metrics.Polls.WithLabelValues(name, outcome).Inc()
			p.Metrics.PollDuration.WithLabelValues(name).Observe(rep.Duration.Seconds())
		}
	}()

	cursor, err := p.Store.Cursor(ctx, name)
	if err != nil {
		rep.Err = err
		return rep, fmt.Errorf("poll %s: reading cursor: %w", name, err)
	}
	overlap, lookback := src.Overlap, src.InitialLookback
	if overlap <= 0 {
		overlap = 10 * time.Minute
	}
	if lookback <= 0 {
		lookback = 72 * time.Hour
	}
	rep.Window = orderbot.Window{From: cursor.Add(-overlap), To: start}
	if cursor.IsZero() {
		rep.Window.From = start.Add(-lookback)
	}

	// What the other sources cover is read before any record: a source's
	// cursor moves only after its records are saved, so records read later are
	// at least as complete as the coverage claims. Read after the records, a
	// cycle of another source committing in between (a Stripe poll while the
	// shop's pages are joined with payments) would make a payment this cycle
	// did not see look proven absent.
	cov := &detect.Snapshot{}
	if err := p.health(ctx, cov, src.Name, rep.Window.From, rep.Window.To); err != nil {
		rep.Err = err
		return rep, fmt.Errorf("poll %s: %w", name, err)
	}
	f, err := p.fetch(ctx, src, rep.Window)
	if err != nil {
		rep.Err = err
		var se *stageError
		if ctx.Err() != nil || errors.As(err, &se) {
			// Cancelled, or the store failed while orders were listed: not
			// the source's failure.
			return rep, fmt.Errorf("poll %s: %w", name, err)
		}
		p.recordFailure(ctx, src, rep, err)
		return rep, fmt.Errorf("poll %s: %w", name, err)
	}
	for typ, n := range map[string]int{"orders": f.orders.n, "payments": len(f.payments), "stock": len(f.stock), "shipments": len(f.shipments), "erp_orders": len(f.erp)} {
		rep.Fetched[typ] = n
		if p.Metrics != nil && n > 0 {
			p.Metrics.Records.WithLabelValues(name, typ).Add(float64(n))
		}
	}

	f.cov = cov
	if err := p.cycle(ctx, src, rep, f); err != nil {
		rep.Err = err
		return rep, fmt.Errorf("poll %s: %w", name, err)
	}
	return rep, nil
}

// fetch pulls the window from every role of the source. Records seen twice (a
// record updated while paging) are de-duplicated, keeping the newest. Orders
// are cached as they are listed; a failure of the store doing so is a
// *stageError.
func (p *Poller) fetch(ctx context.Context, src Source, w orderbot.Window) (*fetched, error) {
	f := &fetched{orders: &listed{}}
	if src.Orders != nil {
		// Records are joined while listing only when nothing the cycle fetches
		// after the orders can belong to them.
		join := src.Payments == nil && src.PaymentQueries == nil && src.Tracking == nil
		l, err := p.listOrders(ctx, src, w, join)
		if err != nil {
			return nil, err
		}
		f.orders = l
	}
	if src.Payments != nil {
		byID := map[string]int{}
		err := src.Payments.ListPayments(ctx, w, func(page []orderbot.Payment) error {
			for _, pm := range page {
				if i, seen := byID[pm.ID]; seen {
					f.payments[i] = pm
					continue
				}
				byID[pm.ID] = len(f.payments)
				f.payments = append(f.payments, pm)
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("listing payments: %w", err)
		}
		if err := p.followAuthorizations(ctx, src, f, byID); err != nil {
			return nil, err
		}
	}
	if src.ERPOrders != nil {
		byID := map[string]int{}
		err := src.ERPOrders.ListERPOrders(ctx, w, func(page []orderbot.ErpOrder) error {
			for _, e := range page {
				if i, seen := byID[e.ID]; seen {
					if e.Modified.After(f.erp[i].Modified) {
						f.erp[i] = e
					}
					continue
				}
				byID[e.ID] = len(f.erp)
				f.erp = append(f.erp, e)
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("listing ERP orders: %w", err)
		}
	}
	if src.PaymentQueries != nil {
		if err := p.queryPayments(ctx, src, f); err != nil {
			return nil, err
		}
	}
	if src.Inventory != nil {
		f.stockSide = src.Inventory.Side()
		// Stock is listed whole every cycle: it is small next to orders, and a
		// full list is the only way to notice a SKU whose record stopped updating.
		err := src.Inventory.ListStock(ctx, time.Time{}, func(page []orderbot.StockLevel) error {
			f.stock = append(f.stock, page...)
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("listing stock: %w", err)
		}
	}
	if src.Tracking != nil {
		if l, ok := src.Tracking.(orderbot.ShipmentLister); ok {
			byNum := map[string]int{}
			err := l.ListShipments(ctx, w, func(page []orderbot.Shipment) error {
				for _, s := range page {
					if i, seen := byNum[s.TrackingNumber]; seen {
						f.shipments[i] = s
						continue
					}
					byNum[s.TrackingNumber] = len(f.shipments)
					f.shipments = append(f.shipments, s)
				}
				return ctx.Err()
			})
			if err != nil {
				return nil, fmt.Errorf("listing shipments: %w", err)
			}
		} else if err := p.trackParcels(ctx, src, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// queryPayments asks a per-order payment source about the orders due in its
// queue (scheduleOrderChecks fills it). No trade for an order is not an error
// of the source, nor is an order it cannot answer for; a failure of the source
// itself (auth, outage) fails the cycle.
func (p *Poller) queryPayments(ctx context.Context, src Source, f *fetched) error {
	due, err := p.Store.DueOrderChecks(ctx, src.Name, p.now(), p.queryBatch())
	if err != nil {
		return fmt.Errorf("reading order-check queue: %w", err)
	}
	if len(due) == 0 {
		return nil
	}
	orders, err := p.Store.Orders(ctx, due)
	if err != nil {
		return fmt.Errorf("loading orders to query: %w", err)
	}
	for _, id := range due {
		o, ok := orders[id]
		if !ok {
			o = orderbot.Order{ID: id}
		}
		pm, err := src.PaymentQueries.QueryPayment(ctx, o)
		switch {
		case orderbot.IsKind(err, orderbot.KindNotFound):
		case orderbot.IsKind(err, orderbot.KindInvalid):
			p.log().Info("order cannot be queried here", "source", src.Name, "err", err)
		case err != nil:
			return fmt.Errorf("querying payment: %w", err)
		default:
			if pm.OrderID == "" {
				pm.OrderID = id
			}
			f.payments = append(f.payments, pm)
		}
		f.asked = append(f.asked, id)
	}
	return nil
}

// queryBatch is ParcelBatch with its default.
func (p *Poller) queryBatch() int {
	if p.ParcelBatch <= 0 {
		return 500
	}
	return p.ParcelBatch
}

// trackParcels asks a per-parcel tracker about the parcels due for a check. A
// parcel the tracker does not know yet is not an error of the source; a failure
// of the source itself (auth, outage) fails the cycle.
func (p *Poller) trackParcels(ctx context.Context, src Source, f *fetched) error {
	limit := p.ParcelBatch
	if limit <= 0 {
		limit = 500
	}
	due, err := p.Store.DueParcels(ctx, src.Name, p.now(), limit)
	if err != nil {
		return fmt.Errorf("reading parcel queue: %w", err)
	}
	for _, pr := range due {
		s, err := src.Tracking.Track(ctx, pr.Ref)
		switch {
		case orderbot.IsKind(err, orderbot.KindNotFound):
			// The tracker has no trace of the parcel at all: for a per-parcel
			// tracker that means no carrier scan yet, which is exactly what
			// shipping.no_pickup looks for, so it is recorded as pending.
			s = orderbot.Shipment{TrackingNumber: pr.Ref.TrackingNumber, Carrier: pr.Ref.Carrier, Status: orderbot.ShipPending}
		case orderbot.IsKind(err, orderbot.KindInvalid):
			// The tracker cannot answer for this parcel (unknown carrier code):
			// nothing is known, and nothing is concluded.
			p.log().Info("parcel cannot be tracked here", "source", src.Name, "carrier", pr.Ref.Carrier, "err", err)
			f.queried = append(f.queried, pr.Ref)
			continue
		case err != nil:
			return fmt.Errorf("tracking parcel: %w", err)
		}
		if s.OrderID == "" {
			s.OrderID = pr.OrderID
		}
		if s.Source == "" {
			s.Source = src.Name
		}
		f.shipments = append(f.shipments, s)
		f.queried = append(f.queried, pr.Ref)
	}
	return nil
}

// followAuthorizations fetches again every payment of the source that was last
// seen authorised and not captured, unless the listing brought it already: a
// provider listing by creation time (Stripe) does not list an authorisation
// again when it is captured or voided days later, and without this the store
// would hold it as authorised for ever (and the shop's capture would look like
// a paid order without a payment). Sources that cannot fetch one payment are
// left as they are.
func (p *Poller) followAuthorizations(ctx context.Context, src Source, f *fetched, byID map[string]int) error {
	getter, ok := src.Payments.(orderbot.PaymentGetter)
	if !ok {
		return nil
	}
	ids, err := p.Store.Authorizations(ctx, src.Name)
	if err != nil {
		return &stageError{fmt.Errorf("reading authorisations: %w", err)}
	}
	for _, id := range ids {
		if _, listed := byID[id]; listed {
			continue
		}
		pm, err := getter.GetPayment(ctx, id)
		if orderbot.IsKind(err, orderbot.KindNotFound) {
			if err := p.Store.ForgetAuthorization(ctx, src.Name, id); err != nil {
				return &stageError{err}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("fetching authorisation %s: %w", id, err)
		}
		byID[id] = len(f.payments)
		f.payments = append(f.payments, pm)
	}
	return nil
}
