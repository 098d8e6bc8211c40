package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// TestOversellForecastBeforeTheOversell runs a simulated flash sale through
// the real store: every five minutes eight one-unit orders of SKU-SALE come
// in, the shop's stock sync has stalled at 300, and the ERP's available drops
// by one a look (its own channel). The job, run every five minutes as serve
// runs it, warns once, while the ERP still covers the open orders.
func TestOversellForecastBeforeTheOversell(t *testing.T) {
	const channel = "C0MANAGERS"
	var mu sync.Mutex
	now := time.Date(2025, 11, 11, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, err := store.New(context.Background(), redistest.Start(t).Client(t), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	fake := slackfake.New(slackfake.Config{Channels: []string{channel}})
	t.Cleanup(fake.Close)
	b := testBot(t, fake, st, clock, nil)
	w := &OversellWatch{Store: st, Poster: b, Channel: channel, Holder: "r1", Now: clock}
	ctx := context.Background()
	var warnedAt, oversoldAt time.Time
	demand := int64(0)
	for i := 0; i < 40; i++ {
		mu.Lock()
		now = time.Date(2025, 11, 11, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 5 * time.Minute)
		mu.Unlock()
		var orders []orderbot.Order
		for j := range 8 {
			id := fmt.Sprint("sale-", i, "-", j)
			orders = append(orders, orderbot.Order{ID: id, Source: "shopify", Status: orderbot.OrderProcessing,
				Financial: orderbot.FinancialPaid, Fulfillment: orderbot.FulfillmentUnfulfilled,
				Lines: []orderbot.LineItem{{SKU: "SKU-SALE", Quantity: 1}}, CreatedAt: clock(), UpdatedAt: clock()})
		}
		if err := st.SaveOrders(ctx, orders); err != nil {
			t.Fatal(err)
		}
		demand += 8
		erpAvail := 250 - int64(i)
		if err := st.ReplaceStock(ctx, orderbot.SideShop, "shopify", []orderbot.StockLevel{{SKU: "SKU-SALE", Available: 300,
			UpdatedAt: clock(), Side: orderbot.SideShop, Source: "shopify"}}); err != nil {
			t.Fatal(err)
		}
		if err := st.ReplaceStock(ctx, orderbot.SideERP, "erpnext", []orderbot.StockLevel{{SKU: "SKU-SALE", Available: erpAvail,
			UpdatedAt: clock(), Side: orderbot.SideERP, Source: "erpnext"}}); err != nil {
			t.Fatal(err)
		}
		if demand > erpAvail && oversoldAt.IsZero() {
			oversoldAt = clock()
		}
		n, err := w.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			if !warnedAt.IsZero() {
				t.Fatalf("warned again at %v", clock())
			}
			warnedAt = clock()
		}
	}
	if oversoldAt.IsZero() || warnedAt.IsZero() || !warnedAt.Before(oversoldAt) {
		t.Fatalf("warned at %v, oversold at %v", warnedAt, oversoldAt)
	}
	msgs := fake.Messages(channel)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "SKU-SALE may oversell in about") {
		t.Fatalf("messages %+v", msgs)
	}
	t.Logf("warned at %s, oversold at %s: %s", warnedAt.Format("15:04"), oversoldAt.Format("15:04"), msgs[0].Text)
}
