package simulate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/orderbot/orderbot"
)

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

// product is a catalogue entry.
type product struct {
	sku   string
	title string
	usd   int64 // price in US cents
}

var (
	productKinds = []struct {
		code, title string
		lo, hi      int64 // USD cents
	}{
		{"TS", "Cotton T-shirt", 1500, 3500}, {"HD", "Hoodie", 3900, 7900}, {"MG", "Ceramic mug", 900, 2400},
		{"BP", "Backpack", 4900, 12900}, {"SN", "Running shoes", 5900, 15900}, {"CS", "Phone case", 1200, 3900},
		{"EB", "Wireless earbuds", 2900, 14900}, {"WB", "Water bottle", 1500, 3900}, {"LP", "Desk lamp", 2500, 8900},
		{"SK", "Wool socks (3 pairs)", 1200, 2900}, {"NB", "Notebook", 600, 1800}, {"TW", "Bath towel", 1800, 4500},
	}
	colours = []string{"Black", "White", "Navy", "Grey", "Red", "Green", "Sand", "Blue"}
	sizes   = []string{"XS", "S", "M", "L", "XL"}
)

// rates convert USD prices into each currency, rounded to a "shelf price".
var rates = map[string]float64{"USD": 1, "CNY": 7.2, "EUR": 0.92, "GBP": 0.79}

func (w *World) buildCatalog() {
	w.catalog = make([]product, w.opts.SKUs)
	w.weights = make([]float64, w.opts.SKUs)
	sum := 0.0
	for i := range w.catalog {
		k := productKinds[i%len(productKinds)]
		variant := i / len(productKinds)
		colour := colours[variant%len(colours)]
		size := sizes[(variant/len(colours))%len(sizes)]
		w.catalog[i] = product{
			sku:   fmt.Sprintf("%s-%s-%s-%03d", k.code, colour[:3], size, i),
			title: k.title + " — " + colour + " / " + size,
			usd:   k.lo + w.rng.Int64N(k.hi-k.lo+1)/100*100 - 1,
		}
		// Popularity falls off like a Zipf law: a few hot sellers, a long tail.
		sum += 1 / math.Pow(float64(i+1), 0.9)
		w.weights[i] = sum
	}
	// Shuffle which SKUs are hot so the hot ones are not all t-shirts.
	perm := w.rng.Perm(len(w.catalog))
	shuffled := make([]product, len(w.catalog))
	for i, j := range perm {
		shuffled[i] = w.catalog[j]
	}
	w.catalog = shuffled
}

// pickProduct draws a product by popularity.
func (w *World) pickProduct() *product {
	x := w.rng.Float64() * w.weights[len(w.weights)-1]
	i := sort.SearchFloat64s(w.weights, x)
	if i >= len(w.catalog) {
		i = len(w.catalog) - 1
	}
	return &w.catalog[i]
}

// price converts a USD-cent price to currency, at a shelf price ending in .99 or
// a whole yuan.
func price(usd int64, currency string) orderbot.Money {
	v := float64(usd) / 100 * rates[currency]
	switch currency {
	case "CNY":
		return orderbot.Money{Minor: int64(math.Round(v)) * 100, Currency: currency}
	default:
		return orderbot.Money{Minor: int64(math.Ceil(v))*100 - 1, Currency: currency}
	}
}

func shippingFee(currency string, subtotal int64) int64 {
	switch currency {
	case "CNY":
		if subtotal >= 9900 {
			return 0
		}
		return 1000
	default:
		if subtotal >= 5000 {
			return 0
		}
		return 499
	}
}

// newOrderBase creates an order with a customer, lines and totals, created at
// the given time, in state pending.
func (b *batch) newOrderBase(created time.Time) (orderbot.Order, person) {
	w := b.w
	p := w.newPerson()
	w.orderSeq++
	w.lastID += 1 + w.rng.Int64N(9000)
	id := strconv.FormatInt(w.lastID, 10)
	o := orderbot.Order{
		ID:               id,
		Source:           w.opts.OrderSource,
		Name:             "#" + strconv.FormatInt(1000+w.orderSeq, 10),
		Status:           orderbot.OrderPending,
		StatusSince:      created,
		Financial:        orderbot.FinancialPending,
		Fulfillment:      orderbot.FulfillmentUnfulfilled,
		Customer:         p.customer,
		ShippingAddress:  p.addr,
		RequiresShipping: true,
		CreatedAt:        created,
		UpdatedAt:        created,
		URL:              "https://orderbot-demo.myshopify.com/admin/orders/" + id,
	}
	nLines := 1
	switch x := w.rng.Float64(); {
	case x < 0.08:
		nLines = 3
	case x < 0.30:
		nLines = 2
	}
	var subtotal int64
	seen := map[string]bool{}
	for len(o.Lines) < nLines {
		pr := w.pickProduct()
		if seen[pr.sku] {
			continue
		}
		seen[pr.sku] = true
		qty := int64(1)
		if w.chance(0.15) {
			qty = 2 + w.rng.Int64N(2)
		}
		unit := price(pr.usd, p.m.currency)
		o.Lines = append(o.Lines, orderbot.LineItem{SKU: pr.sku, Title: pr.title, Quantity: qty, Price: unit})
		subtotal += unit.Minor * qty
	}
	o.Total = orderbot.Money{Minor: subtotal + shippingFee(p.m.currency, subtotal), Currency: p.m.currency}
	switch {
	case p.m.country == "CN":
		switch x := w.rng.Float64(); {
		case x < w.opts.CODShare:
			o.PaymentMethod = orderbot.PayCashOnDelivery
		case x < w.opts.CODShare+(1-w.opts.CODShare)*0.7:
			o.PaymentMethod = orderbot.PayWallet // Alipay / WeChat Pay through the provider
		default:
			o.PaymentMethod = orderbot.PayCard
		}
	case p.m.country == "DE" || p.m.country == "NL":
		switch x := w.rng.Float64(); {
		case x < 0.15:
			o.PaymentMethod = orderbot.PayBankTransfer
		case x < 0.35:
			o.PaymentMethod = orderbot.PayWallet
		default:
			o.PaymentMethod = orderbot.PayCard
		}
	default:
		if w.chance(0.12) {
			o.PaymentMethod = orderbot.PayWallet
		} else {
			o.PaymentMethod = orderbot.PayCard
		}
	}
	return o, p
}

// createdAgo draws an order age: most orders are recent, some are two weeks old.
func (w *World) createdAgo() time.Duration {
	if w.settled {
		// A timeline's clean orders carry their whole life: old enough to be
		// delivered and completed (see Timeline).
		return w.between(settledAge, 14*day)
	}
	if w.chance(0.45) {
		return w.between(5*minute, 30*hour)
	}
	return w.between(30*hour, 14*day)
}

// stripeID makes a Stripe-like id: the prefix, then 24 characters.
func (w *World) stripeID(prefix string) string {
	w.idSeq++
	return prefix + "3" + letters(w, 23, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
}

// pay records a succeeded provider payment of amount for order o at t.
func (b *batch) pay(o *orderbot.Order, amount orderbot.Money, t time.Time) *orderbot.Payment {
	b.payments = append(b.payments, orderbot.Payment{
		ID: b.w.stripeID("pi_"), Provider: b.paymentSource(o, true), OrderID: o.ID,
		Amount: amount, Status: orderbot.PaymentSucceeded, CreatedAt: t,
	})
	return &b.payments[len(b.payments)-1]
}

// refund adds a succeeded refund to the payment at index i.
func (b *batch) refund(i int, amount int64, t time.Time) {
	p := &b.payments[i]
	p.Refunds = append(p.Refunds, orderbot.Refund{
		ID: b.w.stripeID("re_"), Amount: orderbot.Money{Minor: amount, Currency: p.Amount.Currency},
		Status: "succeeded", CreatedAt: t,
	})
}

// markPaid records the order as paid at t, with the provider payment when the
// method goes through the provider. It returns the payment's index, or -1.
func (b *batch) markPaid(o *orderbot.Order, t time.Time, withPayment bool) int {
	o.Financial = orderbot.FinancialPaid
	o.PaidAt = t
	o.Status = orderbot.OrderProcessing
	o.StatusSince = t
	o.UpdatedAt = later(o.UpdatedAt, t)
	if !withPayment || !viaProvider(o.PaymentMethod) {
		return -1
	}
	if b.w.chance(0.04) {
		// A declined first attempt, as real checkouts have.
		b.payments = append(b.payments, orderbot.Payment{
			ID: b.w.stripeID("pi_"), Provider: b.paymentSource(o, false), OrderID: o.ID, Amount: o.Total,
			Status: orderbot.PaymentFailed, CreatedAt: t.Add(-b.w.between(30*time.Second, 3*minute)),
		})
	}
	b.pay(o, o.Total, t.Add(-b.w.between(time.Second, 20*time.Second)))
	return len(b.payments) - 1
}

func viaProvider(m orderbot.PaymentMethod) bool {
	return m == orderbot.PayCard || m == orderbot.PayWallet
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// cleanOrder generates an order whose whole life stays within every threshold.
func (b *batch) cleanOrder() {
	w := b.w
	created := b.now.Add(-w.createdAgo())
	o, p := b.newOrderBase(created)
	h := b.now.Sub(created)
	switch {
	case w.chance(0.002):
		// A staff test order through the shop's test gateway: marked paid with
		// no provider payment. Detection must ignore it.
		o.Test = true
		o.Financial = orderbot.FinancialPaid
		o.PaidAt = created
		o.Status = orderbot.OrderProcessing
		b.orders = append(b.orders, o)
		return
	case h < 20*hour && w.chance(0.06):
		// Awaiting payment; some with an attempt in progress at the provider.
		if viaProvider(o.PaymentMethod) && w.chance(0.3) {
			b.payments = append(b.payments, orderbot.Payment{
				ID: w.stripeID("pi_"), Provider: b.paymentSource(&o, false), OrderID: o.ID, Amount: o.Total,
				Status: orderbot.PaymentPending, CreatedAt: created.Add(w.between(10*time.Second, 5*minute)),
			})
		}
		if o.PaymentMethod == orderbot.PayCashOnDelivery {
			o.PaymentMethod = orderbot.PayCard
		}
		b.orders = append(b.orders, o)
		return
	case w.chance(0.03):
		b.cancelClean(&o, h)
		b.orders = append(b.orders, o)
		return
	}
	// The clock that matters for dispatch starts at payment, or at creation for
	// cash on delivery (confirmed at once).
	var start time.Time
	payIdx := -1
	switch o.PaymentMethod {
	case orderbot.PayCashOnDelivery:
		o.Status = orderbot.OrderProcessing
		o.StatusSince = created.Add(w.between(time.Minute, 30*time.Minute))
		start = created
	case orderbot.PayBankTransfer:
		paid := created.Add(w.between(hour, 20*hour))
		if paid.After(b.now) {
			// Transfer not arrived yet: pending for under 20 hours.
			b.orders = append(b.orders, o)
			return
		}
		b.markPaid(&o, paid, false)
		start = paid
	default:
		paid := created.Add(w.between(10*time.Second, 20*minute))
		if paid.After(b.now) {
			paid = b.now
		}
		payIdx = b.markPaid(&o, paid, true)
		start = paid
	}
	if w.chance(0.05) {
		o.ShipBy = start.Add(72 * hour)
	}
	dispatch := start.Add(w.between(2*hour, 30*hour))
	if dispatch.After(b.now) {
		if w.chance(0.04) {
			// Held by staff for a short check.
			o.Status = orderbot.OrderOnHold
			o.StatusSince = later(start, b.now.Add(-w.between(5*minute, 90*minute)))
			o.UpdatedAt = later(o.UpdatedAt, o.StatusSince)
		}
		b.orders = append(b.orders, o)
		return
	}
	b.ship(&o, p, dispatch, payIdx, nil)
	b.orders = append(b.orders, o)
}

// cancelClean cancels an order the correct way: before payment (voided), or after
// payment with the payment refunded in full.
func (b *batch) cancelClean(o *orderbot.Order, h time.Duration) {
	w := b.w
	// Within the day: an order left paid or pending for longer before anyone
	// cancels it is a late dispatch or a stuck order, not a clean one.
	cancelled := o.CreatedAt.Add(w.between(10*minute, maxDur(minDur(h, 20*hour), 11*minute)))
	if cancelled.After(b.now) {
		cancelled = b.now
	}
	if viaProvider(o.PaymentMethod) && w.chance(0.5) {
		paid := o.CreatedAt.Add(w.between(10*time.Second, 5*minute))
		if paid.After(cancelled) {
			paid = cancelled
		}
		idx := b.markPaid(o, paid, true)
		b.refund(idx, o.Total.Minor, cancelled)
		o.Financial = orderbot.FinancialRefunded
		o.Refunded = o.Total
	} else {
		o.Financial = orderbot.FinancialVoided
	}
	o.Status = orderbot.OrderCancelled
	o.StatusSince = cancelled
	o.CancelledAt = cancelled
	o.UpdatedAt = later(o.UpdatedAt, cancelled)
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// badParcel builds the tracking record of a seeded problem parcel; ok is false
// when the parcel has no tracking record at all.
type badParcel func(ref orderbot.ShipmentRef, car carrier) (sh orderbot.Shipment, ok bool)

// ship ships every line of the order at t (in two parcels for some multi-line
// orders) and generates the parcels' journeys up to now. With bad set, the last
// parcel is the seeded problem one and the others are clean. For clean orders it
// also completes delivered orders and, sometimes, refunds part of them.
func (b *batch) ship(o *orderbot.Order, p person, t time.Time, payIdx int, bad badParcel) {
	w := b.w
	o.ShippedAt = t
	o.Fulfillment = orderbot.FulfillmentFulfilled
	o.Status = orderbot.OrderProcessing
	o.UpdatedAt = later(o.UpdatedAt, t)
	for i := range o.Lines {
		o.Lines[i].Fulfilled = o.Lines[i].Quantity
	}
	parcels := 1
	if len(o.Lines) > 1 && w.chance(0.25) {
		parcels = 2
	}
	car := oneOf(w, p.m.carriers)
	allDelivered := true
	var deliveredAt time.Time
	for i := 0; i < parcels; i++ {
		shipped := t
		if i > 0 {
			// The second parcel leaves a little later, but never after now.
			shipped = t.Add(w.between(10*minute, 3*hour))
			if shipped.After(b.now) {
				shipped = b.now
			}
			if bad != nil {
				shipped = t
			}
		}
		ref := orderbot.ShipmentRef{TrackingNumber: car.tracking(w), Carrier: car.slug, ShippedAt: shipped}
		o.Shipments = append(o.Shipments, ref)
		var sh orderbot.Shipment
		if bad != nil && i == parcels-1 {
			var ok bool
			sh, ok = bad(ref, car)
			allDelivered = false
			if !ok {
				continue
			}
		} else {
			sh = b.journey(o, p, car, ref)
		}
		if sh.Status != orderbot.ShipDelivered {
			allDelivered = false
		} else if sh.DeliveredAt.After(deliveredAt) {
			deliveredAt = sh.DeliveredAt
		}
		b.shipments = append(b.shipments, sh)
	}
	if !allDelivered {
		return
	}
	o.UpdatedAt = later(o.UpdatedAt, deliveredAt)
	if o.IsCOD() {
		// Cash collected at the door.
		o.Financial = orderbot.FinancialPaid
		o.PaidAt = deliveredAt
	}
	if b.now.Sub(deliveredAt) > 2*day {
		o.Status = orderbot.OrderCompleted
		o.StatusSince = deliveredAt.Add(2 * day)
		o.UpdatedAt = later(o.UpdatedAt, o.StatusSince)
	}
	// A partial refund (one unit returned or a goodwill credit) recorded on both
	// sides: detection must see the books as balanced.
	if payIdx >= 0 && w.chance(0.04) {
		when := deliveredAt.Add(w.between(hour, day))
		if when.After(b.now) {
			return
		}
		amount := o.Lines[0].Price.Minor
		if amount >= o.Total.Minor {
			amount = o.Total.Minor / 2
		}
		b.refund(payIdx, amount, when)
		o.Refunded = orderbot.Money{Minor: amount, Currency: o.Total.Currency}
		o.Financial = orderbot.FinancialPartiallyRefunded
		o.UpdatedAt = later(o.UpdatedAt, when)
	}
}

// journey generates a parcel's tracking record as of now.
func (b *batch) journey(o *orderbot.Order, p person, car carrier, ref orderbot.ShipmentRef) orderbot.Shipment {
	w := b.w
	sh, cps := b.labelled(o, p, car, ref)
	finish := func() orderbot.Shipment { return finishParcel(sh, cps, car) }
	origin := cps[0].Location
	// Pickup: within 20 hours of shipping for clean parcels.
	pickup := ref.ShippedAt.Add(w.between(hour, 20*hour))
	if pickup.After(b.now) {
		return finish()
	}
	transit := w.between(day, 4*day)
	if !car.china {
		transit = w.between(2*day, 5*day)
	}
	deliverAt := pickup.Add(transit)
	sh.PickedUpAt = pickup
	sh.ExpectedDelivery = deliverAt.Add(w.between(0, 2*day)).Truncate(hour)
	cps = append(cps, orderbot.Checkpoint{Time: pickup, Location: origin, Message: msg(p, "pickup"), Status: orderbot.ShipPickedUp})
	sh.Status = orderbot.ShipPickedUp
	// Transit scans every 4 to 30 hours until delivery or now.
	t := pickup
	hubDone := false
	for {
		t = t.Add(w.between(4*hour, 30*hour))
		if !t.Before(deliverAt) || t.After(b.now) {
			break
		}
		where, what := p.c.hub, msg(p, "hub")
		if hubDone {
			where, what = p.c.name, msg(p, "arrived")
		}
		hubDone = true
		cps = append(cps, orderbot.Checkpoint{Time: t, Location: where, Message: what, Status: orderbot.ShipInTransit})
		sh.Status = orderbot.ShipInTransit
	}
	if !deliverAt.After(b.now) {
		out := deliverAt.Add(-w.between(hour, 5*hour))
		if out.After(cps[len(cps)-1].Time) {
			cps = append(cps, orderbot.Checkpoint{Time: out, Location: p.c.name, Message: msg(p, "out"), Status: orderbot.ShipOutForDelivery})
		}
		cps = append(cps, orderbot.Checkpoint{Time: deliverAt, Location: p.c.name, Message: msg(p, "delivered"), Status: orderbot.ShipDelivered})
		sh.Status = orderbot.ShipDelivered
		sh.DeliveredAt = deliverAt
	}
	return finish()
}

// labelled starts a parcel's tracking record: label created at the ship time,
// no carrier scan yet.
func (b *batch) labelled(o *orderbot.Order, p person, car carrier, ref orderbot.ShipmentRef) (orderbot.Shipment, []orderbot.Checkpoint) {
	source := b.w.opts.TrackingSource
	if car.china {
		source = b.w.opts.ChinaTrackingSource
	}
	sh := orderbot.Shipment{
		TrackingNumber: ref.TrackingNumber, Carrier: car.slug, OrderID: o.ID, Source: source,
		Status: orderbot.ShipInfoReceived,
		URL:    "https://track.example/" + car.slug + "/" + ref.TrackingNumber,
	}
	origin := "深圳市"
	switch p.m.country {
	case "US":
		origin = "Reno, NV"
	case "DE", "FR", "NL", "GB":
		origin = "Venlo, NL"
	}
	return sh, []orderbot.Checkpoint{{Time: ref.ShippedAt, Location: origin, Message: msg(p, "label"), Status: orderbot.ShipInfoReceived}}
}

// finishParcel orders the checkpoints newest first, as the contract says, and
// derives the record's last event and provider status code.
func finishParcel(sh orderbot.Shipment, cps []orderbot.Checkpoint, car carrier) orderbot.Shipment {
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].Time.After(cps[j].Time) })
	sh.Checkpoints = cps
	sh.LastEventAt = cps[0].Time
	sh.StatusCode, sh.StatusText = statusCode(sh.Status, car.china)
	return sh
}

// msg is a carrier message in the customer's market language.
func msg(p person, what string) string {
	if p.m.country == "CN" {
		switch what {
		case "label":
			return "商家已下单，等待快递员揽收"
		case "pickup":
			return "快件已揽收"
		case "hub":
			return "快件已到达【" + p.c.hub + "】"
		case "arrived":
			return "快件已到达【" + p.c.name + "营业点】"
		case "out":
			return "快件正在派送中"
		case "delivered":
			return "快件已签收，签收人：本人"
		case "stalled":
			return "快件已发出，下一站【" + p.c.hub + "】"
		case "exception":
			return "快件派送不成功，收件人电话无人接听"
		case "refused":
			return "收件人拒收"
		case "returning":
			return "快件已退回寄件人"
		}
	}
	switch what {
	case "label":
		return "Shipment information received"
	case "pickup":
		return "Picked up by carrier"
	case "hub":
		return "Arrived at sorting facility"
	case "arrived":
		return "Arrived at delivery facility"
	case "out":
		return "Out for delivery"
	case "delivered":
		return "Delivered"
	case "stalled":
		return "Departed facility"
	case "exception":
		return "Delivery exception: address information incomplete"
	case "refused":
		return "Delivery refused by recipient"
	case "returning":
		return "Returning to sender"
	}
	return what
}

// statusCode is the provider's own status code and text for a status: an
// AfterShip tag/subtag, or a Kuaidi100 state number.
func statusCode(s orderbot.ShipmentStatus, china bool) (string, string) {
	if china {
		switch s {
		case orderbot.ShipInfoReceived:
			return "1", "揽收"
		case orderbot.ShipPickedUp:
			return "103", "已揽收"
		case orderbot.ShipInTransit:
			return "0", "在途"
		case orderbot.ShipOutForDelivery:
			return "5", "派件"
		case orderbot.ShipDelivered:
			return "3", "签收"
		case orderbot.ShipException, orderbot.ShipAttemptFail:
			return "2", "疑难"
		case orderbot.ShipRefused:
			return "14", "拒签"
		case orderbot.ShipReturning:
			return "6", "退回"
		}
		return "", ""
	}
	switch s {
	case orderbot.ShipInfoReceived:
		return "InfoReceived_001", "Info Received"
	case orderbot.ShipPickedUp:
		return "InTransit_002", "Picked up"
	case orderbot.ShipInTransit:
		return "InTransit_001", "In Transit"
	case orderbot.ShipOutForDelivery:
		return "OutForDelivery_001", "Out For Delivery"
	case orderbot.ShipDelivered:
		return "Delivered_001", "Delivered"
	case orderbot.ShipAttemptFail:
		return "AttemptFail_001", "Failed Attempt"
	case orderbot.ShipException:
		return "Exception_011", "Exception"
	case orderbot.ShipRefused:
		return "Exception_004", "Refused"
	case orderbot.ShipReturning:
		return "Exception_006", "Returning to sender"
	}
	return "", ""
}
