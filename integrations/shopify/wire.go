package shopify

// The wire types hold the fields of providers.md §2 the mapping reads; the
// decoder skips the rest. Times stay strings and are parsed by the mapping so a
// bad one is reported with its field path. JSON null leaves a string empty.

type ordersPage struct {
	Orders []order `json:"orders"`
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
	CreatedAt           string        `json:"created_at"`
	UpdatedAt           string        `json:"updated_at"`
	ProcessedAt         string        `json:"processed_at"`
	CancelledAt         string        `json:"cancelled_at"`
	ClosedAt            string        `json:"closed_at"`
	Currency            string        `json:"currency"`
	TotalPrice          string        `json:"total_price"`
	FinancialStatus     string        `json:"financial_status"`
	FulfillmentStatus   string        `json:"fulfillment_status"`
	Test                bool          `json:"test"`
	CustomerLocale      string        `json:"customer_locale"`
	Customer            *customer     `json:"customer"`
	ShippingAddress     *address      `json:"shipping_address"`
	LineItems           []lineItem    `json:"line_items"`
	Fulfillments        []fulfillment `json:"fulfillments"`
	Refunds             []orderRefund `json:"refunds"`
	PaymentGatewayNames []string      `json:"payment_gateway_names"`
	Gateway             string        `json:"gateway"` // deprecated, still sent by older versions
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
	CurrentQuantity   *int64 `json:"current_quantity"` // after edits and refunds; newer versions
	Price             string `json:"price"`
	FulfillmentStatus string `json:"fulfillment_status"`
	RequiresShipping  bool   `json:"requires_shipping"`
}

type fulfillment struct {
	ID              int64              `json:"id"`
	Status          string             `json:"status"`
	CreatedAt       string             `json:"created_at"`
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
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
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
