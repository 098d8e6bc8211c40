package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// scorecardSim is five simulated weeks of parcels and payments seen by poll
// cycles and of tickets opened, with its own bookkeeping of what each week
// saw, for the hand computation.
type scorecardSim struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	clock func() time.Time
	set   func(time.Time)
	start time.Time
	seq   int
	// Hand bookkeeping per week index: distinct parcels (payments) seen per
	// member, tickets per member and kind.
	seen    map[int]map[string]map[string]bool
	tickets map[int]map[string]map[orderbot.Kind]int64
}

func (s *scorecardSim) week(at time.Time) int { return int(at.Sub(s.start) / (7 * 24 * time.Hour)) }

func (s *scorecardSim) see(member string, ids []string) {
	w := s.week(s.clock())
	if s.seen[w] == nil {
		s.seen[w] = map[string]map[string]bool{}
	}
	if s.seen[w][member] == nil {
		s.seen[w][member] = map[string]bool{}
	}
	for _, id := range ids {
		s.seen[w][member][id] = true
	}
}

func (s *scorecardSim) open(kind orderbot.Kind, dims orderbot.Dims, member string, n int) {
	if n == 0 {
		return
	}
	var ups []store.Upsert
	for range n {
		s.seq++
		ups = append(ups, store.Upsert{Anomaly: orderbot.Anomaly{Kind: kind, Subject: fmt.Sprint("o", s.seq),
			Source: "aftership", Severity: orderbot.SeverityMedium, Department: "logistics", Summary: "sim", Dims: dims}})
	}
	if _, err := s.st.UpsertTickets(s.ctx, ups); err != nil {
		s.t.Fatal(err)
	}
	w := s.week(s.clock())
	if s.tickets[w] == nil {
		s.tickets[w] = map[string]map[orderbot.Kind]int64{}
	}
	if s.tickets[w][member] == nil {
		s.tickets[w][member] = map[orderbot.Kind]int64{}
	}
	s.tickets[w][member][kind] += int64(n)
}

// TestScorecardWatch simulates seven weeks with a weekly cycle of parcels
// (fewer at weekends) for two couriers and payments for one channel. DHL's
// stall rate triples in the fifth week: three replicas post one alert for it,
// once, while UPS's week-to-week noise and Stripe's lost callbacks stay silent
// on every daily run. The scorecard's rates equal the hand computation. The
// rate recovers in week six and triples again in week seven: posted again.
func TestScorecardWatch(t *testing.T) {
	const channel = "C0MANAGERS"
	var mu sync.Mutex
	now := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC) // a Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := redistest.Start(t)
	fake := slackfake.New(slackfake.Config{Channels: []string{channel}})
	t.Cleanup(fake.Close)
	ctx := context.Background()
	rule := analytics.ScoreRule{Factor: 2, MinVolume: 100, Weeks: 4}
	var watches []*ScorecardWatch
	var st *store.Store
	for i := range 3 {
		s, err := store.New(ctx, srv.Client(t), store.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		st = s
		b := testBot(t, fake, s, clock, nil)
		watches = append(watches, &ScorecardWatch{Store: s, Poster: b, Channel: channel, Rule: rule,
			Location: time.UTC, Holder: fmt.Sprint("replica-", i), Now: clock})
	}
	sim := &scorecardSim{t: t, ctx: ctx, st: st, clock: clock, start: now,
		set:     func(at time.Time) { mu.Lock(); now = at; mu.Unlock() },
		seen:    map[int]map[string]map[string]bool{},
		tickets: map[int]map[string]map[orderbot.Kind]int64{}}
	runAll := func() int {
		return runReplicas(t, watches, func(w *ScorecardWatch) (int, error) { return w.Run(ctx) })
	}
	// Tickets per day, a fixed irregular pattern (UPS: 8 to 13 a week).
	upsStall := []int{2, 1, 3, 0, 2, 1, 1, 1, 2, 0, 3, 2, 1, 2, 0, 1, 2, 1, 3, 1, 1}
	dhlStall := []int{2, 1, 2, 1, 2, 1, 1} // 10 a week
	posted := 0
	var prevDHL, prevUPS []string
	simDay := func(day int) int {
		base := sim.start.AddDate(0, 0, day)
		wd := (int(base.Weekday()) + 6) % 7
		parcels := 40
		if wd >= 5 {
			parcels = 15 // weekends ship less
		}
		// Two cycles a day see the day's parcels (the second sees them
		// again), and the first also sees yesterday's still moving.
		var dhl, ups []string
		for i := range parcels {
			dhl = append(dhl, fmt.Sprintf("JD%03d%03d", day, i))
			ups = append(ups, fmt.Sprintf("1Z%03d%03d", day, i))
		}
		var pays []orderbot.Payment
		for i := range 60 {
			status := orderbot.PaymentSucceeded
			if i%6 == 0 {
				status = orderbot.PaymentFailed // a declined attempt: not a payment seen
			}
			pays = append(pays, orderbot.Payment{ID: fmt.Sprintf("pi_%03d_%02d", day, i), Provider: "stripe", Status: status})
		}
		ship := func(carrier string, ids []string) []orderbot.Shipment {
			out := make([]orderbot.Shipment, len(ids))
			for i, id := range ids {
				out[i] = orderbot.Shipment{TrackingNumber: id, Carrier: carrier}
			}
			return out
		}
		for cycle := range 2 {
			sim.set(base.Add(time.Duration(9+cycle*6) * time.Hour))
			sh := append(ship("dhl", dhl), ship("ups", ups)...)
			if cycle == 0 {
				sh = append(sh, append(ship("dhl", prevDHL), ship("ups", prevUPS)...)...)
				sim.see("dhl", prevDHL)
				sim.see("ups", prevUPS)
			}
			if err := countSeen(ctx, st, clock(), sh, pays); err != nil {
				t.Fatal(err)
			}
			sim.see("dhl", dhl)
			sim.see("ups", ups)
			for _, p := range pays {
				if p.Status == orderbot.PaymentSucceeded {
					sim.see("stripe", []string{p.ID})
				}
			}
		}
		prevDHL, prevUPS = dhl, ups
		sim.set(base.Add(16 * time.Hour))
		n := dhlStall[wd]
		if day >= 28 && day < 35 || day >= 42 {
			n *= 3 // the fifth and seventh weeks: DHL's stall rate triples
		}
		sim.open(orderbot.ShippingStalled, orderbot.Dims{Courier: "dhl"}, "dhl", n)
		sim.open(orderbot.ShippingStalled, orderbot.Dims{Courier: "ups"}, "ups", upsStall[day%len(upsStall)])
		sim.open(orderbot.ShippingException, orderbot.Dims{Courier: "ups"}, "ups", day%3/2)
		sim.open(orderbot.PaymentUnrecorded, orderbot.Dims{Channel: "stripe"}, "stripe", day%4/3)

		// The watch runs every day after midnight.
		sim.set(sim.start.AddDate(0, 0, day+1).Add(30 * time.Minute))
		n = runAll()
		if n > 0 && day < 28 {
			t.Fatalf("day %d: %d alerts during normal weeks: %v", day, n, fake.Messages(channel))
		}
		return n
	}
	for day := range 35 {
		posted += simDay(day)
	}
	if posted != 1 {
		sc, err := analytics.Scorecard(ctx, st, time.UTC, clock(), rule)
		t.Fatalf("%d alerts, want 1; %v %+v", posted, err, sc)
	}
	if n := runAll(); n != 0 {
		t.Fatalf("posted again: %d", n)
	}
	msgs := fake.Messages(channel)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Courier dhl: stall rate up to") {
		t.Fatalf("messages %+v", msgs)
	}

	// The counts of the week just ended and of the four before equal the
	// hand computation: tickets exactly, parcels and payments seen within
	// the HyperLogLog's error (0.81 % standard error; 2 % here), and the
	// rates are those counts' quotients.
	scores, err := analytics.Scorecard(ctx, st, time.UTC, clock(), rule)
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want int64) bool { return float64(abs64(got-want)) <= 0.02*float64(want) }
	checked := 0
	for _, sc := range scores {
		want := func(w int) analytics.WeekCount {
			return analytics.WeekCount{Tickets: sim.tickets[w][sc.Member][sc.Kind], Volume: int64(len(sim.seen[w][sc.Member]))}
		}
		weeks := append([]analytics.WeekCount{sc.Week}, sc.Past...)
		for i, got := range weeks {
			w := want(4 - i)
			if got.Tickets != w.Tickets || !near(got.Volume, w.Volume) {
				t.Errorf("%s %s week %d: %+v, want %+v", sc.Member, sc.Kind, 4-i, got, w)
			}
		}
		if sc.Member == "dhl" && sc.Kind == orderbot.ShippingStalled {
			checked++
			if sc.Week.Tickets != 30 || sc.Rate() != 30/float64(sc.Week.Volume) || !sc.Degraded {
				t.Errorf("dhl stall: %+v rate %v", sc.Week, sc.Rate())
			}
			// The median of four rates: the mean of the middle two.
			r := []float64{sc.Past[0].Rate(), sc.Past[1].Rate(), sc.Past[2].Rate(), sc.Past[3].Rate()}
			slices.Sort(r)
			if sc.Baseline != (r[1]+r[2])/2 || sc.Baseline < 10.0/250 || sc.Baseline > 10.0/225 {
				t.Errorf("dhl stall baseline %v, past %+v", sc.Baseline, sc.Past)
			}
		}
		if sc.Member == "stripe" && sc.Kind == orderbot.PaymentUnrecorded {
			checked++
			if !near(sc.Week.Volume, 7*50) {
				t.Errorf("stripe payments seen %d, want 350 (declined attempts do not count)", sc.Week.Volume)
			}
		}
	}
	if checked != 2 {
		t.Fatalf("scorecard lacks dhl or stripe: %+v", scores)
	}

	// Week six is normal again: the rate recovers, which clears the mark,
	// and nothing is posted. In week seven the stall rate triples again: a
	// new degradation, posted once.
	for day := 35; day < 49; day++ {
		n := simDay(day)
		if n > 0 && day < 42 {
			t.Fatalf("day %d: %d alerts while the rate recovers", day, n)
		}
		posted += n
	}
	if posted != 2 || len(fake.Messages(channel)) != 2 {
		t.Fatalf("%d alerts after the second degradation, want 2", posted)
	}
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// TestPollCountsPaymentsSeen: a poll cycle counts the payments that took
// money per channel, each once however often it is polled, and the ticket
// of a lost callback counts under its channel: the scorecard's two sides.
func TestPollCountsPaymentsSeen(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.shop.PutOrders(r.order("1001", nil))
	pay := func(id string, status orderbot.PaymentStatus) orderbot.Payment {
		return orderbot.Payment{ID: id, Provider: "stripe", OrderID: "1001", Amount: orderbot.Money{Minor: 19900, Currency: "USD"},
			Status: status, CreatedAt: r.clk.Now().Add(-20 * time.Minute)}
	}
	r.stripe.PutPayments(pay("pi_0", orderbot.PaymentFailed), pay("pi_1", orderbot.PaymentSucceeded))
	for range 3 {
		if _, err := r.poller.PollAll(ctx); err != nil {
			t.Fatal(err)
		}
		r.clk.Add(time.Minute)
	}
	day := r.clk.Now().Add(-time.Hour)
	seen, err := r.st.SeenCounts(ctx, store.DimChannel, day, r.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen["stripe"] != 1 {
		t.Fatalf("payments seen %v, want stripe: 1 (the declined attempt does not count)", seen)
	}
	if open := activeOf(t, r.st, orderbot.PaymentUnrecorded); len(open) != 1 {
		t.Fatalf("payment.unrecorded tickets %+v, want one", open)
	}
	counts, err := r.st.DimKindCounts(ctx, store.DimChannel, day, r.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if counts["stripe"][orderbot.PaymentUnrecorded] != 1 {
		t.Fatalf("tickets per channel %v, want stripe payment.unrecorded: 1", counts)
	}
}
