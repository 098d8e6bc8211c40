package orderbot

import (
	"context"
	"strings"
	"time"
)

// ErpOrder is an ERP's record of a shop order (an ERPNext Sales Order): the
// ERP's facts about an order the shop owns. It never replaces the shop's
// Order; the poll cycle stores it beside the order it links to, so one order
// carries the facts of every system (shop, ERP, payment, courier) and no
// source overwrites another's.
type ErpOrder struct {
	ID     string `json:"id"`     // document name at the ERP, e.g. "SAL-ORD-2026-00001"
	Source string `json:"source"` // ERP source name from config
	// Link is the shop order the ERP record names, as its link field holds it.
	Link        OrderRef          `json:"link"`
	Status      OrderStatus       `json:"status"`
	Financial   FinancialStatus   `json:"financial"`
	Fulfillment FulfillmentStatus `json:"fulfillment"`
	Total       Money             `json:"total"`
	Lines       []LineItem        `json:"lines,omitempty"`
	CreatedAt   time.Time         `json:"created_at,omitzero"`
	Modified    time.Time         `json:"modified"`
	URL         string            `json:"url,omitempty"`
}

// Shipped reports whether the ERP has shipped any of the order.
func (e *ErpOrder) Shipped() bool {
	return e.Fulfillment == FulfillmentPartial || e.Fulfillment == FulfillmentFulfilled
}

// Open reports whether the ERP still works on the order.
func (e *ErpOrder) Open() bool { return !e.Status.Terminal() }

// OrderRef names a shop order the way an ERP link field holds it: by the
// shop's order id or by its order name ("#1001"), in one shop source.
type OrderRef struct {
	Shop  string    `json:"shop"`
	Holds LinkHolds `json:"holds"`
	Value string    `json:"value"`
}

// Key is the reference as one string, unique across shops and link kinds.
func (r OrderRef) Key() string { return r.Shop + "\x1f" + string(r.Holds) + "\x1f" + r.Value }

// LinkHolds says what an ERP link field holds of the shop order.
type LinkHolds string

// What a link field may hold.
const (
	LinkID   LinkHolds = "id"   // the shop's order id, e.g. Shopify's 5300000001
	LinkName LinkHolds = "name" // the shop's order name, e.g. "#1001"
)

// OrderLink is one way an ERP names the shop order a record belongs to: the
// ERP field that holds it, what it holds, and which shop source it refers to.
// An ERP fed by several shops has one link per shop.
type OrderLink struct {
	Shop  string    // shop source name
	Field string    // ERP field, e.g. "po_no" or "custom_shopify_order_id"
	Holds LinkHolds // id or name
}

// Ref turns a link field's value into the shop order it names; ok is false
// for an empty value (an ERP-only order, not a mirror of a shop order).
func (l OrderLink) Ref(value string) (OrderRef, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return OrderRef{}, false
	}
	return OrderRef{Shop: l.Shop, Holds: l.Holds, Value: v}, true
}

// RefsOf are the references under which an ERP record of the shop order o
// may be filed, given the links configured for o's shop.
func RefsOf(o *Order, links []OrderLink) []OrderRef {
	var out []OrderRef
	for _, l := range links {
		if l.Shop != o.Source {
			continue
		}
		v := o.ID
		if l.Holds == LinkName {
			v = o.Name
		}
		if r, ok := l.Ref(v); ok && !containsRef(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func containsRef(refs []OrderRef, r OrderRef) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// ERPOrderSource lists an ERP's records of shop orders updated in a window,
// page by page.
type ERPOrderSource interface {
	Source
	ListERPOrders(ctx context.Context, w Window, page func([]ErpOrder) error) error
}

// Comparison is one disputed field of an order as each system has it, for
// cards that show shop | ERP | payment | courier side by side. An empty value
// means the system has nothing to say about the field.
type Comparison struct {
	Field string
	// Values per system, in System order.
	Values [NumSystems]string
	// Differs marks the values that disagree with the others.
	Differs [NumSystems]bool
}

// System is one of the systems whose facts an order carries.
type System int

// The systems, in the order cards show them.
const (
	SystemShop System = iota
	SystemERP
	SystemPayment
	SystemCourier
	NumSystems
)

// String is the system's column title.
func (s System) String() string {
	return [...]string{"shop", "ERP", "payment", "courier"}[s]
}

// comparePrefix marks a Fact that carries a Comparison. Facts are what
// tickets store and every consumer (cards, poll output, lookups) already
// shows; a comparison travels as one fact whose plain value still reads well.
const comparePrefix = "⇄ "

// Fact encodes the comparison as a ticket fact: "shop: unfulfilled · ERP:
// !shipped · payment: · courier: in_transit", differing values marked "!".
func (c Comparison) Fact() Fact {
	var b strings.Builder
	for s := System(0); s < NumSystems; s++ {
		if s > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(s.String())
		b.WriteString(": ")
		if c.Differs[s] {
			b.WriteByte('!')
		}
		b.WriteString(strings.ReplaceAll(c.Values[s], " · ", " - "))
	}
	return Fact{Label: comparePrefix + c.Field, Value: b.String()}
}

// ParseComparison reads a fact written by Comparison.Fact; ok is false for
// any other fact.
func ParseComparison(f Fact) (Comparison, bool) {
	field, ok := strings.CutPrefix(f.Label, comparePrefix)
	if !ok {
		return Comparison{}, false
	}
	c := Comparison{Field: field}
	parts := strings.Split(f.Value, " · ")
	if len(parts) != int(NumSystems) {
		return Comparison{}, false
	}
	for s := System(0); s < NumSystems; s++ {
		v, ok := strings.CutPrefix(parts[s], s.String()+": ")
		if !ok {
			if parts[s] != s.String()+":" {
				return Comparison{}, false
			}
			v = ""
		}
		if rest, marked := strings.CutPrefix(v, "!"); marked {
			c.Differs[s], v = true, rest
		}
		c.Values[s] = v
	}
	return c, true
}
