package orderbot

import "fmt"

// NoticeEvent is the ticket event a customer notice, and so its template, is
// for. The notifier decides on it; configuration names templates by it.
type NoticeEvent string

// Notice events.
const (
	NoticeOpen    NoticeEvent = "open"
	NoticeResolve NoticeEvent = "resolve"
	NoticeBreach  NoticeEvent = "breach"
	NoticeManual  NoticeEvent = "manual" // staff clicked "Notify customer"
)

// NoticeEvents lists the notice events.
var NoticeEvents = []NoticeEvent{NoticeOpen, NoticeResolve, NoticeBreach, NoticeManual}

// ClockTime is a time of day held as minutes since midnight.
type ClockTime int

// Clock returns the ClockTime of h:m.
func Clock(h, m int) ClockTime { return ClockTime(h*60 + m) }

// Hour returns the hour, 0–23.
func (c ClockTime) Hour() int { return int(c) / 60 }

// Minute returns the minute, 0–59.
func (c ClockTime) Minute() int { return int(c) % 60 }

// String formats the time as "HH:MM".
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour(), c.Minute()) }

// QuietHours is a daily window in local time in which no customer notice is
// sent; Start after End spans midnight, Start equal to End means none.
type QuietHours struct {
	Start, End ClockTime
}

// Contains reports whether the time of day c falls in the window.
func (q QuietHours) Contains(c ClockTime) bool {
	switch {
	case q.Start == q.End:
		return false
	case q.Start < q.End:
		return c >= q.Start && c < q.End
	default:
		return c >= q.Start || c < q.End
	}
}
