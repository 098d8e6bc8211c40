package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// delayNotices tells the customers whose orders an oversold SKU delays (the
// ticket is about the SKU, product.md §3: "on open (delay)"). Stock goes to
// the oldest orders first, as a warehouse picks them; every open order with
// the SKU that the ERP's available stock does not fully cover gets the delay
// notice. The notices are bulk: the ticket's thread gets one summary line
// here, and a line of its own only for a notice whose outcome is unknown.
func (n *Notifier) delayNotices(ctx context.Context, t orderbot.Ticket) error {
	sku := t.Subject
	ids, err := n.st.OrdersWithSKU(ctx, sku)
	if err != nil || len(ids) == 0 {
		return err
	}
	orders, err := n.st.OrdersOf(ctx, ids)
	if err != nil {
		return err
	}
	stock, err := n.st.Stock(ctx, orderbot.SideERP)
	if err != nil {
		return err
	}
	type want struct {
		o   orderbot.Order
		qty int64
	}
	var open []want
	for _, o := range orders {
		if o.ID == "" {
			continue
		}
		var qty int64
		for _, l := range o.Lines {
			if l.SKU == sku {
				qty += l.Open()
			}
		}
		if qty > 0 && o.InFlight() {
			open = append(open, want{o, qty})
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if !open[i].o.CreatedAt.Equal(open[j].o.CreatedAt) {
			return open[i].o.CreatedAt.Before(open[j].o.CreatedAt)
		}
		return open[i].o.ID < open[j].o.ID
	})
	left := max(stock[sku].Available, 0)
	covered, queued, skipped, already := 0, 0, 0, 0
	for _, w := range open {
		if w.qty <= left {
			left -= w.qty
			covered++
			continue
		}
		left = 0 // what is left goes to this order's partial shipment
		ot := t
		ot.OrderID = w.o.ID
		d, err := n.prepareFor(ctx, ot, orderbot.NoticeOpen, "", w.o, true)
		if err != nil {
			return err
		}
		nt, created, err := n.record(ctx, ot, orderbot.NoticeOpen, actorSystem, d, true)
		switch {
		case err != nil:
			return err
		case !created:
			already++
		case nt.State == store.NoticeSkipped:
			skipped++
		default:
			queued++
		}
	}
	if queued+skipped == 0 {
		return nil
	}
	detail := fmt.Sprintf("Delay notices for SKU %s: %d of %d open orders cannot ship from stock (the oldest %d are covered); "+
		"%d notices queued", sku, len(open)-covered, len(open), covered, queued)
	if skipped > 0 {
		detail += fmt.Sprintf(", %d customers could not be reached or opted out", skipped)
	}
	if already > 0 {
		detail += fmt.Sprintf(", %d already notified", already)
	}
	detail += ". Only sends whose outcome is unknown get a line of their own."
	_, err = n.st.EnqueueOutbox(ctx, store.OutboxTicketChanges, store.OutboxEntry{TicketID: t.ID, Change: store.ChangeNotice,
		Payload: map[string]string{"state": "batch", "event": string(orderbot.NoticeOpen), "detail": detail, "actor": actorSystem}})
	n.log.Info("delay notices for an oversold SKU", slog.String("ticket", t.ID), slog.String("sku", sku),
		slog.Int("orders", len(open)), slog.Int("covered", covered), slog.Int("queued", queued), slog.Int("skipped", skipped))
	return err
}
