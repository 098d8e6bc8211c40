package lookup

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Directory implements bot.OrderDirectory and tickets.OrderFinder.
type Directory struct {
	Store *store.Store
	// Sources are asked, in order, for an order the cache does not know.
	Sources []orderbot.OrderSource
	// Links are the ERP sources' order links: the view shows the ERP's
	// records of the order beside the shop's.
	Links []orderbot.OrderLink
	// Trackers are asked for each parcel's whole checkpoint timeline when an
	// order is viewed: the record cache keeps only the newest checkpoint
	// (store/codec.go), which is all detection and cards need. A parcel no
	// tracker answers for shows the cached checkpoint.
	Trackers []orderbot.TrackingSource
}

const op = "lookup.find_order"

// FindOrder returns the one view of the order query names. Several orders for
// one phone or email: the most recent one (the view lists how many matched in
// no field of its own, so the caller says "latest of N" if it wants).
func (d *Directory) FindOrder(ctx context.Context, query string) (orderbot.OrderView, error) {
	o, err := d.find(ctx, strings.TrimSpace(query))
	if err != nil {
		return orderbot.OrderView{}, err
	}
	v := orderbot.OrderView{Order: o}
	pays, err := d.Store.PaymentsByOrder(ctx, []string{o.ID})
	if err != nil {
		return v, err
	}
	v.Payments = pays[o.ID]
	v.Shipments, err = d.shipments(ctx, o)
	if err != nil {
		return v, err
	}
	d.timelines(ctx, v.Shipments)
	if refs := orderbot.RefsOf(&o, d.Links); len(refs) > 0 {
		erps, err := d.Store.ERPOf(ctx, [][]orderbot.OrderRef{refs})
		if err != nil {
			return v, err
		}
		v.ERP = erps[0]
	}
	for _, k := range orderbot.Kinds() {
		if s, _ := orderbot.Spec(k); s.GroupBy != orderbot.ByOrder {
			continue
		}
		t, err := d.Store.GetByFingerprint(ctx, orderbot.Fingerprint(k, o.ID))
		if err == nil {
			v.Tickets = append(v.Tickets, t)
		} else if !orderbot.IsKind(err, orderbot.KindNotFound) {
			return v, err
		}
	}
	return v, nil
}

// FindOrderWithShipments implements tickets.OrderFinder.
func (d *Directory) FindOrderWithShipments(ctx context.Context, ref string) (orderbot.Order, []orderbot.Shipment, error) {
	o, err := d.find(ctx, strings.TrimSpace(ref))
	if err != nil {
		return orderbot.Order{}, nil, err
	}
	sh, err := d.shipments(ctx, o)
	return o, sh, err
}

func (d *Directory) shipments(ctx context.Context, o orderbot.Order) ([]orderbot.Shipment, error) {
	if len(o.Shipments) == 0 {
		return nil, nil
	}
	nums := make([]string, len(o.Shipments))
	for i, r := range o.Shipments {
		nums[i] = r.TrackingNumber
	}
	m, err := d.Store.Shipments(ctx, nums)
	if err != nil {
		return nil, err
	}
	out := make([]orderbot.Shipment, 0, len(nums))
	for _, r := range o.Shipments {
		if s, ok := m[r.TrackingNumber]; ok {
			out = append(out, s)
		} else {
			// Known from the order, not yet from a tracker.
			out = append(out, orderbot.Shipment{TrackingNumber: r.TrackingNumber, Carrier: r.Carrier, OrderID: o.ID, Status: orderbot.ShipPending})
		}
	}
	return out, nil
}

// timelineTimeout bounds the live tracking look-ups of one order view: a slow
// courier API must not keep a slash command past Slack's patience.
const timelineTimeout = 2 * time.Second

// timelines replaces each parcel's cached checkpoints with the whole timeline
// from the first tracker that knows its carrier. A tracker that fails leaves
// the cached parcel as it is: the view still answers.
func (d *Directory) timelines(ctx context.Context, shs []orderbot.Shipment) {
	if len(d.Trackers) == 0 || len(shs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timelineTimeout)
	defer cancel()
	for i := range shs {
		sh := &shs[i]
		ref := orderbot.ShipmentRef{TrackingNumber: sh.TrackingNumber, Carrier: sh.Carrier}
		for _, t := range d.Trackers {
			if c, ok := t.(orderbot.CarrierTracker); ok && !c.TracksCarrier(sh.Carrier) {
				continue
			}
			live, err := t.Track(ctx, ref)
			if err != nil || len(live.Checkpoints) < len(sh.Checkpoints) {
				continue
			}
			if live.OrderID == "" {
				live.OrderID = sh.OrderID
			}
			*sh = live
			break
		}
	}
}

func (d *Directory) find(ctx context.Context, q string) (orderbot.Order, error) {
	if q == "" {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindInvalid, op, "give an order id, tracking number, phone or email")
	}
	if len(q) > 128 {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindInvalid, op, "that is too long to be an order reference")
	}
	id := strings.TrimPrefix(q, "#")
	// An order id the polls saw.
	if m, err := d.Store.Orders(ctx, []string{id}); err != nil {
		return orderbot.Order{}, err
	} else if o, ok := m[id]; ok {
		return o, nil
	}
	// A tracking number.
	if m, err := d.Store.Shipments(ctx, []string{q}); err != nil {
		return orderbot.Order{}, err
	} else if s, ok := m[q]; ok && s.OrderID != "" {
		if o, ok, err := d.cached(ctx, s.OrderID); err != nil || ok {
			return o, err
		}
	}
	// A phone number or email address.
	if store.NormalizeContact(q) != "" {
		ids, err := d.Store.OrdersByContact(ctx, q, 50)
		if err != nil {
			return orderbot.Order{}, err
		}
		if len(ids) > 0 {
			m, err := d.Store.Orders(ctx, ids)
			if err != nil {
				return orderbot.Order{}, err
			}
			var all []orderbot.Order
			for _, o := range m {
				all = append(all, o)
			}
			if len(all) > 0 {
				sort.Slice(all, func(i, j int) bool { return all[i].CreatedAt.After(all[j].CreatedAt) })
				return all[0], nil
			}
		}
	}
	// Ask the shops (an order older than the cache, or a display name).
	for _, src := range d.Sources {
		o, err := src.GetOrder(ctx, q)
		if err == nil {
			return o, nil
		}
		if !orderbot.IsKind(err, orderbot.KindNotFound) && !orderbot.IsKind(err, orderbot.KindInvalid) {
			return orderbot.Order{}, err
		}
	}
	return orderbot.Order{}, orderbot.Errorf(orderbot.KindNotFound, op, "no order matches that reference")
}

func (d *Directory) cached(ctx context.Context, id string) (orderbot.Order, bool, error) {
	m, err := d.Store.Orders(ctx, []string{id})
	if err != nil {
		return orderbot.Order{}, false, err
	}
	o, ok := m[id]
	return o, ok, nil
}
