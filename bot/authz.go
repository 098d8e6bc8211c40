package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
)

// authorizer decides who may act on a department's tickets: its leads, its
// allowed users, and members of its allowed user groups. A department with no
// allowed users and no allowed groups is open to everyone in the workspace.
// Group members come from usergroups.users.list and are cached, so a burst of
// clicks costs one Slack call per group.
type authorizer struct {
	opts *Options
	api  *slackAPI

	mu     sync.Mutex
	groups map[string]*groupEntry
}

type groupEntry struct {
	members map[string]bool
	fetched time.Time
	// loading is closed when the fetch in flight ends, so concurrent callers
	// wait for one fetch instead of each calling Slack.
	loading chan struct{}
}

func newAuthorizer(o *Options, api *slackAPI) *authorizer {
	return &authorizer{opts: o, api: api, groups: map[string]*groupEntry{}}
}

// check returns nil when user may act on tickets of dept, a KindUnauthorized
// error with a sentence for the user when not, and a transient error when group
// membership could not be read.
func (a *authorizer) check(ctx context.Context, user, dept string) error {
	const op = "bot.authorize"
	d, ok := a.opts.department(dept)
	if !ok {
		return orderbot.Errorf(orderbot.KindUnauthorized, op, "the %s department is not set up in orderbot's Slack configuration, so nobody can act on its tickets from Slack", dept)
	}
	if contains(d.Leads, user) || contains(d.AllowedUsers, user) {
		return nil
	}
	if len(d.AllowedUsers) == 0 && len(d.AllowedGroups) == 0 {
		return nil
	}
	var lastErr error
	for _, g := range d.AllowedGroups {
		in, err := a.member(ctx, g, user)
		if err != nil {
			lastErr = err
			continue
		}
		if in {
			return nil
		}
	}
	if lastErr != nil {
		return orderbot.Wrap(orderbot.KindTransient, op, lastErr, "your permissions could not be checked with Slack just now; please try again")
	}
	who := "a lead"
	if len(d.Leads) > 0 {
		who = mentions(d.Leads)
	}
	return orderbot.Errorf(orderbot.KindUnauthorized, op, "you may not act on %s tickets; ask %s to add you to the department's Slack group", dept, who)
}

// member reports whether user is in group, from the cache when it is fresh. A
// stale entry is used when Slack cannot be reached, because refusing every
// click during a Slack hiccup helps nobody.
func (a *authorizer) member(ctx context.Context, group, user string) (bool, error) {
	for {
		a.mu.Lock()
		e := a.groups[group]
		if e != nil && e.loading == nil && e.members != nil && time.Since(e.fetched) < a.opts.GroupCacheTTL {
			in := e.members[user]
			a.mu.Unlock()
			return in, nil
		}
		if e != nil && e.loading != nil {
			wait := e.loading
			a.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		if e == nil {
			e = &groupEntry{}
			a.groups[group] = e
		}
		e.loading = make(chan struct{})
		a.mu.Unlock()

		var users []string
		ce := a.api.do(ctx, "slack.usergroups.users.list", func(ctx context.Context) error {
			var err error
			users, err = a.api.c.GetUserGroupMembersContext(ctx, group)
			return err
		})

		a.mu.Lock()
		close(e.loading)
		e.loading = nil
		if ce != nil {
			stale := e.members
			a.mu.Unlock()
			if stale != nil {
				return stale[user], nil
			}
			return false, fmt.Errorf("user group %s: %w", group, ce.err)
		}
		e.members = make(map[string]bool, len(users))
		for _, u := range users {
			e.members[u] = true
		}
		e.fetched = time.Now()
		in := e.members[user]
		a.mu.Unlock()
		return in, nil
	}
}
