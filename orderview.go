package orderbot

// OrderView is one order as every system knows it: the shop's order, the
// payment provider's payments, the couriers' shipments, the ERP's records and
// the tickets about it. The lookup package assembles it; Slack's /ob order
// shows it.
type OrderView struct {
	Order     Order
	Payments  []Payment
	Shipments []Shipment
	Tickets   []Ticket
	// ERP are the ERP's records of the order (usually one Sales Order).
	ERP []ErpOrder
}
