package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// redisLogger carries go-redis's internal log lines (pool and dial trouble,
// such as "redis: connection pool: failed to dial …") into our logger at debug
// level. By default go-redis prints them raw on stderr through the standard
// log package: unstructured, before our own error line that already says what
// failed, and once per retry.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.LogAttrs(ctx, slog.LevelDebug, "redis client", slog.String("detail", fmt.Sprintf(format, v...)))
}

// quietRedis installs redisLogger. go-redis has one process-wide logger, so
// the last call wins; every command of this binary wires one logger.
func quietRedis(log *slog.Logger) {
	redis.SetLogger(redisLogger{log: log.With("component", "redis")})
}
