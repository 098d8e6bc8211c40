package orderbot

import (
	"fmt"
	"sort"
	"time"
)

// Kind is a stable anomaly kind id such as "payment.unrecorded". Kind ids appear in
// config, cards, metrics and slash commands, so they never change.
type Kind string

// Every anomaly kind of product.md §3.
const (
	PaymentUnrecorded     Kind = "payment.unrecorded"
	PaymentMissing        Kind = "payment.missing"
	PaymentDuplicate      Kind = "payment.duplicate"
	PaymentAmountMismatch Kind = "payment.amount_mismatch"
	PaymentAfterClose     Kind = "payment.after_close"
	InventoryOversold     Kind = "inventory.oversold"
	InventorySyncLag      Kind = "inventory.sync_lag"
	InventoryLowStock     Kind = "inventory.low_stock"
	ShippingLateDispatch  Kind = "shipping.late_dispatch"
	ShippingNoPickup      Kind = "shipping.no_pickup"
	ShippingStalled       Kind = "shipping.stalled"
	ShippingOverdue       Kind = "shipping.overdue"
	ShippingException     Kind = "shipping.exception"
	ShippingNotReceived   Kind = "shipping.not_received"
	CustomerInvalidPhone  Kind = "customer.invalid_phone"
	CustomerInvalidAddr   Kind = "customer.invalid_address"
	SystemStuck           Kind = "system.stuck"
	SystemStateViolation  Kind = "system.state_violation"
	SystemSourceDown      Kind = "system.source_down"
	SyncOrderMissing      Kind = "sync.order_missing"
	SyncStatusMismatch    Kind = "sync.status_mismatch"
	SyncAmountMismatch    Kind = "sync.amount_mismatch"
)

// Severity orders how urgent a ticket is.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank is 1 (low) to 4 (critical), 0 for an unknown severity.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// Grouping is what a kind's fingerprint groups by: one open ticket per kind and
// grouping subject.
type Grouping string

// Groupings.
const (
	ByOrder  Grouping = "order"
	BySKU    Grouping = "sku"
	BySource Grouping = "source"
	ByStatus Grouping = "status"
)

// DataSet names a family of records a rule needs. A ticket is auto-resolved only in
// a cycle that fetched every data set its kind needs, so a failed source never
// looks like a cleared condition.
type DataSet string

// Data sets.
const (
	DataOrders    DataSet = "orders"
	DataPayments  DataSet = "payments"
	DataInventory DataSet = "inventory"
	DataTracking  DataSet = "tracking"
	DataPolls     DataSet = "polls"
	// DataERPOrders are an ERP's records of shop orders (ErpOrder), linked to
	// the shop's orders; an ERP source without a shop beside it provides
	// DataOrders instead.
	DataERPOrders DataSet = "erp_orders"
)

// Notices says on which ticket events a customer notice goes out by default.
type Notices struct {
	OnOpen    bool `yaml:"on_open" json:"on_open,omitempty"`
	OnResolve bool `yaml:"on_resolve" json:"on_resolve,omitempty"`
	OnBreach  bool `yaml:"on_breach" json:"on_breach,omitempty"`
}

// Params are a kind's detection thresholds. Each kind uses the subset its spec lists
// in ParamNames; config rejects the others.
type Params struct {
	// After is how long a condition must last before it is an anomaly (payment
	// unrecorded 15m, late dispatch 48h after payment, no pickup 24h, ...).
	After time.Duration
	// Warn is how long before the deadline a warning is raised (late dispatch 12h).
	Warn time.Duration
	// Tolerance is an amount in major units that a difference must exceed (0.01).
	Tolerance float64
	// Units is a count of stock units (sync-lag difference 5, default safety stock 5).
	Units int64
	// MaxAge is how long shop and ERP stock may differ, and how long the ERP
	// stock source may go without a successful poll (sync lag 20m); also how
	// long a source's cursor may stand still (source down 2h).
	MaxAge time.Duration
	// Statuses is how long an order may sit in each non-terminal status (stuck).
	Statuses map[OrderStatus]time.Duration
	// SKUs is the per-SKU safety stock (low stock); SKUs not listed use Units.
	SKUs map[string]int64
	// Failures is how many polls in a row may fail before a source is down.
	Failures int
	// CaptureWithin is how long a card authorisation may stay uncaptured
	// (stuck 5 days; Stripe voids an uncaptured authorisation after 7).
	CaptureWithin time.Duration
}

// KindSpec is a kind's identity and its defaults from product.md §3. Config copies
// these into a KindSettings per kind and overrides what the operator sets.
type KindSpec struct {
	Kind       Kind
	Title      string // short human title for cards
	Rule       string // one-line rule description
	Department string
	Severity   Severity
	AckSLA     time.Duration
	ResolveSLA time.Duration
	// ResolveByShipBy means the resolve target is the order's ship-by deadline
	// (customer data must be fixed before the parcel leaves).
	ResolveByShipBy bool
	GroupBy         Grouping
	Needs           []DataSet
	Notices         Notices
	// Manual kinds are opened by staff, never by detection, and never auto-resolve.
	Manual     bool
	Params     Params
	ParamNames []string // which Params fields config may set, by YAML name
	// Resolutions are the resolution codes staff choose from when resolving.
	Resolutions []string
}

// KindSettings is the effective configuration of a kind after config overrides.
type KindSettings struct {
	Kind            Kind
	Enabled         bool
	Department      string
	Severity        Severity
	AckSLA          time.Duration
	ResolveSLA      time.Duration
	ResolveByShipBy bool
	Notices         Notices
	Params          Params
	// Flap is when a condition opens and auto-resolves its ticket.
	Flap FlapGuard
}

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

var specs = []KindSpec{
	{Kind: PaymentUnrecorded, Title: "Payment not recorded", Rule: "provider shows a succeeded payment, order still unpaid",
		Department: "finance", Severity: SeverityHigh, AckSLA: 15 * minute, ResolveSLA: 2 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataPayments, DataOrders}, Params: Params{After: 15 * minute}, ParamNames: []string{"after"},
		Resolutions: []string{"order_marked_paid", "refunded", "false_positive", "other"}},
	{Kind: PaymentMissing, Title: "Paid order without payment", Rule: "order marked paid, no succeeded payment at the provider",
		Department: "finance", Severity: SeverityCritical, AckSLA: 15 * minute, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders, DataPayments}, Params: Params{After: 15 * minute}, ParamNames: []string{"after"},
		Resolutions: []string{"payment_found", "order_cancelled", "collected_manually", "false_positive", "other"}},
	{Kind: PaymentDuplicate, Title: "Duplicate payment", Rule: "two or more succeeded payments for one order",
		Department: "finance", Severity: SeverityHigh, AckSLA: 30 * minute, ResolveSLA: day, GroupBy: ByOrder,
		Needs: []DataSet{DataPayments}, Notices: Notices{OnResolve: true},
		Resolutions: []string{"refunded", "kept_with_consent", "false_positive", "other"}},
	{Kind: PaymentAmountMismatch, Title: "Payment amount mismatch", Rule: "captured amount or currency differs from the order total",
		Department: "finance", Severity: SeverityHigh, AckSLA: 30 * minute, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataPayments, DataOrders}, Params: Params{Tolerance: 0.01}, ParamNames: []string{"tolerance"},
		Resolutions: []string{"refunded_difference", "collected_difference", "order_corrected", "false_positive", "other"}},
	{Kind: PaymentAfterClose, Title: "Payment on cancelled order", Rule: "succeeded payment on a cancelled order",
		Department: "finance", Severity: SeverityHigh, AckSLA: hour, ResolveSLA: day, GroupBy: ByOrder,
		Needs: []DataSet{DataPayments, DataOrders}, Notices: Notices{OnResolve: true},
		Resolutions: []string{"refunded", "order_reinstated", "false_positive", "other"}},
	{Kind: InventoryOversold, Title: "Oversold SKU", Rule: "open order quantity for a SKU exceeds ERP available stock",
		Department: "warehouse", Severity: SeverityCritical, AckSLA: 30 * minute, ResolveSLA: 4 * hour, GroupBy: BySKU,
		Needs: []DataSet{DataOrders, DataInventory}, Notices: Notices{OnOpen: true},
		Resolutions: []string{"restocked", "orders_cancelled", "backordered", "stock_corrected", "other"}},
	{Kind: InventorySyncLag, Title: "Stock out of sync", Rule: "shop stock differs from ERP beyond tolerance for longer than max_age, or the ERP stock source has not been polled successfully for that long",
		Department: "tech", Severity: SeverityHigh, AckSLA: 30 * minute, ResolveSLA: 2 * hour, GroupBy: BySource,
		Needs: []DataSet{DataInventory}, Params: Params{Units: 5, MaxAge: 20 * minute}, ParamNames: []string{"units", "max_age"},
		Resolutions: []string{"sync_restarted", "stock_corrected", "false_positive", "other"}},
	{Kind: InventoryLowStock, Title: "Low stock", Rule: "available at or below safety stock",
		Department: "warehouse", Severity: SeverityLow, AckSLA: 4 * hour, ResolveSLA: day, GroupBy: BySKU,
		Needs: []DataSet{DataInventory}, Params: Params{Units: 5}, ParamNames: []string{"units", "skus"},
		Resolutions: []string{"restock_ordered", "delisted", "threshold_changed", "other"}},
	{Kind: ShippingLateDispatch, Title: "Late dispatch", Rule: "paid, not shipped by the ship-by deadline",
		Department: "warehouse", Severity: SeverityHigh, AckSLA: 15 * minute, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders}, Notices: Notices{OnBreach: true}, Params: Params{After: 48 * hour, Warn: 12 * hour},
		ParamNames:  []string{"after", "warn"},
		Resolutions: []string{"shipped", "customer_informed", "order_cancelled", "other"}},
	{Kind: ShippingNoPickup, Title: "No carrier pickup", Rule: "shipped with tracking number, no carrier scan",
		Department: "logistics", Severity: SeverityMedium, AckSLA: 2 * hour, ResolveSLA: day, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders, DataTracking}, Params: Params{After: 24 * hour}, ParamNames: []string{"after"},
		Resolutions: []string{"picked_up", "carrier_chased", "reshipped", "other"}},
	{Kind: ShippingStalled, Title: "Parcel stalled", Rule: "in transit, last checkpoint too old",
		Department: "logistics", Severity: SeverityMedium, AckSLA: 4 * hour, ResolveSLA: 2 * day, GroupBy: ByOrder,
		Needs: []DataSet{DataTracking}, Notices: Notices{OnOpen: true}, Params: Params{After: 48 * hour}, ParamNames: []string{"after"},
		Resolutions: []string{"moving_again", "carrier_claim", "reshipped", "refunded", "other"}},
	{Kind: ShippingOverdue, Title: "Delivery overdue", Rule: "past expected delivery, not delivered",
		Department: "logistics", Severity: SeverityMedium, AckSLA: 4 * hour, ResolveSLA: 2 * day, GroupBy: ByOrder,
		Needs: []DataSet{DataTracking}, Notices: Notices{OnOpen: true}, Params: Params{After: 24 * hour}, ParamNames: []string{"after"},
		Resolutions: []string{"delivered", "carrier_claim", "reshipped", "refunded", "other"}},
	{Kind: ShippingException, Title: "Delivery exception", Rule: "carrier reports exception, failed attempt, refusal or return",
		Department: "logistics", Severity: SeverityHigh, AckSLA: 2 * hour, ResolveSLA: day, GroupBy: ByOrder,
		Needs: []DataSet{DataTracking}, Notices: Notices{OnOpen: true},
		Resolutions: []string{"redelivered", "address_corrected", "reshipped", "refunded", "returned_to_stock", "other"}},
	{Kind: ShippingNotReceived, Title: "Parcel not received", Rule: "customer says a delivered parcel never arrived",
		Department: "support", Severity: SeverityHigh, AckSLA: hour, ResolveSLA: 2 * day, GroupBy: ByOrder,
		Needs: []DataSet{DataTracking}, Notices: Notices{OnResolve: true}, Manual: true,
		Resolutions: []string{"found", "reshipped", "refunded", "carrier_claim", "other"}},
	{Kind: CustomerInvalidPhone, Title: "Invalid phone number", Rule: "contact phone is not a valid number for its country",
		Department: "support", Severity: SeverityMedium, AckSLA: hour, ResolveByShipBy: true, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders}, Notices: Notices{OnOpen: true},
		Resolutions: []string{"phone_corrected", "customer_unreachable", "false_positive", "other"}},
	{Kind: CustomerInvalidAddr, Title: "Invalid address", Rule: "address missing street, city or postal code, or postal code malformed",
		Department: "support", Severity: SeverityMedium, AckSLA: hour, ResolveByShipBy: true, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders}, Notices: Notices{OnOpen: true},
		Resolutions: []string{"address_corrected", "address_confirmed", "order_cancelled", "other"}},
	{Kind: SystemStuck, Title: "Order stuck", Rule: "order sits in a non-terminal status longer than that status allows, or its payment authorisation is not captured in time",
		Department: "tech", Severity: SeverityMedium, AckSLA: hour, ResolveSLA: 4 * hour, GroupBy: ByStatus,
		Needs:       []DataSet{DataOrders},
		Params:      Params{Statuses: map[OrderStatus]time.Duration{OrderPending: 24 * hour, OrderOnHold: 2 * hour}, CaptureWithin: 5 * day},
		ParamNames:  []string{"statuses", "capture_within"},
		Resolutions: []string{"released", "cancelled", "fixed_integration", "other"}},
	{Kind: SystemStateViolation, Title: "Impossible order state", Rule: "shipped but unpaid (not COD), cancelled but shipped, refunded but shipped",
		Department: "tech", Severity: SeverityHigh, AckSLA: 30 * minute, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs:       []DataSet{DataOrders},
		Resolutions: []string{"data_corrected", "shipment_recalled", "payment_collected", "false_positive", "other"}},
	{Kind: SystemSourceDown, Title: "Source down", Rule: "a source fails N polls in a row",
		Department: "tech", Severity: SeverityCritical, AckSLA: 15 * minute, ResolveSLA: hour, GroupBy: BySource,
		// MaxAge is how long the source's committed cursor may stand still
		// before the source counts as down even though its polls do not fail.
		Needs: []DataSet{DataPolls}, Params: Params{Failures: 3, MaxAge: 2 * hour}, ParamNames: []string{"failures", "max_age"},
		Resolutions: []string{"provider_outage", "credentials_fixed", "config_fixed", "other"}},
	{Kind: SyncOrderMissing, Title: "Order missing in a system", Rule: "paid in the shop but absent from the ERP after a grace period, or an ERP order whose shop order does not exist or was cancelled",
		Department: "tech", Severity: SeverityHigh, AckSLA: 30 * minute, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders, DataERPOrders}, Params: Params{After: 2 * hour}, ParamNames: []string{"after"},
		Resolutions: []string{"order_created_in_erp", "erp_order_cancelled", "integration_fixed", "false_positive", "other"}},
	{Kind: SyncStatusMismatch, Title: "Systems disagree on status", Rule: "ERP shipped while the shop is unfulfilled; cancelled in one, open in another; ERP delivered while the courier shows it moving",
		Department: "warehouse", Severity: SeverityHigh, AckSLA: hour, ResolveSLA: 4 * hour, GroupBy: ByOrder,
		Needs: []DataSet{DataOrders, DataERPOrders}, Params: Params{After: 2 * hour}, ParamNames: []string{"after"},
		Resolutions: []string{"shop_updated", "erp_updated", "order_cancelled", "integration_fixed", "false_positive", "other"}},
	{Kind: SyncAmountMismatch, Title: "Shop and ERP amounts differ", Rule: "order totals or line quantities differ between shop and ERP",
		Department: "finance", Severity: SeverityMedium, AckSLA: 2 * hour, ResolveSLA: day, GroupBy: ByOrder,
		// After is how long the ERP may take to mirror an edit of the shop
		// order before a difference counts.
		Needs: []DataSet{DataOrders, DataERPOrders}, Params: Params{Tolerance: 0.01, After: 2 * hour}, ParamNames: []string{"tolerance", "after"},
		Resolutions: []string{"erp_corrected", "shop_corrected", "refunded_difference", "false_positive", "other"}},
}

var specByKind = func() map[Kind]*KindSpec {
	m := make(map[Kind]*KindSpec, len(specs))
	for i := range specs {
		if _, dup := m[specs[i].Kind]; dup {
			panic(fmt.Sprintf("orderbot: kind %s registered twice", specs[i].Kind))
		}
		m[specs[i].Kind] = &specs[i]
	}
	return m
}()

// Kinds returns every kind id in registry order.
func Kinds() []Kind {
	out := make([]Kind, len(specs))
	for i := range specs {
		out[i] = specs[i].Kind
	}
	return out
}

// SortedKinds returns every kind id sorted by name.
func SortedKinds() []Kind {
	out := Kinds()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Spec returns the registry entry of a kind. The returned value is a copy, so
// callers may not change the defaults.
func Spec(k Kind) (KindSpec, bool) {
	s, ok := specByKind[k]
	if !ok {
		return KindSpec{}, false
	}
	c := *s
	c.Params = s.Params.clone()
	return c, true
}

// Known reports whether k is a registered kind.
func (k Kind) Known() bool { _, ok := specByKind[k]; return ok }

// Category is the part before the dot: payment, inventory, shipping, customer, system, sync.
func (k Kind) Category() string {
	for i := 0; i < len(k); i++ {
		if k[i] == '.' {
			return string(k[:i])
		}
	}
	return string(k)
}

// DefaultSettings returns the settings of a kind as product.md §3 defines them.
// Manual kinds are enabled too: enabling them lets staff open them.
func DefaultSettings(k Kind) (KindSettings, bool) {
	s, ok := Spec(k)
	if !ok {
		return KindSettings{}, false
	}
	return KindSettings{
		Kind: k, Enabled: true, Department: s.Department, Severity: s.Severity,
		AckSLA: s.AckSLA, ResolveSLA: s.ResolveSLA, ResolveByShipBy: s.ResolveByShipBy,
		Notices: s.Notices, Params: s.Params, Flap: DefaultFlapGuard(k),
	}, true
}

// DefaultKindSettings returns the default settings of every kind.
func DefaultKindSettings() map[Kind]KindSettings {
	m := make(map[Kind]KindSettings, len(specs))
	for _, k := range Kinds() {
		m[k], _ = DefaultSettings(k)
	}
	return m
}

func (p Params) clone() Params {
	c := p
	if p.Statuses != nil {
		c.Statuses = make(map[OrderStatus]time.Duration, len(p.Statuses))
		for k, v := range p.Statuses {
			c.Statuses[k] = v
		}
	}
	if p.SKUs != nil {
		c.SKUs = make(map[string]int64, len(p.SKUs))
		for k, v := range p.SKUs {
			c.SKUs[k] = v
		}
	}
	return c
}
