package detect

import (
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// Customer-data rules. They matter only while the data can still be fixed
// before the parcel leaves, so they examine orders that are neither shipped nor
// cancelled nor completed, and their Deadline is the order's ship-by deadline
// (the ticket's resolve target). Facts carry masked contact data only.

func (r *run) customerRules(o *orderbot.Order) {
	if !r.active.has(kInvalidPhone) && !r.active.has(kInvalidAddr) {
		return
	}
	if o.Shipped() || o.Cancelled() || o.Status.Terminal() {
		return
	}
	if r.active.has(kInvalidPhone) {
		r.phoneRule(o)
	}
	if r.active.has(kInvalidAddr) && o.RequiresShipping {
		r.addressRule(o)
	}
}

// phoneRule: the shipping-address phone (what the courier calls) and the
// customer's phone (what notices use) must be valid numbers for the address
// country, or for Options.DefaultRegion when the address has none. An order with
// neither phone nor email cannot be reached at all and is reported too.
func (r *run) phoneRule(o *orderbot.Order) {
	addrPhone, custPhone := phonesOf(o)
	if addrPhone == "" && custPhone == "" {
		if blank(o.Customer.Email) {
			r.emitPhone(o, "", "", "no phone number and no email: the customer cannot be reached", "")
		}
		return
	}
	region := r.phoneRegion(o)
	var bad phoneVerdict
	var badNumber, label string
	if addrPhone != "" {
		if v := r.d.phone(addrPhone, region); v.bad() {
			bad, badNumber, label = v, addrPhone, "Shipping phone"
		}
	}
	if custPhone != "" && bad == phoneValid {
		if v := r.d.phone(custPhone, region); v.bad() {
			bad, badNumber, label = v, custPhone, "Customer phone"
		}
	}
	if bad == phoneValid {
		return
	}
	r.emitPhone(o, label, badNumber, bad.reason(region), region)
}

// phonesOf returns the distinct phone numbers of an order, trimmed: the
// shipping-address phone and the customer phone when it is another number.
func phonesOf(o *orderbot.Order) (addr, cust string) {
	addr = strings.TrimSpace(o.ShippingAddress.Phone)
	cust = strings.TrimSpace(o.Customer.Phone)
	if cust == addr {
		cust = ""
	}
	return addr, cust
}

// phoneRegion is the region an order's phone numbers are read in.
func (r *run) phoneRegion(o *orderbot.Order) string {
	if region := countryCode(o.ShippingAddress.Country); region != "" {
		return region
	}
	return r.d.region
}

func (r *run) emitPhone(o *orderbot.Order, label, number, problem, region string) {
	facts := []orderbot.Fact{fact("Order", orderLabel(o))}
	if label != "" {
		facts = append(facts, fact(label, orderbot.MaskPhone(number)))
	}
	facts = append(facts, fact("Problem", problem))
	if region != "" {
		facts = append(facts, fact("Country", region))
	}
	if e := o.Customer.Email; !blank(e) {
		facts = append(facts, fact("Email", orderbot.MaskEmail(e)))
	}
	deadline := r.customerDeadline(o, &facts)
	summary := "Order " + orderName(o) + ": " + problem
	if label != "" {
		summary = "Order " + orderName(o) + ": " + strings.ToLower(label) + " " + orderbot.MaskPhone(number) + " is " + problem
	}
	r.emit(kInvalidPhone, orderbot.Anomaly{Subject: o.ID, OrderID: o.ID, Source: o.Source, Summary: summary, Facts: facts, Deadline: deadline})
}

// addressRule: street, city and (where the country uses them) postal code must be
// present, and a postal code must have its country's shape.
func (r *run) addressRule(o *orderbot.Order) {
	a := &o.ShippingAddress
	p := checkAddress(a)
	if p == 0 {
		return
	}
	country := countryCode(a.Country)
	var problems []string
	if p&addrNoStreet != 0 {
		problems = append(problems, "street missing")
	}
	if p&addrNoCity != 0 {
		problems = append(problems, "city missing")
	}
	if p&addrNoPostal != 0 {
		problems = append(problems, "postal code missing")
	}
	if p&addrBadPostal != 0 {
		problems = append(problems, "postal code malformed for "+orDash(country)+" (expected "+postalHint(country)+")")
	}
	problem := strings.Join(problems, "; ")
	facts := []orderbot.Fact{
		fact("Order", orderLabel(o)),
		fact("Address", orDash(orderbot.MaskAddress(*a))),
		fact("Problem", problem),
	}
	if ph := o.ShippingAddress.Phone; ph != "" {
		facts = append(facts, fact("Shipping phone", orderbot.MaskPhone(ph)))
	} else if ph := o.Customer.Phone; ph != "" {
		facts = append(facts, fact("Customer phone", orderbot.MaskPhone(ph)))
	}
	if e := o.Customer.Email; !blank(e) {
		facts = append(facts, fact("Email", orderbot.MaskEmail(e)))
	}
	deadline := r.customerDeadline(o, &facts)
	r.emit(kInvalidAddr, orderbot.Anomaly{
		Subject: o.ID, OrderID: o.ID, Source: o.Source, Facts: facts, Deadline: deadline,
		Summary: "Order " + orderName(o) + ": shipping address " + problem,
	})
}

// customerDeadline is the ship-by deadline (late-dispatch rule) of an order whose
// clock runs, added to facts; zero for an unpaid order.
func (r *run) customerDeadline(o *orderbot.Order, facts *[]orderbot.Fact) time.Time {
	d, _, ok := shipDeadline(o, r.params(kLateDispatch).After)
	if !ok {
		return time.Time{}
	}
	*facts = append(*facts, fact("Ship by", stamp(d, r.now)))
	return d
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
