package store

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/orderbot/orderbot"
)

// An order's admin link is nearly always the same prefix for every order of
// a source followed by the order id ("https://shop.myshopify.com/admin/orders/"
// + id): fifty bytes per cached order that say nothing. The first prefix seen
// for a source is registered once in Redis (SETNX, so every replica agrees and
// it never changes), and a record whose link is that prefix and its id stores
// only a flag. Links that differ (a renamed shop) are stored whole.
type urlPrefixes struct {
	mu sync.Mutex
	m  map[string]string // source -> registered prefix
}

// errNoURLPrefix means a record refers to a source prefix Redis no longer has.
var errNoURLPrefix = errors.New("the record's link prefix is not registered")

// registerURLPrefixes learns (registering where none is) the prefix of every
// source among orders whose link is a prefix and the order id.
func (s *Store) registerURLPrefixes(ctx context.Context, orders []orderbot.Order, idx []int) error {
	var want map[string]string
	s.urls.mu.Lock()
	for _, i := range idx {
		o := &orders[i]
		if o.ID == "" || len(o.URL) <= len(o.ID) || !strings.HasSuffix(o.URL, o.ID) {
			continue
		}
		if _, known := s.urls.m[o.Source]; known {
			continue
		}
		if want == nil {
			want = map[string]string{}
		}
		if _, ok := want[o.Source]; !ok {
			want[o.Source] = o.URL[:len(o.URL)-len(o.ID)]
		}
	}
	s.urls.mu.Unlock()
	for src, p := range want {
		if err := s.rdb.SetNX(ctx, s.urlPrefixKey(src), p, 0).Err(); err != nil {
			return err
		}
		if _, err := s.urlPrefix(ctx, src); err != nil {
			return err
		}
	}
	return nil
}

// urlPrefix returns the prefix registered for source, "" when none is.
func (s *Store) urlPrefix(ctx context.Context, source string) (string, error) {
	s.urls.mu.Lock()
	p, ok := s.urls.m[source]
	s.urls.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := s.rdb.Get(ctx, s.urlPrefixKey(source)).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	s.urls.mu.Lock()
	if s.urls.m == nil {
		s.urls.m = map[string]string{}
	}
	s.urls.m[source] = p
	s.urls.mu.Unlock()
	return p, nil
}

// knownURLPrefix returns the prefix this process already knows for source.
func (s *Store) knownURLPrefix(source string) string {
	s.urls.mu.Lock()
	defer s.urls.mu.Unlock()
	return s.urls.m[source]
}

// urlPrefixReader is decodeOrder's prefix lookup: a record that carries the
// flag must find its prefix.
func (s *Store) urlPrefixReader(ctx context.Context) func(string) (string, error) {
	return func(source string) (string, error) {
		p, err := s.urlPrefix(ctx, source)
		if err != nil {
			return "", s.fail("store.url_prefix", err)
		}
		if p == "" {
			return "", errNoURLPrefix
		}
		return p, nil
	}
}
