package orderbot

import "time"

// OrderStatus is the normalised life-cycle status of an order, whatever the source
// calls it. Sources map their own statuses onto these.
type OrderStatus string

// Normalised order statuses.
const (
	OrderPending    OrderStatus = "pending"    // created, awaiting payment
	OrderProcessing OrderStatus = "processing" // paid or COD, being fulfilled
	OrderOnHold     OrderStatus = "on_hold"    // held by staff or the ERP
	OrderCompleted  OrderStatus = "completed"  // delivered / closed normally
	OrderCancelled  OrderStatus = "cancelled"
)

// Terminal reports whether no further change is expected for the status.
func (s OrderStatus) Terminal() bool { return s == OrderCompleted || s == OrderCancelled }

// FinancialStatus is the order's payment state as the shop or ERP records it.
type FinancialStatus string

// Normalised financial statuses (Shopify's vocabulary, which ERPs map onto).
const (
	FinancialPending           FinancialStatus = "pending"
	FinancialAuthorized        FinancialStatus = "authorized"
	FinancialPartiallyPaid     FinancialStatus = "partially_paid"
	FinancialPaid              FinancialStatus = "paid"
	FinancialPartiallyRefunded FinancialStatus = "partially_refunded"
	FinancialRefunded          FinancialStatus = "refunded"
	FinancialVoided            FinancialStatus = "voided"
)

// Paid reports whether the order records money as received (fully or partly refunded
// orders were paid first).
func (f FinancialStatus) Paid() bool {
	switch f {
	case FinancialPaid, FinancialPartiallyRefunded, FinancialRefunded, FinancialPartiallyPaid:
		return true
	}
	return false
}

// FulfillmentStatus is how much of the order has left the warehouse.
type FulfillmentStatus string

// Normalised fulfilment statuses.
const (
	FulfillmentUnfulfilled FulfillmentStatus = "unfulfilled"
	FulfillmentPartial     FulfillmentStatus = "partial"
	FulfillmentFulfilled   FulfillmentStatus = "fulfilled"
)

// PaymentMethod says how the customer pays; cash on delivery changes several rules
// (an unpaid shipped COD order is normal).
type PaymentMethod string

// Payment methods the rules distinguish.
const (
	PayCard           PaymentMethod = "card"
	PayWallet         PaymentMethod = "wallet"
	PayBankTransfer   PaymentMethod = "bank_transfer"
	PayCashOnDelivery PaymentMethod = "cod"
	PayOther          PaymentMethod = "other"
)

// Customer is the buyer's contact data. It is personal data: mask it before it
// reaches Slack or a log (see MaskPhone, MaskEmail).
type Customer struct {
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"` // as given, normalise before use
	Email    string `json:"email,omitempty"`
	Locale   string `json:"locale,omitempty"`   // BCP 47, e.g. "zh-CN", "en"
	Timezone string `json:"timezone,omitempty"` // IANA, e.g. "Asia/Shanghai"
	OptOut   bool   `json:"opt_out,omitempty"`  // customer refused notices at the source
}

// Address is a postal address.
type Address struct {
	Name       string `json:"name,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Province   string `json:"province,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Phone      string `json:"phone,omitempty"`
}

// LineItem is one SKU on an order.
type LineItem struct {
	SKU       string `json:"sku"`
	Title     string `json:"title,omitempty"`
	Quantity  int64  `json:"qty"`
	Fulfilled int64  `json:"fulfilled,omitempty"` // units already shipped
	Price     Money  `json:"price,omitzero"`
}

// Open is the quantity still to ship.
func (l LineItem) Open() int64 {
	if l.Fulfilled >= l.Quantity {
		return 0
	}
	return l.Quantity - l.Fulfilled
}

// ShipmentRef links an order to a parcel the courier tracks.
type ShipmentRef struct {
	TrackingNumber string    `json:"tracking"`
	Carrier        string    `json:"carrier,omitempty"` // courier slug, e.g. "ups", "yuantong"
	ShippedAt      time.Time `json:"shipped_at,omitzero"`
}

// Order is an order normalised from a shop or ERP.
type Order struct {
	ID               string            `json:"id"`             // stable id at the source
	Source           string            `json:"source"`         // source name from config, e.g. "shopify"
	Name             string            `json:"name,omitempty"` // display name, e.g. "#1001"
	Status           OrderStatus       `json:"status"`
	StatusSince      time.Time         `json:"status_since,omitzero"` // when Status was entered, if known
	Financial        FinancialStatus   `json:"financial"`
	Fulfillment      FulfillmentStatus `json:"fulfillment"`
	Total            Money             `json:"total"`
	Refunded         Money             `json:"refunded,omitzero"`
	PaymentMethod    PaymentMethod     `json:"payment_method,omitempty"`
	Customer         Customer          `json:"customer,omitzero"`
	ShippingAddress  Address           `json:"shipping_address,omitzero"`
	RequiresShipping bool              `json:"requires_shipping,omitempty"`
	Lines            []LineItem        `json:"lines,omitempty"`
	Shipments        []ShipmentRef     `json:"shipments,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	PaidAt           time.Time         `json:"paid_at,omitzero"`
	ShippedAt        time.Time         `json:"shipped_at,omitzero"`
	CancelledAt      time.Time         `json:"cancelled_at,omitzero"`
	ShipBy           time.Time         `json:"ship_by,omitzero"` // platform deadline; zero = paid + default
	URL              string            `json:"url,omitempty"`    // admin link, for cards
	Test             bool              `json:"test,omitempty"`
}

// IsCOD reports whether the order is paid on delivery.
func (o *Order) IsCOD() bool { return o.PaymentMethod == PayCashOnDelivery }

// Shipped reports whether any part of the order left the warehouse.
func (o *Order) Shipped() bool {
	return o.Fulfillment == FulfillmentPartial || o.Fulfillment == FulfillmentFulfilled || !o.ShippedAt.IsZero()
}

// Cancelled reports whether the order is cancelled.
func (o *Order) Cancelled() bool { return o.Status == OrderCancelled || !o.CancelledAt.IsZero() }

// InFlight reports whether the order may still change in a way the rules watch:
// not cancelled and not completed.
func (o *Order) InFlight() bool { return !o.Status.Terminal() && o.CancelledAt.IsZero() }
