package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// OrderFinder finds an order by the reference staff typed (an order id or display
// name); a missing order is a KindNotFound error.
type OrderFinder interface {
	FindOrderWithShipments(ctx context.Context, ref string) (orderbot.Order, []orderbot.Shipment, error)
}

// Manual opens tickets that staff raise by hand (`/ob open <order> <kind> [note]`).
type Manual struct {
	Engine *Engine
	Orders OrderFinder
}

// OpenManual opens (or adds to) the ticket of kind for the order staff named, with
// the order's facts and latest tracking filled in, and records the note. Only
// manual kinds can be opened this way: a detected kind opened by hand would be
// auto-resolved by the next poll that sees the order clean, which would surprise
// the person who opened it.
func (m *Manual) OpenManual(ctx context.Context, orderRef string, kind orderbot.Kind, note, actor string) (orderbot.Ticket, error) {
	const op = "tickets.open_manual"
	spec, ok := orderbot.Spec(kind)
	if !ok {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindInvalid, op, "%q is not a kind; manual kinds: %s", string(kind), strings.Join(manualKinds(), ", "))
	}
	if !spec.Manual {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindInvalid, op, "%s is detected automatically and cannot be opened by hand; manual kinds: %s", kind, strings.Join(manualKinds(), ", "))
	}
	ks, ok := m.Engine.settings[kind]
	if ok && !ks.Enabled {
		return orderbot.Ticket{}, orderbot.Errorf(orderbot.KindInvalid, op, "%s is disabled in the configuration", kind)
	}
	if ks.Kind == "" {
		ks, _ = orderbot.DefaultSettings(kind)
	}
	order, shipments, err := m.Orders.FindOrderWithShipments(ctx, orderRef)
	if err != nil {
		return orderbot.Ticket{}, err
	}
	now := m.Engine.now()
	a := orderbot.Anomaly{
		Kind: kind, Subject: order.ID, OrderID: order.ID, Source: order.Source,
		Severity: ks.Severity, Department: ks.Department,
		Summary:    fmt.Sprintf("%s for order %s, opened by staff", spec.Title, displayName(order)),
		Facts:      orderFacts(order, shipments),
		DetectedAt: now, Deadline: order.ShipBy,
	}
	changes, err := m.Engine.Upsert(ctx, []orderbot.Anomaly{a})
	if err != nil {
		return orderbot.Ticket{}, err
	}
	t := changes[0].Ticket
	tr := store.Transition{Action: orderbot.ActNote, Actor: actor, Note: "opened by hand"}
	if note = strings.TrimSpace(note); note != "" {
		tr.Note = "opened by hand: " + note
	}
	if nt, _, err := m.Engine.life.Apply(ctx, t.ID, tr); err == nil {
		t = nt
	} else {
		return t, fmt.Errorf("tickets: recording note on %s: %w", t.ID, err)
	}
	return t, nil
}

func manualKinds() []string {
	var out []string
	for _, k := range orderbot.SortedKinds() {
		if s, _ := orderbot.Spec(k); s.Manual {
			out = append(out, string(k))
		}
	}
	return out
}

func displayName(o orderbot.Order) string {
	if o.Name != "" {
		return o.Name
	}
	return o.ID
}

// orderFacts are the facts a manual ticket shows: the order and its latest
// tracking. Contact data is masked; the card never shows it in full.
func orderFacts(o orderbot.Order, shipments []orderbot.Shipment) []orderbot.Fact {
	facts := []orderbot.Fact{
		{Label: "Order", Value: displayName(o)},
		{Label: "Status", Value: fmt.Sprintf("%s / %s / %s", o.Status, o.Financial, o.Fulfillment)},
		{Label: "Total", Value: o.Total.String()},
	}
	if o.Customer.Phone != "" {
		facts = append(facts, orderbot.Fact{Label: "Phone", Value: orderbot.MaskPhone(o.Customer.Phone)})
	}
	if o.Customer.Email != "" {
		facts = append(facts, orderbot.Fact{Label: "Email", Value: orderbot.MaskEmail(o.Customer.Email)})
	}
	if addr := orderbot.MaskAddress(o.ShippingAddress); addr != "" {
		facts = append(facts, orderbot.Fact{Label: "Ship to", Value: addr})
	}
	for _, s := range shipments {
		v := fmt.Sprintf("%s %s: %s", s.Carrier, s.TrackingNumber, s.Status)
		if len(s.Checkpoints) > 0 {
			c := s.Checkpoints[0]
			v += fmt.Sprintf(" (last: %s %s, %s)", c.Time.UTC().Format("2006-01-02 15:04"), c.Location, c.Message)
		}
		facts = append(facts, orderbot.Fact{Label: "Parcel", Value: v})
	}
	return facts
}
