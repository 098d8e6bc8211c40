// Package redistest starts a real redis-server for tests on a free loopback port,
// or uses REDIS_URL when it is set. A missing redis-server is a test failure with
// a clear message, never a skip.
//
// With REDIS_URL, test packages run in parallel against one server, so each
// Start leases a logical database of its own (1–15; database 0 holds the
// leases) and flushes only that one: parallel packages never flush each
// other's keys. A database rather than a key prefix, because tests read
// store keys by name ("ob:{t}:outbox:…") and the store's Lua scripts build
// keys from one prefix; a database isolates all of it without changing them.
//
// With ORDERBOT_TEST_REDIS=cluster, Start starts a Redis Cluster of three
// masters instead (redis-server --cluster-enabled yes on three free ports,
// joined by redis-cli --cluster create, stopped when the test ends), so a
// package's tests can run against a cluster too: .ci/run runs the store's
// tests both ways. StartCluster always starts one.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running Redis for one test (or one package, see Main).
type Server struct {
	// URL reaches this test's data, database included; hand it to code
	// (and child processes) that connect themselves.
	URL  string
	Addr string
	cmd  *exec.Cmd

	opts    *redis.Options // connection options, database included
	release func()         // frees a leased database of a shared server
	// Cluster servers: the masters' addresses and processes.
	Addrs []string
	nodes []*exec.Cmd
}

// IsCluster reports whether the server is a Redis Cluster.
func (s *Server) IsCluster() bool { return len(s.Addrs) > 0 }

// ClusterMode reports whether ORDERBOT_TEST_REDIS asks for a cluster.
func ClusterMode() bool { return os.Getenv("ORDERBOT_TEST_REDIS") == "cluster" }

// Start starts a redis-server that is stopped when the test ends. Every call gets
// its own server, so tests never share state.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if ClusterMode() {
		return StartCluster(tb)
	}
	s, err := start(tb.TempDir())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Client returns a go-redis client for the server that is closed when the test ends.
// A cluster needs Universal.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	if s.IsCluster() {
		tb.Fatal("redistest: the server is a Redis Cluster; use Universal")
	}
	o := &redis.Options{Addr: s.Addr}
	if s.opts != nil {
		o = cloneOptions(s.opts)
	}
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	tb.Cleanup(func() { c.Close() })
	return c
}

func cloneOptions(o *redis.Options) *redis.Options {
	c := *o
	return &c
}

// Universal returns a client for the server, single node or cluster, that is
// closed when the test ends.
func (s *Server) Universal(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if !s.IsCluster() {
		return s.Client(tb)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: s.Addrs, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Stop kills the server. Safe to call twice.
func (s *Server) Stop() {
	if s.release != nil {
		s.release()
		s.release = nil
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
	for _, c := range s.nodes {
		if c.Process != nil {
			c.Process.Kill()
			c.Wait()
		}
	}
	s.nodes = nil
}

// StartCluster returns a Redis Cluster of three masters (no replicas) on free
// loopback ports, the slots split into three equal ranges as redis-cli
// --cluster create does. Forming a cluster takes seconds (the nodes must
// agree on every slot), so one cluster serves every test of the binary: each
// call empties it (FLUSHALL, CONFIG RESETSTAT on every master) and hands it
// out; the tests of a package run one at a time, so none sees another's keys.
// The package's TestMain stops it with StopSharedCluster.
func StartCluster(tb testing.TB) *Server {
	tb.Helper()
	sharedCluster.mu.Lock()
	defer sharedCluster.mu.Unlock()
	if sharedCluster.s == nil {
		dir, err := os.MkdirTemp("", "redistest-cluster-")
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		s, err := startCluster(dir)
		if err != nil {
			os.RemoveAll(dir)
			tb.Fatalf("redistest: %v", err)
		}
		sharedCluster.s, sharedCluster.dir = s, dir
	}
	c := sharedCluster.s
	for _, a := range c.Addrs {
		rdb := redis.NewClient(&redis.Options{Addr: a})
		err := rdb.FlushAll(context.Background()).Err()
		if err == nil {
			err = rdb.ConfigResetStat(context.Background()).Err()
		}
		rdb.Close()
		if err != nil {
			tb.Fatalf("redistest: emptying the cluster node %s: %v", a, err)
		}
	}
	// A view without processes: its Stop leaves the shared cluster running.
	return &Server{URL: c.URL, Addr: c.Addr, Addrs: c.Addrs}
}

// sharedCluster is the one cluster StartCluster hands out.
var sharedCluster struct {
	mu  sync.Mutex
	s   *Server
	dir string
}

// StopSharedCluster stops the cluster StartCluster started, if any. Call it
// from TestMain after the tests ran, or its processes outlive the test binary.
func StopSharedCluster() {
	sharedCluster.mu.Lock()
	defer sharedCluster.mu.Unlock()
	if sharedCluster.s != nil {
		sharedCluster.s.Stop()
		os.RemoveAll(sharedCluster.dir)
		sharedCluster.s, sharedCluster.dir = nil, ""
	}
}

func startCluster(dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH: install it (apt-get install redis-server)")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis-cli is not on PATH: install redis-tools (redis-server depends on it)")
	}
	s := &Server{}
	for i := 0; i < 3; i++ {
		bus, err := freePort()
		if err != nil {
			s.Stop()
			return nil, err
		}
		// The bus port is chosen too: the default, port+10000, may be taken
		// or out of range.
		node, addr, err := startNode(bin, filepath.Join(dir, strconv.Itoa(i)), "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000", "--cluster-port", strconv.Itoa(bus))
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.nodes = append(s.nodes, node)
		s.Addrs = append(s.Addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, s.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	// Every node must see every slot served before a client may use it.
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range s.Addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				s.Stop()
				return nil, fmt.Errorf("the cluster on %v did not become ready: %v %s", s.Addrs, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Close()
	}
	s.Addr = s.Addrs[0]
	s.URL = "redis-cluster://" + strings.Join(s.Addrs, ",")
	return s, nil
}

// startNode starts one redis-server with extra arguments in dir.
func startNode(bin, dir string, extra ...string) (*exec.Cmd, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no"}, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			return nil, "", fmt.Errorf("starting redis-server: %w", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if waitReady(addr, 5*time.Second) {
			return cmd, addr, nil
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	return nil, "", fmt.Errorf("redis-server did not come up; see logs in %s", dir)
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
		return shared(u)
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

// leaseTTL bounds how long a crashed test keeps its database leased.
const leaseTTL = 30 * time.Minute

// shared leases a free logical database of the server at REDIS_URL, flushes
// it and returns a Server for it; Stop flushes it again and frees it. When all
// are leased it waits (bounded) for one to be freed.
func shared(u string) (*Server, error) {
	o, err := redis.ParseURL(u)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	ctx := context.Background()
	ctlOpts := cloneOptions(o)
	ctlOpts.DB = 0
	ctl := redis.NewClient(ctlOpts)
	defer ctl.Close()
	token := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for db := 1; db < 16; db++ {
			key := fmt.Sprintf("redistest:lease:%d", db)
			ok, err := ctl.SetNX(ctx, key, token, leaseTTL).Result()
			if err != nil {
				return nil, fmt.Errorf("REDIS_URL %s: %w", o.Addr, err)
			}
			if !ok {
				continue
			}
			dbOpts := cloneOptions(o)
			dbOpts.DB = db
			c := redis.NewClient(dbOpts)
			err = c.FlushDB(ctx).Err()
			c.Close()
			if err != nil {
				ctl.Del(ctx, key)
				// A server with fewer databases: no higher index works either.
				break
			}
			release := func() {
				c := redis.NewClient(cloneOptions(dbOpts))
				c.FlushDB(context.Background())
				c.Close()
				ctl := redis.NewClient(cloneOptions(ctlOpts))
				// Free the lease only if it is still ours.
				ctl.Eval(context.Background(), `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, []string{key}, token)
				ctl.Close()
			}
			return &Server{URL: withDB(u, db), Addr: o.Addr, opts: dbOpts, release: release}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("REDIS_URL %s: no free test database (1-15) within 2m; too many test processes share it", o.Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withDB returns the Redis URL u pointing at database db.
func withDB(u string, db int) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + strconv.Itoa(db)
	q := p.Query()
	q.Del("db")
	p.RawQuery = q.Encode()
	return p.String()
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
