package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// DigestPoster posts a digest with its chart (bot.Bot).
type DigestPoster interface {
	PostDigest(ctx context.Context, channel string, r analytics.Report, chart []byte) error
}

// Digest is the daily digest job. Each local date's digest is due at At (the
// local time of day) and covers the day before, compared with the same weekday
// a week earlier. Run it often (every minute) on every replica: it posts the
// latest due digest unless that date's was posted, under a lease per date so
// that exactly one replica posts it, and marks it posted afterwards. A
// deployment that was down at the digest time posts the digest it missed once
// when it is back (only the latest one: a week of downtime does not post seven
// digests at once).
type Digest struct {
	Store   *store.Store
	Model   *analytics.Model
	Poster  DigestPoster
	Channel string
	// At is the local time of day the digest is due (hours and minutes).
	At       time.Duration
	Location *time.Location
	// Holder names this replica in the per-date lease.
	Holder string
	Now    func() time.Time
	Log    *slog.Logger
}

// digestLease bounds how long one replica may take to post a digest before
// another may try (it crashed mid-post).
const digestLease = 10 * time.Minute

// digestKeep is how long a posted date is remembered.
const digestKeep = 40 * 24 * time.Hour

// Due returns the local date whose digest is due at now and the day it covers.
func (d *Digest) Due(now time.Time) (date string, since, until time.Time) {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	l := now.In(loc)
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	due := today.Add(d.At)
	if l.Before(due) {
		today = today.AddDate(0, 0, -1)
	}
	return today.Format("2006-01-02"), today.AddDate(0, 0, -1), today
}

// Run posts the latest due digest unless it was posted; posted says whether
// this call posted it.
func (d *Digest) Run(ctx context.Context) (posted bool, err error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	date, since, until := d.Due(now())
	post := func(ctx context.Context) error {
		p := analytics.Period{Name: "day", Since: since, Until: until, PrevSince: since.AddDate(0, 0, -7), PrevUntil: until.AddDate(0, 0, -7)}
		r, err := d.Model.Report(ctx, p, analytics.Filter{})
		if err != nil {
			return err
		}
		days, cur, prev, err := d.Model.DailyOpened(ctx, since, 7)
		if err != nil {
			return err
		}
		chart, err := analytics.Chart("Tickets opened per day", days, cur, prev)
		if err != nil {
			return err
		}
		return d.Poster.PostDigest(ctx, d.Channel, r, chart)
	}
	posted, err = postOnce(ctx, d.Store, "digest:"+date, d.Holder, digestLease, digestKeep, post)
	if err != nil {
		return posted, fmt.Errorf("digest %s: %w", date, err)
	}
	if !posted {
		return false, nil
	}
	if d.Log != nil {
		d.Log.Info("daily digest posted", "date", date, "channel", d.Channel)
	}
	return true, nil
}
