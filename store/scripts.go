package store

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// scripts lists every Lua script of the package; loadScripts loads them all at
// start. Files that add a script append it here in an init-free way: by adding a
// variable to this slice literal.
var scripts = []*redis.Script{}

func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range scripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return err
		}
	}
	return nil
}
