package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
)

// orderFields are the top-level order fields the mapping reads; asking for
// only these (Shopify's fields parameter) keeps pages a fraction of their full
// size. Keep in step with the order type in wire.go.
const orderFields = "id,name,email,contact_email,phone,created_at,updated_at,processed_at,cancelled_at,closed_at," +
	"currency,total_price,financial_status,fulfillment_status,test,customer_locale,customer,shipping_address," +
	"line_items,fulfillments,refunds,payment_gateway_names,gateway"

// ListOrders implements orderbot.OrderSource: every order (status=any) updated
// in [w.From, w.To), page by page, at most once per version (see the package
// doc).
func (c *Client) ListOrders(ctx context.Context, w orderbot.Window, page func([]orderbot.Order) error) error {
	const op = "shopify.list_orders"
	if !w.To.After(w.From) {
		return orderbot.Errorf(orderbot.KindInvalid, op, "%s: the window must end after it starts", c.name)
	}
	q := url.Values{}
	q.Set("status", "any")
	q.Set("limit", strconv.Itoa(c.pageSize))
	q.Set("fields", orderFields)
	// Shopify's times are whole seconds and both bounds inclusive: the minimum
	// rounds down (the filter below drops what is before From) and the
	// maximum keeps its second (the filter drops what is at or after To).
	q.Set("updated_at_min", w.From.UTC().Truncate(time.Second).Format(time.RFC3339))
	q.Set("updated_at_max", w.To.UTC().Truncate(time.Second).Format(time.RFC3339))

	// delivered remembers, per order id, the version (updated_at) delivered
	// and where: a repeat within the same page replaces its entry.
	type version struct {
		updated   int64 // Unix nanoseconds
		page, idx int
	}
	delivered := map[int64]version{}
	pageNo := 0
	// The wire orders of a page are only read while it is mapped, so every
	// page is decoded into the same memory (see ordersPage.reset).
	var p ordersPage
	return c.pages(ctx, op, "/orders.json", q, func(body []byte) error {
		pageNo++
		p.reset()
		if err := decodeOrders(op, body, &p); err != nil {
			return err
		}
		out := make([]orderbot.Order, 0, len(p.Orders))
		for i := range p.Orders {
			o, err := c.order(op, "orders", &p.Orders[i])
			if err != nil {
				return err
			}
			if o.UpdatedAt.Before(w.From) || !o.UpdatedAt.Before(w.To) {
				continue
			}
			id, v := p.Orders[i].ID, o.UpdatedAt.UnixNano()
			prev, seen := delivered[id]
			switch {
			case seen && prev.updated >= v:
				continue
			case seen && prev.page == pageNo:
				out[prev.idx] = o
				delivered[id] = version{v, pageNo, prev.idx}
			default:
				delivered[id] = version{v, pageNo, len(out)}
				out = append(out, o)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return page(out)
	})
}

// GetOrder implements orderbot.OrderSource. A numeric id is Shopify's order
// id; "#1001" (or a short number with no order of that id) is looked up by
// order name, which is what staff type. A missing order is KindNotFound.
func (c *Client) GetOrder(ctx context.Context, id string) (orderbot.Order, error) {
	const op = "shopify.get_order"
	id = strings.TrimSpace(id)
	if id == "" {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindInvalid, op, "%s: an order id is required", c.name)
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
		resp, err := c.get(ctx, op, c.base+"/orders/"+id+".json", url.Values{"fields": {orderFields}})
		switch {
		case err == nil:
			var env orderEnvelope
			if err := decodeOrders(op, resp.Body, &env); err != nil {
				return orderbot.Order{}, err
			}
			return c.order(op, "order", &env.Order)
		case !orderbot.IsKind(err, orderbot.KindNotFound) || len(id) > 9:
			return orderbot.Order{}, err
		}
		// Order ids are 13+ digits; a short number is an order number.
		id = "#" + id
	}
	q := url.Values{"name": {id}, "status": {"any"}, "limit": {"1"}, "fields": {orderFields}}
	resp, err := c.get(ctx, op, c.base+"/orders.json", q)
	if err != nil {
		return orderbot.Order{}, err
	}
	var p ordersPage
	if err := decodeOrders(op, resp.Body, &p); err != nil {
		return orderbot.Order{}, err
	}
	if len(p.Orders) == 0 {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindNotFound, op, "%s has no order %s", c.name, id)
	}
	return c.order(op, "orders", &p.Orders[0])
}

// order maps one wire order; path prefixes field names in errors. It keeps
// no string of the wire order's view fields (see wire.go).
func (c *Client) order(op, path string, w *order) (orderbot.Order, error) {
	var err error
	id := strconv.FormatInt(w.ID, 10)
	o := orderbot.Order{
		ID:     id,
		Source: c.name,
		Name:   w.Name,
		Test:   w.Test,
		URL:    c.adminURL + "/orders/" + id,
	}
	if w.ID <= 0 {
		return o, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: want a positive order id, got %d", path+".id", w.ID)
	}
	// Field paths are joined only for an error message.
	if o.CreatedAt, err = parseTime(op, path, ".created_at", w.CreatedAt, true); err != nil {
		return o, err
	}
	if o.UpdatedAt, err = parseTime(op, path, ".updated_at", w.UpdatedAt, true); err != nil {
		return o, err
	}
	if o.CancelledAt, err = parseTime(op, path, ".cancelled_at", w.CancelledAt, false); err != nil {
		return o, err
	}
	processed, err := parseTime(op, path, ".processed_at", w.ProcessedAt, false)
	if err != nil {
		return o, err
	}
	closed, err := parseTime(op, path, ".closed_at", w.ClosedAt, false)
	if err != nil {
		return o, err
	}
	cur := currencyCode(w.Currency)
	if o.Total, err = money(op, path, ".total_price", w.TotalPrice, cur); err != nil {
		return o, err
	}

	o.Financial = financialStatus(w.FinancialStatus)
	o.Fulfillment = fulfillmentStatus(w.FulfillmentStatus)
	gateways := w.PaymentGatewayNames
	if len(gateways) == 0 && w.Gateway != "" {
		gateways = []string{w.Gateway}
	}
	o.PaymentMethod = c.paymentMethod(gateways)
	switch {
	case !o.CancelledAt.IsZero():
		o.Status, o.StatusSince = orderbot.OrderCancelled, o.CancelledAt
	case !closed.IsZero():
		o.Status, o.StatusSince = orderbot.OrderCompleted, closed
	case !moneySecured(o.Financial) && !o.IsCOD():
		o.Status = orderbot.OrderPending
	default:
		o.Status = orderbot.OrderProcessing
	}
	if o.Financial.Paid() {
		o.PaidAt = processed
	}

	o.Customer = orderbot.Customer{Email: w.Email, Phone: w.Phone, Locale: w.CustomerLocale}
	if o.Customer.Email == "" {
		o.Customer.Email = w.ContactEmail
	}
	if cu := w.Customer; cu != nil {
		o.Customer.Name = strings.TrimSpace(cu.FirstName + " " + cu.LastName)
		if o.Customer.Email == "" {
			o.Customer.Email = cu.Email
		}
		if o.Customer.Phone == "" {
			o.Customer.Phone = cu.Phone
		}
	}
	if a := w.ShippingAddress; a != nil {
		o.ShippingAddress = orderbot.Address{
			Name:       a.Name,
			Line1:      a.Address1,
			Line2:      a.Address2,
			City:       a.City,
			Province:   a.Province,
			PostalCode: a.Zip,
			Country:    strings.ToUpper(a.CountryCode),
			Phone:      a.Phone,
		}
		if o.ShippingAddress.Name == "" {
			o.ShippingAddress.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
		}
		if o.ShippingAddress.Province == "" {
			o.ShippingAddress.Province = a.ProvinceCode
		}
		// Many checkouts ask for a phone only with the address.
		if o.Customer.Phone == "" {
			o.Customer.Phone = a.Phone
		}
		if o.Customer.Name == "" {
			o.Customer.Name = o.ShippingAddress.Name
		}
	}

	// Shipped quantities per line from successful fulfillments.
	var shipped map[int64]int64
	for i, f := range w.Fulfillments {
		if f.Status != "success" && f.Status != "" {
			continue // pending/open have not left; cancelled/error/failure never will
		}
		at, err := parseTime(op, path, ".fulfillments[#].created_at", f.CreatedAt, false)
		if err != nil {
			return o, indexed(err, i)
		}
		if !at.IsZero() && (o.ShippedAt.IsZero() || at.Before(o.ShippedAt)) {
			o.ShippedAt = at
		}
		for _, li := range f.LineItems {
			if shipped == nil {
				shipped = make(map[int64]int64, len(w.LineItems))
			}
			shipped[li.ID] += li.Quantity
		}
		numbers := f.TrackingNumbers
		if len(numbers) == 0 && f.TrackingNumber != "" {
			numbers = []string{f.TrackingNumber}
		}
		carrier := c.carrierSlug(f.TrackingCompany)
		for _, n := range numbers {
			if n = strings.TrimSpace(n); n != "" {
				o.Shipments = append(o.Shipments, orderbot.ShipmentRef{TrackingNumber: n, Carrier: carrier, ShippedAt: at})
			}
		}
	}

	if len(w.LineItems) > 0 {
		o.Lines = make([]orderbot.LineItem, 0, len(w.LineItems))
	}
	for i := range w.LineItems {
		li := &w.LineItems[i]
		qty := li.Quantity
		if li.CurrentQuantity != nil {
			qty = *li.CurrentQuantity // removed or refunded units are no longer to ship
		}
		price, err := money(op, path, ".line_items[#].price", li.Price, cur)
		if err != nil {
			return o, indexed(err, i)
		}
		done := shipped[li.ID]
		if li.FulfillmentStatus == "fulfilled" {
			done = max(done, qty)
		}
		title := li.Title
		if title == "" {
			title = li.Name
		}
		o.Lines = append(o.Lines, orderbot.LineItem{SKU: li.SKU, Title: title, Quantity: qty, Fulfilled: min(done, qty), Price: price})
		if li.RequiresShipping {
			o.RequiresShipping = true
		}
	}

	var refunded int64
	for i, r := range w.Refunds {
		for j, t := range r.Transactions {
			if t.Kind != "refund" || t.Status != "success" {
				continue
			}
			tc := cur
			if t.Currency != "" {
				tc = strings.ToUpper(t.Currency)
			}
			m, err := money(op, path, ".refunds[#].transactions[#].amount", t.Amount, tc)
			if err != nil {
				return o, indexed(err, i, j)
			}
			refunded += m.Minor
		}
	}
	if refunded != 0 {
		o.Refunded = orderbot.Money{Minor: refunded, Currency: cur}
	}
	return o, nil
}

// indexed fills the [#] placeholders of an error's field path with the
// indexes, so paths are only formatted when a field is bad.
func indexed(err error, idx ...int) error {
	var e *orderbot.Error
	if !errors.As(err, &e) {
		return err
	}
	for _, i := range idx {
		e.Msg = strings.Replace(e.Msg, "[#]", "["+strconv.Itoa(i)+"]", 1)
	}
	return err
}

// parseTime parses the time v of the field path+name.
func parseTime(op, path, name, v string, required bool) (time.Time, error) {
	if v == "" {
		if required {
			return time.Time{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: want an ISO 8601 time, got nothing", path+name)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: want an ISO 8601 time, got %q", path+name, truncate(v, 40))
	}
	return t.UTC(), nil
}

// money parses the amount v of the field path+name.
func money(op, path, name, v, currency string) (orderbot.Money, error) {
	if v == "" {
		return orderbot.Money{Currency: currency}, nil
	}
	m, err := orderbot.ParseMoney(v, currency)
	if err != nil {
		return m, orderbot.Wrap(orderbot.KindPermanent, op, err, fmt.Sprintf("field %q: want a decimal amount", path+name))
	}
	return m, nil
}

// currencyCode is an order's currency code in upper case, in a string of its
// own (the wire value is a view into the page): the codes shops use most
// share constant strings, others are copied.
func currencyCode(v string) string {
	up := strings.ToUpper(v)
	switch up {
	case "USD":
		return "USD"
	case "EUR":
		return "EUR"
	case "GBP":
		return "GBP"
	case "CNY":
		return "CNY"
	case "JPY":
		return "JPY"
	case "CAD":
		return "CAD"
	case "AUD":
		return "AUD"
	case "HKD":
		return "HKD"
	case "SGD":
		return "SGD"
	case "":
		return ""
	}
	return strings.Clone(up)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// moneySecured reports whether the shop holds or has held the customer's
// money (or its authorisation), which moves an order from pending on.
func moneySecured(f orderbot.FinancialStatus) bool {
	return f.Paid() || f == orderbot.FinancialAuthorized
}

// financialStatus maps financial_status. It returns the constants, never s,
// which is a view into the page.
func financialStatus(s string) orderbot.FinancialStatus {
	for _, f := range [...]orderbot.FinancialStatus{orderbot.FinancialPending, orderbot.FinancialAuthorized,
		orderbot.FinancialPartiallyPaid, orderbot.FinancialPaid, orderbot.FinancialPartiallyRefunded,
		orderbot.FinancialRefunded, orderbot.FinancialVoided} {
		if s == string(f) {
			return f
		}
	}
	if s == "expired" {
		return orderbot.FinancialVoided // an authorisation that lapsed
	}
	// Unknown or newer values: claim no money rather than money we cannot see.
	return orderbot.FinancialPending
}

func fulfillmentStatus(s string) orderbot.FulfillmentStatus {
	switch s {
	case "fulfilled", "shipped":
		return orderbot.FulfillmentFulfilled
	case "partial":
		return orderbot.FulfillmentPartial
	}
	// null, "unfulfilled", "restocked" (items went back to stock).
	return orderbot.FulfillmentUnfulfilled
}

// normalizeName lower-cases s and collapses its white space. It returns s
// itself when nothing changes (the usual gateway and carrier name), so a
// caller that keeps the result must not pass a view.
func normalizeName(s string) string {
	clean := len(s) > 0 && s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; clean && i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			clean = false
		case c == ' ' && s[i+1] == ' ':
			clean = false
		}
	}
	if clean || s == "" {
		return s
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// paymentMethod classifies payment_gateway_names; a gift card alongside
// another gateway does not decide the method.
func (c *Client) paymentMethod(gateways []string) orderbot.PaymentMethod {
	method := orderbot.PaymentMethod("")
	for _, g := range gateways {
		n := normalizeName(g)
		switch {
		case n == "":
			continue
		case n == "gift_card" || n == "gift card":
			if method == "" {
				method = orderbot.PayOther
			}
			continue
		}
		return c.gatewayMethod(n)
	}
	return method
}

func (c *Client) gatewayMethod(n string) orderbot.PaymentMethod {
	for _, g := range c.cod {
		if n == g {
			return orderbot.PayCashOnDelivery
		}
	}
	words := strings.FieldsFunc(n, func(r rune) bool { return r == ' ' || r == '_' || r == '(' || r == ')' || r == '-' })
	has := func(w string) bool {
		for _, x := range words {
			if x == w {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(n, "cash on delivery") || strings.Contains(n, "cash_on_delivery") || has("cod") || strings.Contains(n, "货到付款"):
		return orderbot.PayCashOnDelivery
	case has("paypal") || has("alipay") || has("wechat") || strings.Contains(n, "apple pay") || strings.Contains(n, "apple_pay") ||
		strings.Contains(n, "google pay") || strings.Contains(n, "google_pay") || has("amazon") || strings.Contains(n, "shop pay") || strings.Contains(n, "shop_pay"):
		return orderbot.PayWallet
	case has("bank") || has("wire") || has("transfer") || strings.Contains(n, "money order"):
		return orderbot.PayBankTransfer
	case n == "shopify_payments" || has("stripe") || n == "bogus" || has("braintree") || has("adyen") ||
		has("authorize") || strings.Contains(n, "authorize_net") || strings.Contains(n, "credit card") || has("card") ||
		strings.Contains(n, "checkout_com") || has("worldpay"):
		return orderbot.PayCard
	}
	return orderbot.PayOther
}

// carrierSlugs maps Shopify tracking_company names (normalised) to courier
// slugs: the Kuaidi100 codes for mainland carriers and AfterShip slugs for the
// rest, matching orderbot.ShipmentRef's examples ("ups", "yuantong").
var carrierSlugs = map[string]string{
	"ups": "ups", "usps": "usps", "fedex": "fedex", "dhl": "dhl", "dhl express": "dhl",
	"dhl ecommerce": "dhl-global-mail", "dhl ecommerce asia": "dhl-global-mail-asia",
	"canada post": "canada-post", "royal mail": "royal-mail", "australia post": "australia-post",
	"japan post (en)": "japan-post", "japan post (ja)": "japan-post", "japan post": "japan-post",
	"la poste": "la-poste-colissimo", "postnl": "postnl", "postnl international": "postnl-international",
	"dpd": "dpd", "gls": "gls", "tnt": "tnt", "aramex": "aramex", "purolator": "purolator",
	"ontrac": "ontrac", "lasership": "lasership", "new zealand post": "new-zealand-post",
	"4px": "4px", "yanwen": "yanwen", "cainiao": "cainiao", "yunexpress": "yunexpress",
	"china post": "youzhengguonei", "china ems": "ems", "ems": "ems", "china ems epacket": "ems",
	"sf express": "shunfeng", "sf": "shunfeng", "yto express": "yuantong", "yto": "yuantong",
	"zto express": "zhongtong", "zto": "zhongtong", "sto express": "shentong", "sto": "shentong",
	"yunda express": "yunda", "yunda": "yunda", "jd logistics": "jd", "jd": "jd",
	"best express": "huitongkuaidi", "deppon": "debangwuliu", "j&t express": "jtexpress",
	"顺丰速运": "shunfeng", "圆通速递": "yuantong", "中通快递": "zhongtong", "申通快递": "shentong",
	"韵达快递": "yunda", "中国邮政": "youzhengguonei", "京东物流": "jd",
}

// carrierSlug maps a tracking company to a slug; an unknown name becomes its
// lower-case, dash-joined form so it still groups consistently.
func (c *Client) carrierSlug(company string) string {
	n := normalizeName(company)
	if n == "" || n == "other" {
		return ""
	}
	if s, ok := c.carriers[n]; ok {
		return s
	}
	return strings.ReplaceAll(n, " ", "-")
}
