package shopify

// The wire types hold the fields of providers.md §2 the mapping reads; the
// decoder skips the rest. Times stay strings and are parsed by the mapping so a
// bad one is reported with its field path. JSON null leaves a string empty.
//
// Fields marked "view" may be decoded as views into the page body (see
// decoder.view): the mapping parses or compares them and must never store
// them, or one small string would keep a whole page alive.

type ordersPage struct {
	Orders []order `json:"orders"`
}

// reset empties p for the next page while keeping the memory of its orders
// and their line items: every element is zeroed, so a field the next page
// leaves out reads as absent, as in a new ordersPage (line items as an empty
// slice rather than nil; the mapping reads only their length), and the
// decoder, which fills the elements a slice already has, reuses them.
func (p *ordersPage) reset() {
	all := p.Orders[:cap(p.Orders)]
	for i := range all {
		lines := all[i].LineItems[:cap(all[i].LineItems)]
		clear(lines)
		all[i] = order{LineItems: lines[:0]}
	}
	p.Orders = all[:0]
}

type orderEnvelope struct {
	Order order `json:"order"`
}

type order struct {
	ID                  int64         `json:"id"`
	Name                string        `json:"name"`
	Email               string        `json:"email"`
	ContactEmail        string        `json:"contact_email"`
	Phone               string        `json:"phone"`
	CreatedAt           string        `json:"created_at"`         // view
	UpdatedAt           string        `json:"updated_at"`         // view
	ProcessedAt         string        `json:"processed_at"`       // view
	CancelledAt         string        `json:"cancelled_at"`       // view
	ClosedAt            string        `json:"closed_at"`          // view
	Currency            string        `json:"currency"`           // view
	TotalPrice          string        `json:"total_price"`        // view
	FinancialStatus     string        `json:"financial_status"`   // view
	FulfillmentStatus   string        `json:"fulfillment_status"` // view
	Test                bool          `json:"test"`
	CustomerLocale      string        `json:"customer_locale"`
	Customer            *customer     `json:"customer"`
	ShippingAddress     *address      `json:"shipping_address"`
	LineItems           []lineItem    `json:"line_items"`
	Fulfillments        []fulfillment `json:"fulfillments"`
	Refunds             []orderRefund `json:"refunds"`
	PaymentGatewayNames []string      `json:"payment_gateway_names"` // view (the names)
	Gateway             string        `json:"gateway"`               // view; deprecated, still sent by older versions
}

type customer struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type address struct {
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Name         string `json:"name"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Zip          string `json:"zip"`
	Phone        string `json:"phone"`
}

type lineItem struct {
	ID                int64  `json:"id"`
	VariantID         *int64 `json:"variant_id"`
	SKU               string `json:"sku"`
	Title             string `json:"title"`
	Name              string `json:"name"`
	Quantity          int64  `json:"quantity"`
	CurrentQuantity   *int64 `json:"current_quantity"`   // after edits and refunds; newer versions
	Price             string `json:"price"`              // view
	FulfillmentStatus string `json:"fulfillment_status"` // view
	RequiresShipping  bool   `json:"requires_shipping"`
}

type fulfillment struct {
	ID              int64              `json:"id"`
	Status          string             `json:"status"`     // view
	CreatedAt       string             `json:"created_at"` // view
	TrackingCompany string             `json:"tracking_company"`
	TrackingNumber  string             `json:"tracking_number"`
	TrackingNumbers []string           `json:"tracking_numbers"`
	LineItems       []fulfillmentItems `json:"line_items"`
}

type fulfillmentItems struct {
	ID       int64 `json:"id"`
	Quantity int64 `json:"quantity"`
}

type orderRefund struct {
	ID           int64         `json:"id"`
	Transactions []transaction `json:"transactions"`
}

type transaction struct {
	Kind     string `json:"kind"`     // view
	Status   string `json:"status"`   // view
	Amount   string `json:"amount"`   // view
	Currency string `json:"currency"` // view
}

type locationsPage struct {
	Locations []location `json:"locations"`
}

type location struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

type productsPage struct {
	Products []product `json:"products"`
}

type product struct {
	ID       int64     `json:"id"`
	Variants []variant `json:"variants"`
}

type variant struct {
	ID              int64  `json:"id"`
	SKU             string `json:"sku"`
	InventoryItemID int64  `json:"inventory_item_id"`
}

type levelsPage struct {
	InventoryLevels []inventoryLevel `json:"inventory_levels"`
}

type inventoryLevel struct {
	InventoryItemID int64  `json:"inventory_item_id"`
	LocationID      int64  `json:"location_id"`
	Available       *int64 `json:"available"` // null: not tracked
	UpdatedAt       string `json:"updated_at"`
}
