package aftership

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// meta is the status part of every AfterShip answer.
type meta struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// listResponse is GET /trackings (page-based versions).
type listResponse struct {
	Meta meta `json:"meta"`
	Data struct {
		Page      int        `json:"page"`
		Limit     int        `json:"limit"`
		Count     int        `json:"count"`
		Trackings []tracking `json:"trackings"`
	} `json:"data"`
}

// trackingResponse is GET /trackings/{slug}/{tracking_number}.
type trackingResponse struct {
	Meta meta `json:"meta"`
	Data struct {
		Tracking tracking `json:"tracking"`
	} `json:"data"`
}

// tracking holds the fields of the tracking object the adapter reads. Optional
// values may be null, which leaves the zero value.
type tracking struct {
	ID                   string       `json:"id"`
	TrackingNumber       string       `json:"tracking_number"`
	Slug                 string       `json:"slug"`
	Active               bool         `json:"active"`
	Tag                  string       `json:"tag"`
	Subtag               string       `json:"subtag"`
	SubtagMessage        string       `json:"subtag_message"`
	OrderID              string       `json:"order_id"`
	CreatedAt            string       `json:"created_at"`
	UpdatedAt            string       `json:"updated_at"`
	ShipmentPickupDate   string       `json:"shipment_pickup_date"`
	ShipmentDeliveryDate string       `json:"shipment_delivery_date"`
	ExpectedDelivery     string       `json:"expected_delivery"`
	ReturnToSender       bool         `json:"return_to_sender"`
	Checkpoints          []checkpoint `json:"checkpoints"`
}

// checkpoint is one carrier scan, oldest first on the wire.
type checkpoint struct {
	CreatedAt      string `json:"created_at"`
	CheckpointTime string `json:"checkpoint_time"`
	Location       string `json:"location"`
	City           string `json:"city"`
	State          string `json:"state"`
	CountryName    string `json:"country_name"`
	CountryISO3    string `json:"country_iso3"`
	Message        string `json:"message"`
	Tag            string `json:"tag"`
	Subtag         string `json:"subtag"`
}

// parseTime reads AfterShip's ISO 8601 forms: with an offset
// ("2024-05-01T10:00:00+08:00", "...Z"), without one (checkpoint_time is the
// carrier's local time; read as UTC when no offset is given, the best an
// offset-less time allows), or a bare date (expected_delivery).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date or time", s)
}

// formatTime writes a query time with an explicit offset.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// decodeError renders AfterShip's envelope: "4004 NotFound: Tracking does not
// exist." A non-JSON body (a proxy's page) falls back to the status text.
func decodeError(status int, _ http.Header, body []byte) string {
	var env struct {
		Meta meta `json:"meta"`
	}
	if json.Unmarshal(body, &env) != nil || (env.Meta.Code == 0 && env.Meta.Message == "") {
		text := strings.TrimSpace(string(body))
		if text != "" && len(text) < 200 && !strings.HasPrefix(text, "<") && !strings.HasPrefix(text, "{") {
			return text
		}
		return http.StatusText(status)
	}
	return metaText(env.Meta)
}

func metaText(m meta) string {
	var b strings.Builder
	if m.Code != 0 {
		b.WriteString(strconv.Itoa(m.Code))
	}
	if m.Type != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.Type)
	}
	if m.Message != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(m.Message)
	}
	return b.String()
}

// maxPace bounds a wait derived from x-ratelimit-reset, so that a clock skew or
// a bogus header cannot stall polling.
const maxPace = time.Minute

// paceFromHeaders reads x-ratelimit-remaining and x-ratelimit-reset: when no
// request is left in the window, wait until the reset (Unix seconds; a small
// value is read as seconds from now, which some gateways send).
func paceFromHeaders(h http.Header, now time.Time) time.Duration {
	rem, reset := h.Get("X-Ratelimit-Remaining"), h.Get("X-Ratelimit-Reset")
	if rem == "" || reset == "" {
		return 0
	}
	n, err := strconv.ParseFloat(rem, 64)
	if err != nil || n > 0 {
		return 0
	}
	r, err := strconv.ParseFloat(reset, 64)
	if err != nil || r <= 0 {
		return 0
	}
	var d time.Duration
	if r < 1e9 {
		d = time.Duration(r * float64(time.Second))
	} else {
		d = time.Unix(0, int64(r*1e9)).Sub(now)
	}
	return min(max(d, 0), maxPace)
}
