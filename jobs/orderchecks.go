package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
)

// paymentDoubtHorizon is how long after an order last changed (created, paid,
// cancelled) a per-order payment source is still asked about it again: long
// enough for a lost callback or a payment after close to surface, short enough
// that an abandoned checkout stops costing queries. An order first seen later
// than that (the first poll reads history) is still asked once.
const paymentDoubtHorizon = 72 * time.Hour

// paymentInDoubt reports whether a per-order payment source (Alipay) should be
// asked about the order: it may have taken the money — the order awaits
// payment, is marked paid, or was cancelled — and no provider has reported a
// succeeded payment yet. Only wallet orders (or orders whose method the shop
// does not say) can have gone through such a provider: cards, cash on
// delivery, bank transfers and test orders never did.
func paymentInDoubt(o *orderbot.Order, pays []orderbot.Payment, now time.Time) bool {
	switch o.PaymentMethod {
	case orderbot.PayWallet, "":
	default:
		return false
	}
	if o.Test {
		return false
	}
	for i := range pays {
		if pays[i].Status == orderbot.PaymentSucceeded {
			return false
		}
	}
	return true
}

// doubtExpired reports whether an order still in doubt has stopped changing
// for longer than paymentDoubtHorizon: it is not asked about again until it
// changes.
func doubtExpired(o *orderbot.Order, now time.Time) bool {
	last := o.CreatedAt
	for _, t := range []time.Time{o.PaidAt, o.CancelledAt, o.UpdatedAt} {
		if t.After(last) {
			last = t
		}
	}
	return now.Sub(last) > paymentDoubtHorizon
}

// scheduleOrderChecks keeps the per-order payment sources' queues. An order in
// doubt that is not queued yet is queued at its creation time: due at once and,
// until it is asked, holding the payments coverage back to it (see health), so
// no rule concludes "no payment" for an order the source was never asked
// about. An order an order source just listed with a change since the last
// recheck is hurried to its update time, for the same reason. An order the
// polled source was just asked about and is still in doubt comes back after
// RecheckEvery; a settled one leaves the queue.
func (p *Poller) scheduleOrderChecks(ctx context.Context, src Source, f *fetched, snap *detect.Snapshot, now time.Time) error {
	for _, q := range p.Sources {
		if q.PaymentQueries == nil {
			continue
		}
		every := q.RecheckEvery
		if every <= 0 {
			every = 2 * time.Hour
		}
		asked := map[string]bool{}
		if q.Name == src.Name {
			for _, id := range f.asked {
				asked[id] = true
			}
		}
		var c store.OrderChecks
		for i := range snap.Orders {
			o := &snap.Orders[i]
			var pays []orderbot.Payment
			if i < len(snap.Records) {
				pays = snap.Records[i].Payments
			}
			switch {
			case !paymentInDoubt(o, pays, now):
				c.Set = append(c.Set, store.Check{OrderID: o.ID}) // leaves the queue
			case asked[o.ID] && doubtExpired(o, now):
				c.Set = append(c.Set, store.Check{OrderID: o.ID}) // asked once more since it last changed; enough
			case asked[o.ID]:
				c.Set = append(c.Set, store.Check{OrderID: o.ID, At: now.Add(every)})
			default:
				c.Queue = append(c.Queue, store.Check{OrderID: o.ID, At: notAfter(o.CreatedAt, now)})
				// Listed orders come first in the snapshot. A change older
				// than a recheck period was seen by an earlier query.
				if i < f.orders.n && now.Sub(o.UpdatedAt) < every {
					c.Hurry = append(c.Hurry, store.Check{OrderID: o.ID, At: notAfter(o.UpdatedAt, now)})
				}
			}
			delete(asked, o.ID)
		}
		for id := range asked {
			// Asked about an order the store does not hold: nothing to recheck.
			c.Set = append(c.Set, store.Check{OrderID: id})
		}
		if err := p.Store.ScheduleOrderChecks(ctx, q.Name, c); err != nil {
			return fmt.Errorf("scheduling order checks for %s: %w", q.Name, err)
		}
	}
	return nil
}

// notAfter is t, or now when t is zero or later.
func notAfter(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}
