package aftershipfake

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// trackingJSON is a tracking object as AfterShip serialises it (the fields of
// the 2024-04 model that matter here, with nulls where AfterShip sends them).
type trackingJSON struct {
	ID                     string           `json:"id"`
	CreatedAt              string           `json:"created_at"`
	UpdatedAt              string           `json:"updated_at"`
	LastUpdatedAt          string           `json:"last_updated_at"`
	TrackingNumber         string           `json:"tracking_number"`
	Slug                   string           `json:"slug"`
	Active                 bool             `json:"active"`
	CustomFields           map[string]any   `json:"custom_fields"`
	CustomerName           *string          `json:"customer_name"`
	DestinationCountryISO3 *string          `json:"destination_country_iso3"`
	OriginCountryISO3      *string          `json:"origin_country_iso3"`
	Emails                 []string         `json:"emails"`
	Smses                  []string         `json:"smses"`
	ExpectedDelivery       *string          `json:"expected_delivery"`
	Note                   *string          `json:"note"`
	OrderID                *string          `json:"order_id"`
	OrderIDPath            *string          `json:"order_id_path"`
	OrderDate              *string          `json:"order_date"`
	ShipmentPackageCount   int              `json:"shipment_package_count"`
	ShipmentPickupDate     *string          `json:"shipment_pickup_date"`
	ShipmentDeliveryDate   *string          `json:"shipment_delivery_date"`
	ShipmentType           *string          `json:"shipment_type"`
	ShipmentWeight         *float64         `json:"shipment_weight"`
	ShipmentWeightUnit     *string          `json:"shipment_weight_unit"`
	SignedBy               *string          `json:"signed_by"`
	Source                 string           `json:"source"`
	Tag                    string           `json:"tag"`
	Subtag                 string           `json:"subtag"`
	SubtagMessage          string           `json:"subtag_message"`
	Title                  string           `json:"title"`
	TrackedCount           int              `json:"tracked_count"`
	Language               *string          `json:"language"`
	ReturnToSender         bool             `json:"return_to_sender"`
	OnTimeStatus           *string          `json:"on_time_status"`
	OnTimeDifference       int              `json:"on_time_difference"`
	OrderTags              []string         `json:"order_tags"`
	FailedDeliveryAttempts int              `json:"failed_delivery_attempts"`
	ShipmentTags           []string         `json:"shipment_tags"`
	Checkpoints            []checkpointJSON `json:"checkpoints"`
}

// checkpointJSON is one checkpoint; AfterShip lists them oldest first.
type checkpointJSON struct {
	Slug           string   `json:"slug"`
	CreatedAt      string   `json:"created_at"`
	CheckpointTime string   `json:"checkpoint_time"`
	Location       *string  `json:"location"`
	City           *string  `json:"city"`
	State          *string  `json:"state"`
	Zip            *string  `json:"zip"`
	CountryName    *string  `json:"country_name"`
	CountryISO3    *string  `json:"country_iso3"`
	Coordinates    []string `json:"coordinates"`
	Message        string   `json:"message"`
	Tag            string   `json:"tag"`
	Subtag         string   `json:"subtag"`
	SubtagMessage  string   `json:"subtag_message"`
	RawTag         string   `json:"raw_tag"`
}

// statusSubtag is the subtag the fake writes for a domain status whose
// StatusCode is not already an AfterShip subtag.
var statusSubtag = map[orderbot.ShipmentStatus]string{
	orderbot.ShipPending:        "Pending_001",
	orderbot.ShipInfoReceived:   "InfoReceived_001",
	orderbot.ShipPickedUp:       "InTransit_002", // accepted by carrier
	orderbot.ShipInTransit:      "InTransit_001",
	orderbot.ShipOutForDelivery: "OutForDelivery_001",
	orderbot.ShipAttemptFail:    "AttemptFail_001",
	orderbot.ShipAwaitPickup:    "AvailableForPickup_001",
	orderbot.ShipDelivered:      "Delivered_001",
	orderbot.ShipException:      "Exception_001",
	orderbot.ShipRefused:        "Exception_003",
	orderbot.ShipReturning:      "Exception_010",
	orderbot.ShipReturned:       "Exception_011",
	orderbot.ShipExpired:        "Expired_001",
}

// subtagMessages are AfterShip's subtag messages for the subtags above.
var subtagMessages = map[string]string{
	"Pending_001":            "No information yet",
	"InfoReceived_001":       "Info received",
	"InTransit_001":          "In transit",
	"InTransit_002":          "Shipment accepted by carrier",
	"OutForDelivery_001":     "Out for delivery",
	"AttemptFail_001":        "Failed delivery attempt",
	"AvailableForPickup_001": "Available for pickup",
	"Delivered_001":          "Delivered",
	"Exception_001":          "Exception",
	"Exception_003":          "Refused by recipient",
	"Exception_010":          "Returning to sender",
	"Exception_011":          "Returned to sender",
	"Expired_001":            "Expired",
}

var subtagRE = regexp.MustCompile(`^[A-Za-z]+_\d{3}$`)

// tagOf returns the tag and subtag for a status and provider code.
func tagOf(status orderbot.ShipmentStatus, code string) (tag, subtag string) {
	subtag = code
	if !subtagRE.MatchString(subtag) {
		subtag = statusSubtag[status]
		if subtag == "" {
			subtag = "Pending_001"
		}
	}
	tag, _, _ = strings.Cut(subtag, "_")
	return tag, subtag
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

// stamp writes AfterShip's own timestamps (created_at, updated_at) in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// renderTracking turns a stored shipment into its tracking object.
func renderTracking(r *record) trackingJSON {
	s := &r.shipment
	tag, subtag := tagOf(s.Status, s.StatusCode)
	msg := s.StatusText
	if msg == "" {
		msg = subtagMessages[subtag]
	}
	rts := s.Status == orderbot.ShipReturning || s.Status == orderbot.ShipReturned
	failed := 0
	cps := make([]checkpointJSON, 0, len(s.Checkpoints))
	for _, cp := range s.Checkpoints {
		ctag, csub := tagOf(cp.Status, cp.Code)
		if csub == "Exception_010" || csub == "Exception_011" {
			rts = true
		}
		if ctag == "AttemptFail" {
			failed++
		}
		cps = append(cps, checkpointJSON{
			Slug:           s.Carrier,
			CreatedAt:      stamp(cp.Time),
			CheckpointTime: cp.Time.Format(time.RFC3339), // carrier local time, with its offset
			Location:       strPtr(cp.Location),
			Coordinates:    []string{},
			Message:        cp.Message,
			Tag:            ctag,
			Subtag:         csub,
			SubtagMessage:  subtagMessages[csub],
			RawTag:         strings.ToUpper(ctag),
		})
	}
	slices.Reverse(cps) // domain: newest first; AfterShip: oldest first
	t := trackingJSON{
		ID:                     r.id,
		CreatedAt:              stamp(r.created),
		UpdatedAt:              stamp(r.updated),
		LastUpdatedAt:          stamp(r.updated),
		TrackingNumber:         s.TrackingNumber,
		Slug:                   s.Carrier,
		Active:                 !s.Status.Final() && s.Status != orderbot.ShipExpired,
		Emails:                 []string{},
		Smses:                  []string{},
		OrderID:                strPtr(s.OrderID),
		ShipmentPackageCount:   1,
		ShipmentPickupDate:     timePtr(s.PickedUpAt),
		ShipmentDeliveryDate:   timePtr(s.DeliveredAt),
		Source:                 "api",
		Tag:                    tag,
		Subtag:                 subtag,
		SubtagMessage:          msg,
		Title:                  s.TrackingNumber,
		TrackedCount:           1,
		ReturnToSender:         rts,
		OrderTags:              []string{},
		FailedDeliveryAttempts: failed,
		ShipmentTags:           []string{},
		Checkpoints:            cps,
	}
	if e := s.ExpectedDelivery; !e.IsZero() {
		// A date when the estimate is a whole day, as AfterShip often sends.
		v := e.Format(time.RFC3339)
		if e.Equal(e.Truncate(24 * time.Hour)) {
			v = e.UTC().Format("2006-01-02")
		}
		t.ExpectedDelivery = &v
	}
	return t
}
