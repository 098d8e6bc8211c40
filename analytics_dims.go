package orderbot

// Dims are the breakdowns a finding is counted under in analytics: which SKU,
// courier, payment channel and region it concerns. Detection fills what the
// order or SKU tells; an empty part is simply not counted.
type Dims struct {
	SKU     string `json:"sku,omitempty"`
	Courier string `json:"courier,omitempty"` // carrier slug of the order's first parcel
	Channel string `json:"channel,omitempty"` // payment provider, or the payment method when none
	Region  string `json:"region,omitempty"`  // ISO country, "-" and province when known: "CN-Zhejiang"
}

// Stage is the part of an order's life a kind of problem belongs to, for the
// manager's view of where exceptions happen.
type Stage string

// Stages, in the order an order lives them.
const (
	StageOrder      Stage = "order"
	StagePayment    Stage = "payment"
	StageFulfilment Stage = "fulfilment"
	StageDelivery   Stage = "delivery"
	StageAfterSale  Stage = "after-sale"
)

// Stages lists every stage in life order.
func Stages() []Stage {
	return []Stage{StageOrder, StagePayment, StageFulfilment, StageDelivery, StageAfterSale}
}

// kindStages maps every registered kind to its stage. It lives beside the
// registry rather than in each KindSpec so that kinds added by other changes
// fall back to their category (see Kind.Stage) until they are listed here.
var kindStages = map[Kind]Stage{
	PaymentUnrecorded:     StagePayment,
	PaymentMissing:        StagePayment,
	PaymentDuplicate:      StagePayment,
	PaymentAmountMismatch: StagePayment,
	PaymentAfterClose:     StagePayment,
	InventoryOversold:     StageFulfilment,
	InventorySyncLag:      StageFulfilment,
	InventoryLowStock:     StageFulfilment,
	ShippingLateDispatch:  StageFulfilment,
	ShippingNoPickup:      StageDelivery,
	ShippingStalled:       StageDelivery,
	ShippingOverdue:       StageDelivery,
	ShippingException:     StageDelivery,
	ShippingNotReceived:   StageAfterSale,
	CustomerInvalidPhone:  StageOrder,
	CustomerInvalidAddr:   StageOrder,
	SystemStuck:           StageOrder,
	SystemStateViolation:  StageOrder,
	SystemSourceDown:      StageOrder,
	SyncOrderMissing:      StageOrder,
	SyncStatusMismatch:    StageFulfilment,
	SyncAmountMismatch:    StageOrder,
}

// Stage returns the kind's stage. A kind missing from the table is placed by
// its category: payment.* in payment, shipping.* in delivery, inventory.* in
// fulfilment, anything else in order.
func (k Kind) Stage() Stage {
	if s, ok := kindStages[k]; ok {
		return s
	}
	switch k.Category() {
	case "payment":
		return StagePayment
	case "shipping":
		return StageDelivery
	case "inventory":
		return StageFulfilment
	}
	return StageOrder
}
