package orderbot

import "time"

// ShipmentStatus is the one internal status set every courier's codes map onto.
type ShipmentStatus string

// Internal shipment statuses.
const (
	ShipPending        ShipmentStatus = "pending"       // tracking number known, no carrier data yet
	ShipInfoReceived   ShipmentStatus = "info_received" // label created, not picked up
	ShipPickedUp       ShipmentStatus = "picked_up"     // first carrier scan
	ShipInTransit      ShipmentStatus = "in_transit"
	ShipOutForDelivery ShipmentStatus = "out_for_delivery"
	ShipAttemptFail    ShipmentStatus = "attempt_fail"
	ShipAwaitPickup    ShipmentStatus = "available_for_pickup"
	ShipDelivered      ShipmentStatus = "delivered"
	ShipException      ShipmentStatus = "exception"
	ShipRefused        ShipmentStatus = "refused"
	ShipReturning      ShipmentStatus = "returning"
	ShipReturned       ShipmentStatus = "returned"
	ShipExpired        ShipmentStatus = "expired" // carrier has no data for too long
)

// Picked reports whether the carrier has scanned the parcel at least once.
func (s ShipmentStatus) Picked() bool {
	switch s {
	case ShipPending, ShipInfoReceived, "":
		return false
	}
	return true
}

// Problem reports whether the status is one the shipping.exception rule reports.
func (s ShipmentStatus) Problem() bool {
	switch s {
	case ShipAttemptFail, ShipException, ShipRefused, ShipReturning, ShipReturned:
		return true
	}
	return false
}

// Final reports whether the parcel journey is over.
func (s ShipmentStatus) Final() bool { return s == ShipDelivered || s == ShipReturned }

// Checkpoint is one carrier scan.
type Checkpoint struct {
	Time     time.Time      `json:"time"`
	Location string         `json:"location,omitempty"`
	Message  string         `json:"message,omitempty"`
	Status   ShipmentStatus `json:"status,omitempty"`
	Code     string         `json:"code,omitempty"` // carrier's own code (subtag, state)
}

// Shipment is a parcel as the courier tracking service reports it.
type Shipment struct {
	TrackingNumber   string         `json:"tracking"`
	Carrier          string         `json:"carrier"`
	OrderID          string         `json:"order_id,omitempty"`
	Status           ShipmentStatus `json:"status"`
	StatusCode       string         `json:"status_code,omitempty"` // provider code, e.g. "Exception_003", "14"
	StatusText       string         `json:"status_text,omitempty"`
	Checkpoints      []Checkpoint   `json:"checkpoints,omitempty"` // newest first
	LastEventAt      time.Time      `json:"last_event_at,omitzero"`
	PickedUpAt       time.Time      `json:"picked_up_at,omitzero"`
	ExpectedDelivery time.Time      `json:"expected_delivery,omitzero"`
	DeliveredAt      time.Time      `json:"delivered_at,omitzero"`
	Source           string         `json:"source"`
	URL              string         `json:"url,omitempty"`
}
