package store

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// universalOptions turns REDIS_URL into client options. A redis:// or rediss://
// URL is one node; "redis-sentinel://master@host1:26379,host2:26379/0" names a
// Sentinel master; "redis-cluster://host1:6379,host2:6379" lists cluster seeds.
// Deadlines must interrupt commands, so ContextTimeoutEnabled is always on.
func universalOptions(raw string) (*redis.UniversalOptions, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("store: redis url is empty")
	}
	uo := &redis.UniversalOptions{
		ContextTimeoutEnabled: true,
		DialTimeout:           5 * time.Second,
		ReadTimeout:           3 * time.Second,
		WriteTimeout:          3 * time.Second,
	}
	switch {
	case strings.HasPrefix(raw, "redis://"), strings.HasPrefix(raw, "rediss://"):
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("store: redis url %s: %w", redactURL(raw), err)
		}
		uo.Addrs = []string{o.Addr}
		uo.Username, uo.Password, uo.DB, uo.TLSConfig = o.Username, o.Password, o.DB, o.TLSConfig
	case strings.HasPrefix(raw, "redis-sentinel://"), strings.HasPrefix(raw, "redis-cluster://"):
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("store: redis url %s: %w", redactURL(raw), err)
		}
		uo.Addrs = strings.Split(u.Host, ",")
		if u.User != nil {
			if strings.HasPrefix(raw, "redis-sentinel://") {
				uo.MasterName = u.User.Username()
			} else {
				uo.Username = u.User.Username()
			}
			uo.Password, _ = u.User.Password()
		}
		if u.Scheme == "redis-sentinel" && uo.MasterName == "" {
			return nil, fmt.Errorf("store: redis-sentinel url needs the master name as user: redis-sentinel://mymaster@host:26379")
		}
		if u.Scheme == "redis-cluster" {
			uo.IsClusterMode = true
		}
	default:
		return nil, fmt.Errorf("store: redis url must start with redis://, rediss://, redis-sentinel:// or redis-cluster://")
	}
	return uo, nil
}

// redactURL hides the password of a Redis URL for logs and errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}
