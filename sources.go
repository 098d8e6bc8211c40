package orderbot

import (
	"context"
	"time"
)

// Window is a half-open time range [From, To) of record update times a poll asks a
// source for.
type Window struct {
	From time.Time
	To   time.Time
}

// Source is what every adapter has: the name it was configured under.
type Source interface {
	Name() string
}

// OrderSource lists orders updated in a window, page by page, so that a large window
// never sits in memory at once. The page callback may stop the listing by
// returning an error, which ListOrders returns.
type OrderSource interface {
	Source
	ListOrders(ctx context.Context, w Window, page func([]Order) error) error
	// GetOrder fetches one order by its id at the source (slash-command lookups,
	// manual tickets). A missing order is a KindNotFound error.
	GetOrder(ctx context.Context, id string) (Order, error)
}

// PaymentSource lists payments created or changed in a window.
type PaymentSource interface {
	Source
	ListPayments(ctx context.Context, w Window, page func([]Payment) error) error
}

// PaymentGetter is a PaymentSource that can fetch one payment by its id (a
// missing one is a KindNotFound error). The poll cycle asks it about every
// authorisation it knows until the authorisation is captured or voided: a
// provider that lists by creation time (Stripe) does not list an older
// authorisation again when it is captured days later.
type PaymentGetter interface {
	GetPayment(ctx context.Context, id string) (Payment, error)
}

// InventorySource lists stock levels (the shop's or the ERP's view) updated since a
// time; a zero time lists everything.
type InventorySource interface {
	Source
	Side() StockSide
	ListStock(ctx context.Context, since time.Time, page func([]StockLevel) error) error
}

// TrackingSource looks parcels up at a courier-tracking service one by one.
type TrackingSource interface {
	Source
	Track(ctx context.Context, ref ShipmentRef) (Shipment, error)
}

// ShipmentLister is a TrackingSource that can also list every tracking updated in
// a window (AfterShip); sources without it are asked per parcel (Kuaidi100).
type ShipmentLister interface {
	TrackingSource
	ListShipments(ctx context.Context, w Window, page func([]Shipment) error) error
}

// CarrierTracker is a TrackingSource that knows only some carriers (Kuaidi100
// knows Chinese couriers). The poll cycle asks it only about parcels whose
// carrier it tracks, so a per-parcel quota is not spent on parcels it cannot
// answer for.
type CarrierTracker interface {
	TrackingSource
	TracksCarrier(carrier string) bool
}

// PaymentQuerier is a payment source that answers for one order at a time
// instead of listing payments (Alipay's alipay.trade.query by out_trade_no):
// there is no feed of trades to poll, so the poll cycle asks it about the
// orders whose payment is in doubt: awaiting payment, marked paid without a
// provider payment, or cancelled while unpaid. A provider with no payment for
// the order answers with a KindNotFound error.
type PaymentQuerier interface {
	Source
	QueryPayment(ctx context.Context, o Order) (Payment, error)
}
