package shopifyfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// The wire types are written from providers.md §2, independently of the
// adapter's, so the adapter tests check the adapter against the format and not
// against itself. Nullable fields are pointers so that null is sent as Shopify
// sends it.

type wireOrder struct {
	ID                  int64             `json:"id"`
	AdminGraphqlAPIID   string            `json:"admin_graphql_api_id"`
	Name                string            `json:"name"`
	OrderNumber         int64             `json:"order_number"`
	Email               *string           `json:"email"`
	ContactEmail        *string           `json:"contact_email"`
	Phone               *string           `json:"phone"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	ProcessedAt         string            `json:"processed_at"`
	CancelledAt         *string           `json:"cancelled_at"`
	CancelReason        *string           `json:"cancel_reason"`
	ClosedAt            *string           `json:"closed_at"`
	Currency            string            `json:"currency"`
	PresentmentCurrency string            `json:"presentment_currency"`
	TotalPrice          string            `json:"total_price"`
	SubtotalPrice       string            `json:"subtotal_price"`
	TotalTax            string            `json:"total_tax"`
	TotalDiscounts      string            `json:"total_discounts"`
	CurrentTotalPrice   string            `json:"current_total_price"`
	TotalOutstanding    string            `json:"total_outstanding"`
	FinancialStatus     string            `json:"financial_status"`
	FulfillmentStatus   *string           `json:"fulfillment_status"`
	Test                bool              `json:"test"`
	Tags                string            `json:"tags"`
	Note                *string           `json:"note"`
	CustomerLocale      *string           `json:"customer_locale"`
	Gateway             string            `json:"gateway"`
	PaymentGatewayNames []string          `json:"payment_gateway_names"`
	Customer            *wireCustomer     `json:"customer"`
	ShippingAddress     *wireAddress      `json:"shipping_address"`
	BillingAddress      *wireAddress      `json:"billing_address"`
	LineItems           []wireLineItem    `json:"line_items"`
	Fulfillments        []wireFulfillment `json:"fulfillments"`
	Refunds             []wireRefund      `json:"refunds"`
}

type wireCustomer struct {
	ID        int64   `json:"id"`
	Email     *string `json:"email"`
	Phone     *string `json:"phone"`
	FirstName string  `json:"first_name"`
	LastName  string  `json:"last_name"`
	State     string  `json:"state"`
	Currency  string  `json:"currency"`
}

type wireAddress struct {
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Name         string   `json:"name"`
	Company      *string  `json:"company"`
	Address1     string   `json:"address1"`
	Address2     *string  `json:"address2"`
	City         string   `json:"city"`
	Province     *string  `json:"province"`
	ProvinceCode *string  `json:"province_code"`
	Country      string   `json:"country"`
	CountryCode  string   `json:"country_code"`
	Zip          string   `json:"zip"`
	Phone        *string  `json:"phone"`
	Latitude     *float64 `json:"latitude"`
	Longitude    *float64 `json:"longitude"`
}

type wireLineItem struct {
	ID                  int64   `json:"id"`
	VariantID           *int64  `json:"variant_id"`
	ProductID           *int64  `json:"product_id"`
	SKU                 string  `json:"sku"`
	Title               string  `json:"title"`
	Name                string  `json:"name"`
	Quantity            int64   `json:"quantity"`
	CurrentQuantity     int64   `json:"current_quantity"`
	Price               string  `json:"price"`
	FulfillableQuantity int64   `json:"fulfillable_quantity"`
	FulfillmentStatus   *string `json:"fulfillment_status"`
	RequiresShipping    bool    `json:"requires_shipping"`
	Grams               int     `json:"grams"`
	Vendor              *string `json:"vendor"`
}

type wireFulfillment struct {
	ID              int64          `json:"id"`
	OrderID         int64          `json:"order_id"`
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	CreatedAt       string         `json:"created_at"`
	UpdatedAt       string         `json:"updated_at"`
	Service         string         `json:"service"`
	ShipmentStatus  *string        `json:"shipment_status"`
	TrackingCompany *string        `json:"tracking_company"`
	TrackingNumber  *string        `json:"tracking_number"`
	TrackingNumbers []string       `json:"tracking_numbers"`
	TrackingURL     *string        `json:"tracking_url"`
	TrackingURLs    []string       `json:"tracking_urls"`
	LineItems       []wireFulfLine `json:"line_items"`
}

type wireFulfLine struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

type wireRefund struct {
	ID           int64             `json:"id"`
	OrderID      int64             `json:"order_id"`
	CreatedAt    string            `json:"created_at"`
	Note         *string           `json:"note"`
	Transactions []wireTransaction `json:"transactions"`
}

type wireTransaction struct {
	ID       int64  `json:"id"`
	OrderID  int64  `json:"order_id"`
	Kind     string `json:"kind"`
	Gateway  string `json:"gateway"`
	Status   string `json:"status"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type wireLocation struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	Active            bool    `json:"active"`
	Address1          *string `json:"address1"`
	City              *string `json:"city"`
	CountryCode       string  `json:"country_code"`
	Legacy            bool    `json:"legacy"`
	AdminGraphqlAPIID string  `json:"admin_graphql_api_id"`
}

type wireProduct struct {
	ID       int64         `json:"id"`
	Title    string        `json:"title"`
	Handle   string        `json:"handle"`
	Status   string        `json:"status"`
	Variants []wireVariant `json:"variants"`
}

type wireVariant struct {
	ID                  int64   `json:"id"`
	ProductID           int64   `json:"product_id"`
	Title               string  `json:"title"`
	SKU                 string  `json:"sku"`
	InventoryItemID     int64   `json:"inventory_item_id"`
	InventoryQuantity   int64   `json:"inventory_quantity"`
	InventoryManagement *string `json:"inventory_management"`
	InventoryPolicy     string  `json:"inventory_policy"`
}

type wireLevel struct {
	InventoryItemID   int64  `json:"inventory_item_id"`
	LocationID        int64  `json:"location_id"`
	Available         *int64 `json:"available"`
	UpdatedAt         string `json:"updated_at"`
	AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
}

func ptr[T any](v T) *T { return &v }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// shopTime renders a time the way Shopify does: seconds, with the shop's
// offset ("2024-04-25T16:15:47-04:00").
func shopTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04:05-07:00")
}

// decimal renders minor units as Shopify's decimal string ("199.00").
func decimal(minor int64, currency string) string {
	d := orderbot.MinorDigits(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	if d == 0 {
		return sign + strconv.FormatInt(minor, 10)
	}
	p := int64(1)
	for range d {
		p *= 10
	}
	frac := strconv.FormatInt(minor%p+p, 10)[1:] // zero-padded to d digits
	return sign + strconv.FormatInt(minor/p, 10) + "." + frac
}

// gatewayNames are the gateway names the fake sends per payment method.
var gatewayNames = map[orderbot.PaymentMethod]string{
	orderbot.PayCard:           "shopify_payments",
	orderbot.PayWallet:         "paypal",
	orderbot.PayBankTransfer:   "Bank Deposit",
	orderbot.PayCashOnDelivery: "Cash on Delivery (COD)",
	orderbot.PayOther:          "manual",
}

// carrierNames are the tracking_company names the fake sends per slug;
// another slug is sent as it is.
var carrierNames = map[string]string{
	"ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl": "DHL Express",
	"canada-post": "Canada Post", "royal-mail": "Royal Mail", "australia-post": "Australia Post",
	"shunfeng": "SF Express", "yuantong": "YTO Express", "zhongtong": "ZTO Express",
	"shentong": "STO Express", "yunda": "Yunda Express", "ems": "EMS", "jd": "JD Logistics",
	"youzhengguonei": "China Post",
}

func splitName(n string) (first, last string) {
	n = strings.TrimSpace(n)
	first, last, _ = strings.Cut(n, " ")
	return first, strings.TrimSpace(last)
}

// subID derives child ids (line items, fulfillments, refunds) from an order
// id so they are stable and unique.
func subID(orderID int64, kind, i int) int64 {
	return (orderID%1_000_000_000_000)*1000 + int64(kind*100+i) + 1
}

// renderOrder renders a stored domain order.
func (s *Server) renderOrder(o *orderbot.Order, id int64) wireOrder {
	loc := s.opts.Timezone
	cur := strings.ToUpper(o.Total.Currency)
	total := decimal(o.Total.Minor, cur)
	w := wireOrder{
		ID:                  id,
		AdminGraphqlAPIID:   "gid://shopify/Order/" + strconv.FormatInt(id, 10),
		Name:                o.Name,
		Email:               optional(o.Customer.Email),
		ContactEmail:        optional(o.Customer.Email),
		Phone:               optional(o.Customer.Phone),
		CreatedAt:           shopTime(o.CreatedAt, loc),
		UpdatedAt:           shopTime(o.UpdatedAt, loc),
		ProcessedAt:         shopTime(o.CreatedAt, loc),
		Currency:            cur,
		PresentmentCurrency: cur,
		TotalPrice:          total,
		SubtotalPrice:       total,
		TotalTax:            decimal(0, cur),
		TotalDiscounts:      decimal(0, cur),
		CurrentTotalPrice:   decimal(o.Total.Minor-o.Refunded.Minor, cur),
		TotalOutstanding:    total,
		FinancialStatus:     string(o.Financial),
		Test:                o.Test,
		CustomerLocale:      optional(o.Customer.Locale),
		PaymentGatewayNames: []string{},
		LineItems:           []wireLineItem{},
		Fulfillments:        []wireFulfillment{},
		Refunds:             []wireRefund{},
	}
	if w.Name == "" {
		w.Name = "#" + strconv.FormatInt(id%100000, 10)
	}
	w.OrderNumber, _ = strconv.ParseInt(strings.TrimLeft(w.Name, "#"), 10, 64)
	if w.FinancialStatus == "" {
		w.FinancialStatus = "pending"
	}
	if o.Financial.Paid() {
		w.TotalOutstanding = decimal(0, cur)
	}
	if !o.PaidAt.IsZero() {
		w.ProcessedAt = shopTime(o.PaidAt, loc)
	}
	switch o.Fulfillment {
	case orderbot.FulfillmentFulfilled:
		w.FulfillmentStatus = ptr("fulfilled")
	case orderbot.FulfillmentPartial:
		w.FulfillmentStatus = ptr("partial")
	}
	if g, ok := gatewayNames[o.PaymentMethod]; ok {
		w.Gateway = g
		w.PaymentGatewayNames = []string{g}
	}
	switch {
	case o.Status == orderbot.OrderCancelled || !o.CancelledAt.IsZero():
		at := firstNonZero(o.CancelledAt, o.StatusSince, o.UpdatedAt)
		w.CancelledAt = ptr(shopTime(at, loc))
		w.CancelReason = ptr("customer")
		w.ClosedAt = ptr(shopTime(at, loc)) // Shopify closes cancelled orders too
	case o.Status == orderbot.OrderCompleted:
		w.ClosedAt = ptr(shopTime(firstNonZero(o.StatusSince, o.UpdatedAt), loc))
	}

	if c := o.Customer; c.Name != "" || c.Email != "" || c.Phone != "" {
		first, last := splitName(c.Name)
		w.Customer = &wireCustomer{ID: 900_000_000_000 + id%1_000_000_000, Email: optional(c.Email), Phone: optional(c.Phone),
			FirstName: first, LastName: last, State: "enabled", Currency: cur}
	}
	if a := o.ShippingAddress; a != (orderbot.Address{}) {
		first, last := splitName(a.Name)
		w.ShippingAddress = &wireAddress{FirstName: first, LastName: last, Name: a.Name, Address1: a.Line1,
			Address2: optional(a.Line2), City: a.City, Province: optional(a.Province), Country: a.Country,
			CountryCode: a.Country, Zip: a.PostalCode, Phone: optional(a.Phone)}
		w.BillingAddress = w.ShippingAddress
	}

	firstFulfillment := subID(id, 1, 0)
	var fulfilledLines []wireFulfLine
	for i, l := range o.Lines {
		li := wireLineItem{
			ID:                  subID(id, 0, i),
			SKU:                 l.SKU,
			Title:               l.Title,
			Name:                l.Title,
			Quantity:            l.Quantity,
			CurrentQuantity:     l.Quantity,
			Price:               decimal(l.Price.Minor, cur),
			FulfillableQuantity: max(l.Quantity-l.Fulfilled, 0),
			RequiresShipping:    o.RequiresShipping,
			Grams:               250,
		}
		if ids, ok := s.skus[l.SKU]; ok {
			li.VariantID, li.ProductID = ptr(ids.variantID), ptr(ids.productID)
		}
		switch {
		case l.Fulfilled >= l.Quantity && l.Quantity > 0:
			li.FulfillmentStatus = ptr("fulfilled")
		case l.Fulfilled > 0:
			li.FulfillmentStatus = ptr("partial")
		}
		if l.Fulfilled > 0 {
			fulfilledLines = append(fulfilledLines, wireFulfLine{ID: li.ID, SKU: l.SKU, Quantity: l.Fulfilled})
		}
		w.LineItems = append(w.LineItems, li)
	}

	shipped := firstNonZero(o.ShippedAt, o.UpdatedAt)
	for i, ref := range o.Shipments {
		at := firstNonZero(ref.ShippedAt, shipped)
		f := wireFulfillment{
			ID: subID(id, 1, i), OrderID: id, Name: fmt.Sprintf("%s.%d", w.Name, i+1), Status: "success",
			CreatedAt: shopTime(at, loc), UpdatedAt: shopTime(at, loc), Service: "manual",
			TrackingNumber: ptr(ref.TrackingNumber), TrackingNumbers: []string{ref.TrackingNumber},
			TrackingURLs: []string{}, LineItems: []wireFulfLine{},
		}
		if ref.Carrier != "" {
			name, ok := carrierNames[ref.Carrier]
			if !ok {
				name = ref.Carrier
			}
			f.TrackingCompany = ptr(name)
		}
		w.Fulfillments = append(w.Fulfillments, f)
	}
	if len(fulfilledLines) > 0 || (len(w.Fulfillments) == 0 && !o.ShippedAt.IsZero()) {
		if len(w.Fulfillments) == 0 {
			at := shopTime(shipped, loc)
			w.Fulfillments = append(w.Fulfillments, wireFulfillment{
				ID: firstFulfillment, OrderID: id, Name: w.Name + ".1", Status: "success", CreatedAt: at, UpdatedAt: at,
				Service: "manual", TrackingNumbers: []string{}, TrackingURLs: []string{},
			})
		}
		// The shipped quantities travel with the earliest fulfillment.
		first := 0
		for i := range w.Fulfillments {
			if w.Fulfillments[i].CreatedAt < w.Fulfillments[first].CreatedAt {
				first = i
			}
		}
		w.Fulfillments[first].LineItems = fulfilledLines
	}

	if o.Refunded.Minor != 0 {
		at := shopTime(o.UpdatedAt, loc)
		w.Refunds = append(w.Refunds, wireRefund{ID: subID(id, 2, 0), OrderID: id, CreatedAt: at,
			Transactions: []wireTransaction{{ID: subID(id, 3, 0), OrderID: id, Kind: "refund", Gateway: w.Gateway,
				Status: "success", Amount: decimal(o.Refunded.Minor, cur), Currency: cur}}})
	}
	return w
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
