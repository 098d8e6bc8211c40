package orderbot

import "time"

// Fact is one labelled fact shown on a ticket card, in display order.
type Fact struct {
	Label string `json:"l"`
	Value string `json:"v"`
}

// Anomaly is one finding of one detection rule. Detection produces anomalies; the
// ticket engine folds them into tickets by Fingerprint.
type Anomaly struct {
	Kind       Kind     `json:"kind"`
	Subject    string   `json:"subject"`            // grouping subject: order id, SKU, source, source/status
	OrderID    string   `json:"order_id,omitempty"` // the order concerned, when there is one
	Source     string   `json:"source,omitempty"`   // the source the finding came from
	Severity   Severity `json:"severity"`
	Department string   `json:"department"`
	// Stage is "warning" for a pre-breach early warning (late dispatch 12 h before
	// the deadline); empty for the anomaly itself.
	Stage      string    `json:"stage,omitempty"`
	Summary    string    `json:"summary"` // one plain-text line; may contain outside text
	Facts      []Fact    `json:"facts,omitempty"`
	DetectedAt time.Time `json:"detected_at"`
	// Deadline is a time that bounds the ticket, such as the ship-by deadline of a
	// customer-data ticket; zero when none.
	Deadline time.Time `json:"deadline,omitzero"`
	AtRisk   Money     `json:"at_risk,omitzero"` // amount at stake (order total, duplicate charge, oversold units × price)
	// Dims are what analytics counts the finding under (top SKUs, couriers,
	// payment channels, regions); empty parts are not counted.
	Dims Dims `json:"dims,omitzero"`
}

// Fingerprint identifies the problem an anomaly belongs to: kind plus grouping
// subject. One open ticket exists per fingerprint.
func Fingerprint(k Kind, subject string) string { return string(k) + ":" + subject }

// Fingerprint returns the anomaly's fingerprint.
func (a *Anomaly) Fingerprint() string { return Fingerprint(a.Kind, a.Subject) }
