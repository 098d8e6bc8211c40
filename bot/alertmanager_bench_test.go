package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// BenchmarkAlertmanagerSameSink is the yardstick for BenchmarkCardThroughput:
// Prometheus Alertmanager (Debian's prometheus-alertmanager, or the binary
// named by ALERTMANAGER_BIN) with a Slack receiver whose api_url is the fake's
// incoming-webhook endpoint, every alert its own group (group_by ['...'],
// group_wait 0s). It pushes OB_AM_ALERTS alerts (default 10,000) through the
// v2 API and reports the messages per second the fake received, from the first
// push to the last message, and the CPU per message of Alertmanager (from its
// rusage) and of this process (the fake and the pushing). Run with -benchtime 1x.
func BenchmarkAlertmanagerSameSink(b *testing.B) {
	bin := os.Getenv("ALERTMANAGER_BIN")
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if bin == "" {
			bin, _ = exec.LookPath(name)
		}
	}
	if bin == "" {
		b.Skip("no Alertmanager binary: apt-get install prometheus-alertmanager, or set ALERTMANAGER_BIN")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("OB_AM_ALERTS")); err == nil && v > 0 {
		n = v
	}
	var wall, amCPU, ownCPU time.Duration
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		fake := slackfake.New(slackfake.Config{})
		dir := b.TempDir()
		cfg := filepath.Join(dir, "alertmanager.yml")
		conf := fmt.Sprintf(`route:
  receiver: slack
  group_by: ['...']
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 24h
receivers:
- name: slack
  slack_configs:
  - api_url: %q
    channel: '#orders'
    send_resolved: false
`, fake.WebhookURL("C0AM"))
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			b.Fatal(err)
		}
		addr := freeAddr(b)
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		stopped := false
		stop := func() {
			if !stopped {
				stopped = true
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}
		}
		b.Cleanup(func() { stop(); fake.Close() })
		base := "http://" + addr
		waitFor(b, 30*time.Second, "alertmanager to be ready", func() bool {
			resp, err := http.Get(base + "/-/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		cpu0 := cpuTime()
		t0 := time.Now()
		b.StartTimer()
		now := time.Now().UTC().Format(time.RFC3339)
		for lo := 0; lo < n; lo += 500 {
			var alerts []map[string]any
			for i := lo; i < min(lo+500, n); i++ {
				alerts = append(alerts, map[string]any{
					"labels":      map[string]string{"alertname": "OrderAnomaly", "ticket": fmt.Sprintf("T%d", i+1), "kind": "payment.unrecorded"},
					"annotations": map[string]string{"summary": fmt.Sprintf("payment.unrecorded on C%06d", i)},
					"startsAt":    now,
				})
			}
			body, _ := json.Marshal(alerts)
			resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("pushing alerts: %s\n%s", resp.Status, out.String())
			}
		}
		var last time.Time
		for {
			got, at := fake.WebhookCount()
			if got >= n {
				last = at
				break
			}
			time.Sleep(20 * time.Millisecond)
			if time.Since(t0) > 10*time.Minute {
				b.Fatalf("%d of %d messages after 10 minutes\n%s", got, n, out.String())
			}
		}
		b.StopTimer()
		wall += last.Sub(t0)
		ownCPU += cpuTime() - cpu0
		stop()
		amCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if got, _ := fake.WebhookCount(); got != n {
			b.Fatalf("%d messages for %d alerts", got, n)
		}
	}
	msgs := float64(n * b.N)
	b.ReportMetric(msgs/wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(amCPU.Microseconds())/msgs, "am-cpu-µs/msg")
	b.ReportMetric(float64(ownCPU.Microseconds())/msgs, "sink-cpu-µs/msg")
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
