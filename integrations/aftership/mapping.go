package aftership

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
)

// tagStatus maps AfterShip's tag enum onto the internal status set.
var tagStatus = map[string]orderbot.ShipmentStatus{
	"Pending":            orderbot.ShipPending,
	"InfoReceived":       orderbot.ShipInfoReceived,
	"InTransit":          orderbot.ShipInTransit,
	"OutForDelivery":     orderbot.ShipOutForDelivery,
	"AttemptFail":        orderbot.ShipAttemptFail,
	"AvailableForPickup": orderbot.ShipAwaitPickup,
	"Delivered":          orderbot.ShipDelivered,
	"Exception":          orderbot.ShipException,
	"Expired":            orderbot.ShipExpired,
}

// subtagStatus lists the subtags whose meaning is more specific than their tag:
// a refused parcel and the two return-to-sender stages, which AfterShip files
// under Exception but which staff handle differently.
var subtagStatus = map[string]orderbot.ShipmentStatus{
	"Exception_003": orderbot.ShipRefused,
	"Exception_010": orderbot.ShipReturning,
	"Exception_011": orderbot.ShipReturned,
}

// shipmentStatus maps a tag and subtag. known is false for a tag outside the
// enum; the status is then pending, the least alarming guess, and the caller
// logs it.
func shipmentStatus(tag, subtag string) (s orderbot.ShipmentStatus, known bool) {
	if s, ok := subtagStatus[subtag]; ok {
		return s, true
	}
	if s, ok := tagStatus[tag]; ok {
		return s, true
	}
	// A subtag alone still carries its tag: "Delivered_003" → Delivered.
	if t, _, ok := strings.Cut(subtag, "_"); ok {
		if s, ok := tagStatus[t]; ok {
			return s, true
		}
	}
	return orderbot.ShipPending, false
}

// withReturn applies return_to_sender, which AfterShip sets once any checkpoint
// was a return-to-sender one: a parcel still moving is on its way back, and a
// "delivered" one was delivered back to the sender.
func withReturn(s orderbot.ShipmentStatus, returnToSender bool) orderbot.ShipmentStatus {
	if !returnToSender {
		return s
	}
	switch s {
	case orderbot.ShipDelivered:
		return orderbot.ShipReturned
	case orderbot.ShipPending, orderbot.ShipInfoReceived, orderbot.ShipPickedUp, orderbot.ShipInTransit,
		orderbot.ShipOutForDelivery, orderbot.ShipAttemptFail, orderbot.ShipAwaitPickup, orderbot.ShipException:
		return orderbot.ShipReturning
	}
	return s // refused, returning, returned, expired say more already
}

// toShipment maps a tracking object; path names it in errors.
func (c *Client) toShipment(op, path string, tr *tracking) (orderbot.Shipment, error) {
	if tr.TrackingNumber == "" {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: empty tracking number", path+".tracking_number")
	}
	status, known := shipmentStatus(tr.Tag, tr.Subtag)
	if !known {
		c.log.Warn("aftership: unknown tag, mapped to pending", "source", c.name, "tag", tr.Tag, "subtag", tr.Subtag)
	}
	s := orderbot.Shipment{
		TrackingNumber: tr.TrackingNumber,
		Carrier:        tr.Slug,
		OrderID:        tr.OrderID,
		Status:         withReturn(status, tr.ReturnToSender),
		StatusCode:     tr.Subtag,
		StatusText:     tr.SubtagMessage,
		Source:         c.name,
	}
	if s.StatusCode == "" {
		s.StatusCode = tr.Tag
	}
	var err error
	for _, f := range []struct {
		name string
		raw  string
		dst  *time.Time
	}{
		{"shipment_pickup_date", tr.ShipmentPickupDate, &s.PickedUpAt},
		{"shipment_delivery_date", tr.ShipmentDeliveryDate, &s.DeliveredAt},
		{"expected_delivery", tr.ExpectedDelivery, &s.ExpectedDelivery},
	} {
		if f.raw == "" {
			continue
		}
		if *f.dst, err = parseTime(f.raw); err != nil {
			return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: %v", path+"."+f.name, err)
		}
	}
	if len(tr.Checkpoints) > 0 {
		s.Checkpoints = make([]orderbot.Checkpoint, 0, len(tr.Checkpoints))
	}
	for i, cp := range tr.Checkpoints {
		raw := cp.CheckpointTime
		field := "checkpoint_time"
		if raw == "" {
			raw, field = cp.CreatedAt, "created_at"
		}
		at, err := parseTime(raw)
		if err != nil {
			return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindPermanent, op, "field %q: %v",
				path+".checkpoints["+strconv.Itoa(i)+"]."+field, err)
		}
		cs, _ := shipmentStatus(cp.Tag, cp.Subtag)
		code := cp.Subtag
		if code == "" {
			code = cp.Tag
		}
		s.Checkpoints = append(s.Checkpoints, orderbot.Checkpoint{
			Time:     at,
			Location: checkpointLocation(&cp),
			Message:  cp.Message,
			Status:   cs,
			Code:     code,
		})
	}
	// AfterShip lists checkpoints oldest first; the domain wants newest first.
	// A stable sort keeps the carrier's order for scans with equal times.
	slices.Reverse(s.Checkpoints)
	slices.SortStableFunc(s.Checkpoints, func(a, b orderbot.Checkpoint) int { return b.Time.Compare(a.Time) })
	if len(s.Checkpoints) > 0 {
		s.LastEventAt = s.Checkpoints[0].Time
	}
	return s, nil
}

// checkpointLocation prefers the carrier's location text and otherwise joins
// city, state and country.
func checkpointLocation(cp *checkpoint) string {
	if l := strings.TrimSpace(cp.Location); l != "" {
		return l
	}
	parts := make([]string, 0, 3)
	country := cp.CountryName
	if country == "" {
		country = cp.CountryISO3
	}
	for _, p := range []string{cp.City, cp.State, country} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
