package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkInteractionAck sends signed card clicks at about 500 per second
// (Claim, Release, Snooze on 100 tickets by many users) to the real handler
// with a real Redis behind it, the click workers and the poster running, and
// reports the ack latency seen by the sender, then waits until every click was
// carried out and reports the CPU (process and Redis) per click, work included.
// Run with e.g. -benchtime 5000x.
func BenchmarkInteractionAck(b *testing.B) {
	h := newHarness(b, func(o *Options) { o.Workers = 64 })
	h.runPoster()
	var as []orderbot.Anomaly
	for i := 0; i < 100; i++ {
		as = append(as, anomaly(orderbot.Kind([]orderbot.Kind{orderbot.PaymentUnrecorded, orderbot.ShippingStalled, orderbot.SystemStuck, orderbot.CustomerInvalidPhone}[i%4]), fmt.Sprintf("B%04d", i)))
	}
	tickets := h.open(as...)
	// Time the handler itself too: on a shared machine the client-side figure
	// also holds the sender's own scheduling delays.
	var smu sync.Mutex
	var server []time.Duration
	timed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.bot.Handler().ServeHTTP(w, r)
		d := time.Since(t0)
		smu.Lock()
		server = append(server, d)
		smu.Unlock()
	}))
	defer timed.Close()
	target := timed.URL + PathInteractions
	actions := []string{actClaim, actRelease, actSnooze}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	ctx := context.Background()

	lat := make([]time.Duration, b.N)
	var failed sync.Map
	var wg sync.WaitGroup
	const interval = 2 * time.Millisecond // 500 per second
	cpu0, rcpu0 := cpuTime(), redisCPU(b, h.redis)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		// Send on an absolute schedule, so a stall of the sender is made up
		// rather than lowering the rate.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tk := tickets[i%len(tickets)]
			c := slackfake.Click{User: fmt.Sprintf("U0B%03d", i%200), Channel: "C0FIN", MessageTS: "1.1",
				ActionID: actions[i%len(actions)], BlockID: "ob|" + tk.ID + "|v1|a", Value: tk.ID + "|1"}
			if c.ActionID == actSnooze {
				c.Type, c.Selected = "static_select", snooze30m
			}
			body := h.fake.BlockActions(c)
			req, err := signedInteraction(ctx, h.fake, target, body)
			if err != nil {
				failed.Store(i, err)
				return
			}
			resp, err := slackfake.Do(client, req)
			if err != nil || resp.Status != http.StatusOK {
				failed.Store(i, fmt.Sprint(err, resp))
				return
			}
			lat[i] = resp.Elapsed
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	failed.Range(func(k, v any) bool { b.Fatalf("request %v failed: %v", k, v); return false })
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(ms(percentile(lat, 1)), "max-ms")
	b.ReportMetric(ms(percentile(server, 0.99)), "handler-p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	waitFor(b, time.Minute, "every click to be carried out", func() bool { return h.clickBacklog() == 0 })
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/click")
	b.ReportMetric(float64((redisCPU(b, h.redis)-rcpu0).Microseconds())/float64(b.N), "redis-cpu-µs/click")
	// Let the work after the acks finish before the harness closes.
	ctxc, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h.bot.Close(ctxc)
}

func signedInteraction(ctx context.Context, f *slackfake.Server, target string, payload any) (*http.Request, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return f.SignedRequest(ctx, target, "application/x-www-form-urlencoded", []byte("payload="+url.QueryEscape(string(b))), time.Now())
}

// BenchmarkFirstCard measures the time from UpsertTickets (a new anomaly
// detected) to its card at the fake Slack, with default pacing (one post per
// second per channel: iterations are spaced so each post gets a free slot, as a
// lone new ticket would). Run with e.g. -benchtime 20x.
func BenchmarkFirstCard(b *testing.B) {
	h := newHarness(b, func(o *Options) {
		o.PostsPerSecond = 1
		o.Coalesce = 0 // the default
		o.StormThreshold = 1 << 30
	})
	h.runPoster()
	waitFor(b, 5*time.Second, "the consumer group", func() bool { return h.backlog() == 0 })
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		time.Sleep(1100 * time.Millisecond) // a free pacing slot, as for a lone ticket
		before := len(h.cards(chFinance))
		b.StartTimer()
		t0 := time.Now()
		h.open(anomaly(orderbot.PaymentUnrecorded, fmt.Sprintf("F%05d", i)))
		for len(h.cards(chFinance)) == before {
			time.Sleep(time.Millisecond)
			if time.Since(t0) > 10*time.Second {
				b.Fatal("no card after 10s")
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 1)), "max-ms")
}

// BenchmarkCardThroughput delivers a backlog of distinct new tickets (one card
// each, spread over the five department channels) to the fake Slack with
// pacing and storm control out of the way, as to a Slack API without rate
// limits, and reports cards per second and the CPU per card of this process
// (the poster), of the fake (run in a process of its own, as Alertmanager's
// sink is in BenchmarkAlertmanagerSameSink, so that neither the CPU figures
// nor the share of a busy machine mix the two) and of Redis. The backlog is in
// the outbox before the poster starts, so the figure shows whether a card's
// cost grows with it. One op is one whole backlog; run with -benchtime 1x.
func BenchmarkCardThroughput(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("backlog=%d", n), func(b *testing.B) {
			kinds := []orderbot.Kind{orderbot.PaymentUnrecorded, orderbot.ShippingLateDispatch, orderbot.ShippingStalled, orderbot.CustomerInvalidPhone, orderbot.SystemStuck}
			var wall, cpu, rcpu, fcpu time.Duration
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				sink := startFakeProcess(b)
				h := newHarnessWith(b, func(h *harness, o *Options) {
					o.APIURL = sink.api
					o.PostsPerSecond = 1e6
					o.UpdatesPerMinute = 1e6
					o.StormThreshold = 1 << 30
					o.ReclaimAfter = 0 // the default, not the harness's crash-test value
				})
				for lo := 0; lo < n; lo += 500 {
					var as []orderbot.Anomaly
					for i := lo; i < min(lo+500, n); i++ {
						as = append(as, anomaly(kinds[i%len(kinds)], fmt.Sprintf("C%06d", i)))
					}
					h.open(as...)
				}
				cpu0, rcpu0 := cpuTime(), redisCPU(b, h.redis)
				t0 := time.Now()
				b.StartTimer()
				h.runPoster()
				for sink.posts(b) < n {
					time.Sleep(20 * time.Millisecond)
					if time.Since(t0) > 10*time.Minute {
						b.Fatalf("%d of %d cards after 10 minutes", sink.posts(b), n)
					}
				}
				b.StopTimer()
				wall += time.Since(t0)
				cpu += cpuTime() - cpu0
				rcpu += redisCPU(b, h.redis) - rcpu0
				if got := sink.posts(b); got != n {
					b.Fatalf("%d cards posted for %d tickets", got, n)
				}
				if os.Getenv("OB_BENCH_CALLS") != "" {
					b.Logf("calls: history %d, update %d", sink.calls(b, "conversations.history"), sink.calls(b, "chat.update"))
				}
				fcpu += sink.stop(b)
			}
			cards := float64(n * b.N)
			b.ReportMetric(cards/wall.Seconds(), "cards/s")
			b.ReportMetric(float64(cpu.Microseconds())/cards, "cpu-µs/card")
			b.ReportMetric(float64(rcpu.Microseconds())/cards, "redis-cpu-µs/card")
			b.ReportMetric(float64(fcpu.Microseconds())/cards, "sink-cpu-µs/card")
		})
	}
}

// TestHelperSlackFakeProcess is not a test: BenchmarkCardThroughput runs the
// test binary with this name to get the fake Slack in a process of its own. It
// prints the fake's API URL and the address of a counter (GET → accepted
// chat.postMessage calls), and serves until its stdin closes.
func TestHelperSlackFakeProcess(t *testing.T) {
	if os.Getenv("OB_FAKE_HELPER") != "1" {
		t.Skip("helper process for BenchmarkCardThroughput")
	}
	fake := slackfake.New(slackfake.Config{})
	defer fake.Close()
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Query().Get("method")
		if m == "" {
			m = "chat.postMessage"
		}
		fmt.Fprint(w, fake.CallCount(m))
	}))
	defer counter.Close()
	fmt.Printf("FAKE %s %s\n", fake.APIURL(), counter.URL)
	io.Copy(io.Discard, os.Stdin)
}

type fakeProcess struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	api     string
	counter string
}

func startFakeProcess(t testing.TB) *fakeProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSlackFakeProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OB_FAKE_HELPER=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &fakeProcess{cmd: cmd, stdin: in}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "FAKE %s %s", &f.api, &f.counter); err == nil {
			break
		}
	}
	if f.api == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the fake process did not start")
	}
	go io.Copy(io.Discard, out)
	t.Cleanup(func() { f.stop(t) })
	return f
}

func (f *fakeProcess) posts(t testing.TB) int { return f.calls(t, "chat.postMessage") }

// calls counts the accepted calls of a Web API method.
func (f *fakeProcess) calls(t testing.TB, method string) int {
	resp, err := http.Get(f.counter + "?method=" + url.QueryEscape(method))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n, _ := strconv.Atoi(string(body))
	return n
}

// stop ends the fake process and returns the CPU it used.
func (f *fakeProcess) stop(t testing.TB) time.Duration {
	if f.cmd.ProcessState == nil {
		f.stdin.Close()
		f.cmd.Wait()
	}
	return f.cmd.ProcessState.UserTime() + f.cmd.ProcessState.SystemTime()
}
