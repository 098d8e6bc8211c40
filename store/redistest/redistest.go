// Package redistest starts a real redis-server for tests on a free loopback port,
// or uses REDIS_URL when it is set. A missing redis-server is a test failure with
// a clear message, never a skip.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running Redis for one test (or one package, see Main).
type Server struct {
	URL  string
	Addr string
	cmd  *exec.Cmd
}

// Start starts a redis-server that is stopped when the test ends. Every call gets
// its own server, so tests never share state.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start(tb.TempDir())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Client returns a go-redis client for the server that is closed when the test ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Stop kills the server. Safe to call twice.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// StartForMain starts a server outside a test (for TestMain or benchmarks that
// share one server); the caller stops it.
func StartForMain() (*Server, error) {
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		return nil, err
	}
	return start(dir)
}

func start(dir string) (*Server, error) {
	if u := os.Getenv("REDIS_URL"); u != "" {
		o, err := redis.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		c := redis.NewClient(o)
		defer c.Close()
		// A shared server: each test must start clean, and REDIS_URL must point at a
		// Redis that may be flushed.
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			return nil, fmt.Errorf("REDIS_URL %s: %w", o.Addr, err)
		}
		return &Server{URL: u, Addr: o.Addr}, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH: install it (apt-get install redis-server) or set REDIS_URL")
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(bin,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no")
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting redis-server: %w", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if waitReady(addr, 5*time.Second) {
			return &Server{URL: "redis://" + addr, Addr: addr, cmd: cmd}, nil
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	return nil, fmt.Errorf("redis-server did not come up; see logs in %s", dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprint(conn, "PING\r\n")
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if line == "+PONG\r\n" {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
