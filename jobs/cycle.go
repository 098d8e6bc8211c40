package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/tickets"
)

// cycle commits one successful fetch: records first, then tickets, then the
// watch list and parcel queue, and only then the cursor. Every step is
// idempotent, so a crash anywhere re-runs the same window on restart without
// losing a finding or opening a second ticket. Orders were cached while they
// were listed (see listOrders); a failure after that leaves them cached and
// the cursor where it was, so the next cycle lists and evaluates them again.
func (p *Poller) cycle(ctx context.Context, src Source, rep *Report, f *fetched) error {
	st := p.Store
	now := rep.Window.To

	if err := st.SavePayments(ctx, f.payments); err != nil {
		return fmt.Errorf("saving payments: %w", err)
	}
	if err := st.TrackAuthorizations(ctx, src.Name, f.payments); err != nil {
		return fmt.Errorf("tracking authorisations: %w", err)
	}
	if src.Inventory != nil {
		if err := st.ReplaceStock(ctx, f.stockSide, src.Name, f.stock); err != nil {
			return fmt.Errorf("saving stock: %w", err)
		}
	}
	if err := st.SaveShipments(ctx, f.shipments); err != nil {
		return fmt.Errorf("saving shipments: %w", err)
	}
	if err := st.SaveERPOrders(ctx, f.erp); err != nil {
		return fmt.Errorf("saving ERP orders: %w", err)
	}
	if err := countSeen(ctx, st, now, f.shipments, f.payments); err != nil {
		return fmt.Errorf("counting parcels and payments seen: %w", err)
	}

	snap, err := p.snapshot(ctx, src, f, rep.Window)
	if err != nil {
		return err
	}
	rep.Evaluated = len(snap.Orders)
	res := p.Detector.Run(snap)
	rep.Anomalies = res.Anomalies
	changes, err := p.Engine.Apply(ctx, res)
	rep.Changes = changes
	if p.Metrics != nil {
		for i := range res.Anomalies {
			p.Metrics.Anomalies.WithLabelValues(string(res.Anomalies[i].Kind)).Inc()
		}
		for _, c := range changes {
			p.Metrics.TicketChanges.WithLabelValues(string(c.Ticket.Kind), string(c.Change)).Inc()
		}
	}
	if err != nil {
		return fmt.Errorf("writing tickets: %w", err)
	}
	if res.StockDiffs != nil {
		if err := st.TrackStockDiffs(ctx, snap.StockDiffSince, res.StockDiffs); err != nil {
			return fmt.Errorf("recording stock differences: %w", err)
		}
	}

	// The watch list: when each order must be looked at again. The snapshot's
	// orders without a next check leave it; order ids known only from
	// payments (their order not polled yet) come back through it too.
	checks := make([]store.Check, len(snap.Orders), len(snap.Orders)+len(snap.Payments))
	for i := range snap.Orders {
		checks[i].OrderID = snap.Orders[i].ID
		if i < len(res.Next) {
			checks[i].At = res.Next[i]
		}
	}
	again := map[string]bool{}
	for id, t := range res.NextUnknown() {
		checks = append(checks, store.Check{OrderID: id, At: t})
		again[id] = true
	}
	for _, m := range f.erpWatched {
		if !again[m] {
			// The ERP record found its shop order or was judged: off the list.
			checks = append(checks, store.Check{OrderID: m})
		}
	}
	for _, id := range f.gone {
		checks = append(checks, store.Check{OrderID: id})
	}
	checks = recheckWaiting(checks, changes, now)
	if err := st.WatchChecks(ctx, checks); err != nil {
		return fmt.Errorf("updating watch list: %w", err)
	}
	if err := p.scheduleParcels(ctx, src, f, snap, now); err != nil {
		return err
	}
	if err := p.scheduleOrderChecks(ctx, src, f, snap, now); err != nil {
		return err
	}

	if p.beforeCommit != nil {
		p.beforeCommit(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.MarkSince(ctx, src.Name, rep.Window.From); err != nil {
		return fmt.Errorf("recording first window: %w", err)
	}
	if err := st.CommitCursor(ctx, src.Name, rep.Window.To); err != nil {
		return fmt.Errorf("committing cursor: %w", err)
	}
	h, err := st.RecordPoll(ctx, src.Name, true, "", now)
	if err != nil {
		return fmt.Errorf("recording poll: %w", err)
	}
	if p.Metrics != nil {
		p.Metrics.SourceFailing.WithLabelValues(src.Name).Set(float64(h.Failures))
	}
	return nil
}

// snapshot joins the cycle's records with what the store knows: every order the
// cycle touched (directly, through a payment or a parcel) or the watch list says
// is due, with all their payments and parcels, plus stock and demand when the
// cycle can change inventory verdicts. It builds the aligned form
// (Snapshot.Records): the listed orders first, as listed, then the others;
// Payments holds only the payments of order ids the store has no order for.
func (p *Poller) snapshot(ctx context.Context, src Source, f *fetched, w orderbot.Window) (*detect.Snapshot, error) {
	now := w.To
	st := p.Store

	// The orders this cycle listed are at hand (and cached); only the rest
	// come from the cache.
	var rest []string
	seen := map[string]bool{}
	touch := func(id string) {
		if id != "" && !f.orders.has(id) && !seen[id] {
			seen[id] = true
			rest = append(rest, id)
		}
	}
	for i := range f.payments {
		touch(f.payments[i].OrderID)
	}
	for i := range f.shipments {
		touch(f.shipments[i].OrderID)
	}
	due, err := st.DueWatch(ctx, now, 0)
	if err != nil {
		return nil, fmt.Errorf("reading watch list: %w", err)
	}
	due, erpRefs, erpMembers := splitERPWatch(due)
	f.erpWatched = erpMembers
	isDue := make(map[string]bool, len(due))
	for _, id := range due {
		touch(id)
		isDue[id] = true
	}
	// ERP records of this cycle, and those waiting for their shop order,
	// bring the shop orders they name.
	var erpRecs []orderbot.ErpOrder
	var erpIDs []string
	if len(f.erp) > 0 || len(erpRefs) > 0 {
		if erpRecs, erpIDs, err = erpCandidates(ctx, st, f.erp, erpRefs); err != nil {
			return nil, err
		}
		for _, id := range erpIDs {
			touch(id)
		}
	}

	var cached []orderbot.Order
	if len(rest) > 0 {
		if cached, err = st.OrdersOf(ctx, rest); err != nil {
			return nil, fmt.Errorf("loading orders: %w", err)
		}
	}
	// ERP records whose shop order the store does not have.
	var orphans []orderbot.ErpOrder
	if len(erpRecs) > 0 {
		known := make(map[string]bool, len(cached))
		for i := range cached {
			if cached[i].ID != "" {
				known[cached[i].ID] = true
			}
		}
		for i := range erpRecs {
			if id := erpIDs[i]; id == "" || (!known[id] && !f.orders.has(id)) {
				orphans = append(orphans, erpRecs[i])
			}
		}
	}
	known := 0
	for i := range cached {
		if cached[i].ID != "" {
			known++
		}
	}
	snap := &detect.Snapshot{Now: now,
		Orders:  make([]orderbot.Order, 0, f.orders.n+known),
		Records: make([]detect.OrderRecords, 0, f.orders.n+known)}
	joined := f.orders.recs != nil
	f.orders.each(func(o *orderbot.Order, rec *detect.OrderRecords) {
		snap.Orders = append(snap.Orders, *o)
		if rec == nil {
			joined = false
			return
		}
		snap.Records = append(snap.Records, *rec)
	})
	// The snapshot has its own copy now: let the collector have the pages
	// (a large listing is tens of megabytes it would otherwise scan again).
	f.orders.release()
	if !joined {
		// Something this cycle saved after listing (its own payments or
		// parcels) may belong to the listed orders: join them now.
		recs, err := joinRecords(ctx, st, snap.Orders, nil)
		if err != nil {
			return nil, err
		}
		snap.Records = append(snap.Records[:0], recs...)
	}
	if len(rest) > 0 {
		recs, err := joinRecords(ctx, st, cached, rest)
		if err != nil {
			return nil, err
		}
		for i := range cached {
			switch {
			case cached[i].ID != "":
				snap.Orders = append(snap.Orders, cached[i])
				snap.Records = append(snap.Records, recs[i])
			case len(recs[i].Payments) > 0:
				// No such order in the store: detection looks at its
				// payments alone.
				if snap.Payments == nil {
					snap.Payments = map[string][]orderbot.Payment{}
				}
				snap.Payments[rest[i]] = recs[i].Payments
			case isDue[rest[i]]:
				// Watched, but its records have expired from the cache
				// (store.Options.InFlightRetention): nothing is left to
				// look at, so it leaves the watch list.
				f.gone = append(f.gone, rest[i])
			}
		}
	}

	if err := p.joinERP(ctx, snap, orphans); err != nil {
		return nil, err
	}

	// Inventory verdicts change when stock is polled (every SKU) or when orders
	// change demand (their SKUs); payment and parcel cycles leave them alone.
	var skus []string
	switch {
	case src.Inventory != nil:
		skus = nil
	case f.orders.n > 0:
		seen := map[string]struct{}{}
		skus = []string{}
		for i := range snap.Orders[:f.orders.n] {
			for _, l := range snap.Orders[i].Lines {
				if _, dup := seen[l.SKU]; !dup && l.SKU != "" {
					seen[l.SKU] = struct{}{}
					skus = append(skus, l.SKU)
				}
			}
		}
	default:
		skus = []string{}
	}
	if skus == nil || len(skus) > 0 {
		if snap.ShopStock, err = st.Stock(ctx, orderbot.SideShop); err != nil {
			return nil, fmt.Errorf("loading shop stock: %w", err)
		}
		if snap.ERPStock, err = st.Stock(ctx, orderbot.SideERP); err != nil {
			return nil, fmt.Errorf("loading ERP stock: %w", err)
		}
		if snap.Demand, err = st.Demand(ctx, skus); err != nil {
			return nil, fmt.Errorf("loading demand: %w", err)
		}
		if snap.StockDiffSince, err = st.StockDiffSince(ctx); err != nil {
			return nil, fmt.Errorf("loading stock differences: %w", err)
		}
	}
	snap.StockSKUs = skus

	if f.cov != nil {
		snap.Coverage, snap.Since, snap.Sources = f.cov.Coverage, f.cov.Since, f.cov.Sources
	} else if err := p.health(ctx, snap, src.Name, w.From, now); err != nil {
		return nil, err
	}
	return snap, nil
}

// health fills the sources' poll health and the coverage of each data set: the
// oldest committed cursor among the sources that provide it, counting the
// source being polled as complete up to now.
func (p *Poller) health(ctx context.Context, snap *detect.Snapshot, current string, currentFrom, now time.Time) error {
	names := make([]string, len(p.Sources))
	for i, s := range p.Sources {
		names[i] = s.Name
	}
	hs, err := p.Store.SourceHealth(ctx, names)
	if err != nil {
		return fmt.Errorf("reading source health: %w", err)
	}
	since, err := p.Store.Since(ctx, names)
	if err != nil {
		return fmt.Errorf("reading first poll windows: %w", err)
	}
	snap.Coverage = map[orderbot.DataSet]time.Time{orderbot.DataPolls: now}
	snap.Since = map[orderbot.DataSet]time.Time{}
	for _, s := range p.Sources {
		cur, err := p.Store.Cursor(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("reading cursor of %s: %w", s.Name, err)
		}
		h := hs[s.Name]
		sh := detect.SourceHealth{Name: s.Name, ConsecutiveFailures: h.Failures, LastError: h.LastError, LastSuccess: h.LastSuccess, CursorAt: cur}
		if s.Inventory != nil {
			sh.Side = s.Inventory.Side()
		}
		if s.Name == current {
			cur = now
			sh.ConsecutiveFailures, sh.LastError, sh.LastSuccess, sh.CursorAt = 0, "", now, now
		}
		if s.PaymentQueries != nil {
			// A per-order source lists no window, so its cursor says nothing
			// about coverage: it vouches for every order it was asked about,
			// and an order still waiting for its query holds the coverage
			// back to when it was queued (scheduleOrderChecks). The source
			// being polled asks the first batch of its queue in this cycle.
			cur = now
			skip := 0
			if s.Name == current {
				skip = p.queryBatch()
			}
			oldest, ok, err := p.Store.OldestOrderCheck(ctx, s.Name, skip)
			if err != nil {
				return fmt.Errorf("reading order-check queue of %s: %w", s.Name, err)
			}
			if ok && oldest.Before(cur) {
				cur = oldest
			}
		}
		first, polled := since[s.Name]
		if s.Name == current && !polled {
			first, polled = currentFrom, true
		}
		for _, ds := range s.Provides() {
			if sh.Kind == "" {
				sh.Kind = ds
			}
			// The records of a data set are known from the latest first window
			// among its sources (each source only knows its own history).
			if polled && first.After(snap.Since[ds]) {
				snap.Since[ds] = first
			}
			c, seen := snap.Coverage[ds]
			if !seen || cur.Before(c) {
				snap.Coverage[ds] = cur
			}
		}
		snap.Sources = append(snap.Sources, sh)
	}
	return nil
}

// scheduleParcels keeps the per-parcel trackers' queues: parcels of in-flight
// orders are asked about until they are delivered or returned.
func (p *Poller) scheduleParcels(ctx context.Context, src Source, f *fetched, snap *detect.Snapshot, now time.Time) error {
	for _, tr := range p.Sources {
		if tr.Tracking == nil {
			continue
		}
		if _, lists := tr.Tracking.(orderbot.ShipmentLister); lists {
			continue
		}
		every := tr.RecheckEvery
		if every <= 0 {
			every = 2 * time.Hour
		}
		filter, _ := tr.Tracking.(orderbot.CarrierTracker)
		next := map[string]store.Parcel{}
		for i := range snap.Orders {
			o := &snap.Orders[i]
			for j, ref := range o.Shipments {
				if filter != nil && !filter.TracksCarrier(ref.Carrier) {
					continue
				}
				var s *orderbot.Shipment
				if parcels := snap.Records[i].Parcels; j < len(parcels) {
					s = parcels[j]
				}
				known := s != nil
				pr := store.Parcel{Ref: ref, OrderID: o.ID}
				switch {
				case !o.InFlight() || (known && s.Status.Final()):
					// zero NextAt removes it from the queue
				case !known:
					pr.NextAt = now // never asked: ask at once
				default:
					continue // keeps its place in the queue
				}
				next[ref.TrackingNumber] = pr
			}
		}
		if tr.Name == src.Name {
			for _, ref := range f.queried {
				pr := next[ref.TrackingNumber]
				pr.Ref = ref
				pr.NextAt = now.Add(every)
				for i := range f.shipments {
					if f.shipments[i].TrackingNumber == ref.TrackingNumber {
						pr.OrderID = f.shipments[i].OrderID
						if f.shipments[i].Status.Final() {
							pr.NextAt = time.Time{}
						}
					}
				}
				next[ref.TrackingNumber] = pr
			}
		}
		if len(next) == 0 {
			continue
		}
		if err := p.Store.ScheduleParcels(ctx, tr.Name, next); err != nil {
			return fmt.Errorf("scheduling parcels for %s: %w", tr.Name, err)
		}
	}
	return nil
}

// recordFailure notes a failed poll and runs the source-health rule at once, so
// system.source_down opens on the Nth failure rather than on the next success
// elsewhere.
func (p *Poller) recordFailure(ctx context.Context, src Source, rep *Report, cause error) {
	log := p.log().With("source", src.Name)
	h, err := p.Store.RecordPoll(ctx, src.Name, false, orderbot.UserMessage(cause), rep.Window.To)
	if err != nil {
		log.Error("recording failed poll", "err", err)
		return
	}
	if p.Metrics != nil {
		p.Metrics.SourceFailing.WithLabelValues(src.Name).Set(float64(h.Failures))
	}
	// Only poll health is known here: no orders and no SKUs are evaluated, so
	// nothing but source tickets can be opened or auto-resolved.
	snap := &detect.Snapshot{Now: rep.Window.To, StockSKUs: []string{}}
	if err := p.health(ctx, snap, "", time.Time{}, rep.Window.To); err != nil {
		log.Error("reading source health", "err", err)
		return
	}
	res := p.Detector.Run(snap)
	rep.Anomalies = res.Anomalies
	changes, err := p.Engine.Apply(ctx, res)
	rep.Changes = changes
	if err != nil {
		log.Error("writing source-down ticket", "err", err)
	}
}

// recheckWaiting makes the orders the flap guard is waiting on due again at
// now, so the next poll evaluates them: a condition found but not yet often
// enough to open a ticket (pending), and a ticket found cleared but not yet
// often enough to auto-resolve (clearing). Without this an order that does
// not change would never be looked at again and its ticket would neither open
// nor resolve. That includes an order known only from its payments (a payment
// for an order the shop has not shown): it is added to the watch list, so the
// next cycle joins its payments again.
func recheckWaiting(checks []store.Check, changes []tickets.Change, now time.Time) []store.Check {
	var due map[string]bool
	for _, c := range changes {
		if (c.Change == store.ChangePending || c.Change == tickets.ChangeClearing) && c.Ticket.OrderID != "" {
			if due == nil {
				due = make(map[string]bool)
			}
			due[c.Ticket.OrderID] = true
		}
	}
	if due == nil {
		return checks
	}
	for i := range checks {
		id := checks[i].OrderID
		if !due[id] {
			continue
		}
		if checks[i].At.IsZero() || checks[i].At.After(now) {
			checks[i].At = now
		}
		delete(due, id)
	}
	for id := range due {
		checks = append(checks, store.Check{OrderID: id, At: now})
	}
	return checks
}
