package orderbot

import "time"

// TicketState is where a ticket is in its life cycle.
type TicketState string

// Ticket states. Open → claimed → resolved; snoozed until a time; a resolved ticket
// is reopened when its condition recurs within the reopen window.
const (
	StateOpen     TicketState = "open"
	StateClaimed  TicketState = "claimed"
	StateSnoozed  TicketState = "snoozed"
	StateResolved TicketState = "resolved"
)

// Active reports whether the ticket still needs work.
func (s TicketState) Active() bool { return s != StateResolved && s != "" }

// Action is a transition staff or the system applies to a ticket.
type Action string

// Ticket actions; each is recorded in the ticket's audit history.
const (
	ActOpen        Action = "open"
	ActRecur       Action = "recur" // the condition was seen again
	ActClaim       Action = "claim"
	ActRelease     Action = "release"
	ActReassign    Action = "reassign"
	ActSnooze      Action = "snooze"
	ActWake        Action = "wake" // a snooze expired
	ActEscalate    Action = "escalate"
	ActResolve     Action = "resolve"
	ActAutoResolve Action = "auto_resolve"
	ActReopen      Action = "reopen"
	ActNote        Action = "note"
)

// Resolution says how a ticket was closed; resolutions form the knowledge base.
type Resolution struct {
	Code string    `json:"code"`
	Note string    `json:"note,omitempty"`
	By   string    `json:"by"` // Slack user id, or "orderbot" for auto-resolve
	At   time.Time `json:"at"`
	Auto bool      `json:"auto,omitempty"`
}

// Ticket is one problem owned by one department, folded from every anomaly with
// the same fingerprint.
type Ticket struct {
	ID           string      `json:"id"` // short, human-typable, e.g. "T1042"
	Fingerprint  string      `json:"fp"`
	Kind         Kind        `json:"kind"`
	Subject      string      `json:"subject"`
	OrderID      string      `json:"order_id,omitempty"`
	Source       string      `json:"source,omitempty"`
	Department   string      `json:"dept"`
	Severity     Severity    `json:"sev"`
	State        TicketState `json:"state"`
	Stage        string      `json:"stage,omitempty"`
	Summary      string      `json:"summary"`
	Facts        []Fact      `json:"facts,omitempty"`
	AtRisk       Money       `json:"at_risk,omitzero"` // amount at stake (order total, duplicate charge, oversold units × price)
	Owner        string      `json:"owner,omitempty"`  // Slack user id
	Count        int64       `json:"count"`            // times the condition was seen
	OpenedAt     time.Time   `json:"opened_at"`
	LastSeenAt   time.Time   `json:"last_seen_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	ClaimedAt    time.Time   `json:"claimed_at,omitzero"`
	SnoozedUntil time.Time   `json:"snoozed_until,omitzero"`
	AckDue       time.Time   `json:"ack_due,omitzero"`
	ResolveDue   time.Time   `json:"resolve_due,omitzero"`
	Escalation   int         `json:"esc,omitempty"` // escalation steps run so far
	Resolution   *Resolution `json:"resolution,omitempty"`
	Reopened     int         `json:"reopened,omitempty"`
	Version      int64       `json:"v"` // bumped by every change; compare-and-set token
}
