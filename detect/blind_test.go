package detect_test

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
)

// Every source's first cycles run side by side in serve, each seeing the other
// sources' cursors still at zero. Whatever a cycle could not judge for lack of
// a data set must come back on the next cycle through the watch list: the next
// windows hold only recent changes, so an order dropped now is never judged.
func TestBlindCyclesKeepOrdersWatched(t *testing.T) {
	done := order("done")
	done.Status, done.Fulfillment = orderbot.OrderCompleted, orderbot.FulfillmentFulfilled
	cancelled := order("cancelled")
	cancelled.Status, cancelled.CancelledAt = orderbot.OrderCancelled, ago(time.Hour)
	test := order("test")
	test.Test = true
	cases := []struct {
		name string
		cov  map[orderbot.DataSet]time.Time
		want map[string]bool // order id → looked at again on the very next cycle
	}{
		{"no data set polled yet (every order kind blind)",
			map[orderbot.DataSet]time.Time{orderbot.DataPolls: now},
			map[string]bool{"open": true, "done": true, "cancelled": true, "ghost": true, "test": false}},
		{"only payments polled (a Stripe cycle before any shop cycle committed)",
			map[orderbot.DataSet]time.Time{orderbot.DataPolls: now, orderbot.DataPayments: now},
			map[string]bool{"open": true, "done": true, "cancelled": true, "ghost": true, "test": false}},
		{"payments not polled yet",
			map[orderbot.DataSet]time.Time{orderbot.DataPolls: now, orderbot.DataOrders: now, orderbot.DataTracking: now, orderbot.DataInventory: now},
			map[string]bool{"open": true, "done": true, "cancelled": true, "ghost": true, "test": false}},
		{"everything polled: nothing pending",
			covered(),
			map[string]bool{"open": false, "done": false, "cancelled": false, "ghost": false, "test": false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := &detect.Snapshot{Now: now, Coverage: c.cov,
				Orders: []orderbot.Order{order("open"), done, cancelled, test},
				Payments: map[string][]orderbot.Payment{
					"open":  {payment("pi_1", "open", usd(100), ago(2*time.Hour))},
					"done":  {payment("pi_2", "done", usd(100), ago(2*time.Hour))},
					"ghost": {payment("pi_3", "ghost", usd(50), ago(3*time.Hour))},
				}}
			res := detect.New(nil, detect.Options{}).Run(snap)
			got := nextChecks(res)
			for id, want := range c.want {
				at, watched := got[id]
				if asap := watched && at.Equal(now); asap != want {
					t.Errorf("%s: next check %v (watched %v), want at once: %v", id, at, watched, want)
				}
			}
		})
	}
}
