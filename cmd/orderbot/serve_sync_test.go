package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
	"github.com/orderbot/orderbot/internal/simulate"
	"github.com/orderbot/orderbot/store"
	"github.com/orderbot/orderbot/store/redistest"
)

// The ERPNext site of these tests has the custom field a Shopify integration
// adds to Sales Order.
var mirrorFields = []string{"custom_shopify_order_id"}

// syncShop is a shop whose ERP mirrors its orders, with the kinds that depend
// on Shopify's order fields (invalid phone, fulfilled but unpaid, marked paid
// with only a declined PaymentIntent) and one seeded disagreement of each
// reconciliation kind. want lists every fingerprint that must open.
type syncShop struct {
	ds   simulate.Dataset
	want map[string]bool
}

func newSyncShop(t *testing.T, p *demo.Providers, erp *erpnextfake.Server) syncShop {
	t.Helper()
	kinds := []orderbot.Kind{orderbot.CustomerInvalidPhone, orderbot.SystemStateViolation, orderbot.PaymentMissing, orderbot.PaymentUnrecorded}
	now := time.Now()
	ds := simulate.New(11, simulate.Options{AnomalyRate: 0.1, Kinds: kinds}).Generate(120, now)
	for i := range ds.Shipments {
		ds.Shipments[i].Source = aftership.DefaultName
	}
	if err := p.Load(ds); err != nil {
		t.Fatal(err)
	}
	if err := erp.SetStock(ds.ERPStock...); err != nil {
		t.Fatal(err)
	}
	s := syncShop{ds: ds, want: map[string]bool{}}
	seeded := map[string]bool{}
	for _, e := range ds.Expected {
		s.want[orderbot.Fingerprint(e.Kind, e.Subject)] = true
		seeded[e.Subject] = true
	}
	// Clean, paid, unshipped orders carry the seeded disagreements; one paid
	// within the grace is left out of the ERP as a trap.
	var clean, recent []int
	for i, o := range ds.Orders {
		if seeded[o.ID] || !o.Financial.Paid() || o.Financial == orderbot.FinancialRefunded || o.Shipped() || !o.InFlight() {
			continue
		}
		if now.Sub(o.PaidAt) < 90*time.Minute {
			recent = append(recent, i)
		} else if now.Sub(o.PaidAt) > 3*time.Hour && now.Sub(o.UpdatedAt) > 3*time.Hour {
			clean = append(clean, i)
		}
	}
	if len(clean) < 3 || len(recent) < 1 {
		t.Fatalf("dataset has %d clean and %d recent paid orders, want 3 and 1", len(clean), len(recent))
	}
	missing, shipped, amount, late := clean[0], clean[1], clean[2], recent[0]
	var docs []erpnextfake.SalesOrder
	for i, o := range ds.Orders {
		if i == missing || i == late {
			continue // never reached the ERP
		}
		so := o
		so.ID = fmt.Sprintf("SAL-ORD-2026-%05d", i+1)
		so.Lines = append([]orderbot.LineItem(nil), o.Lines...)
		switch i {
		case shipped: // shipped from the ERP three hours ago, shop never told
			so.Fulfillment, so.UpdatedAt = orderbot.FulfillmentFulfilled, now.Add(-3*time.Hour)
		case amount: // keyed with another total
			so.Total.Minor += 500
		}
		docs = append(docs, erpnextfake.SalesOrder{Order: so, PoNo: o.Name, Custom: map[string]string{"custom_shopify_order_id": o.ID}})
	}
	// A Sales Order naming a shop order that does not exist.
	ghost := orderbot.Order{ID: "SAL-ORD-2026-09999", Status: orderbot.OrderProcessing, Financial: orderbot.FinancialPaid,
		Total: orderbot.Money{Minor: 4200, Currency: "USD"}, RequiresShipping: true,
		CreatedAt: now.Add(-5 * time.Hour), UpdatedAt: now.Add(-5 * time.Hour)}
	docs = append(docs, erpnextfake.SalesOrder{Order: ghost, PoNo: "#999999", Custom: map[string]string{"custom_shopify_order_id": "999999"}})
	if err := erp.AddSalesOrders(docs...); err != nil {
		t.Fatal(err)
	}
	s.want[orderbot.Fingerprint(orderbot.SyncOrderMissing, ds.Orders[missing].ID)] = true
	s.want[orderbot.Fingerprint(orderbot.SyncStatusMismatch, ds.Orders[shipped].ID)] = true
	s.want[orderbot.Fingerprint(orderbot.SyncAmountMismatch, ds.Orders[amount].ID)] = true
	s.want[orderbot.Fingerprint(orderbot.SyncOrderMissing, "erpnext/"+ghost.ID)] = true
	return s
}

// syncConfig is the configuration of the report: Shopify and ERPNext
// both provide orders (ERPNext also stock), Stripe payments, AfterShip
// parcels, every source on the same short schedule.
func syncConfig(p *demo.Providers, erpURL, schedule, link string) string {
	return fmt.Sprintf(`sources:
  shopify:
    type: shopify
    schedule: %[1]q
    api_url: %[2]s
    initial_lookback: 720h
    rate_limit: 500
    shopify: {access_token: "${OB_SHOPIFY_TOKEN}"}
  stripe:
    type: stripe
    schedule: %[1]q
    api_url: %[3]s
    initial_lookback: 720h
    rate_limit: 500
    stripe: {secret_key: "${OB_STRIPE_KEY}"}
  erpnext:
    type: erpnext
    schedule: %[1]q
    api_url: %[4]s
    initial_lookback: 720h
    rate_limit: 500
    provides: [inventory, orders]
%[6]s    erpnext: {api_key: "${OB_ERPNEXT_KEY}", api_secret: "${OB_ERPNEXT_SECRET}"}
  aftership:
    type: aftership
    schedule: %[1]q
    api_url: %[5]s
    initial_lookback: 720h
    rate_limit: 500
    aftership: {api_key: "${OB_AFTERSHIP_KEY}"}
`, schedule, p.Source(shopify.DefaultName).URL(), p.Source(stripe.DefaultName).URL(), erpURL, p.Source(aftership.DefaultName).URL(), link)
}

// The ERP is this test's own fake (with the mirror's custom fields); the shop,
// Stripe and AfterShip are the demo's simulated ones.
const syncERPKey, syncERPSecret = "sync-erp-key", "sync-erp-secret"

var syncERPEnv = []string{"OB_ERPNEXT_KEY=" + syncERPKey, "OB_ERPNEXT_SECRET=" + syncERPSecret}

func startSyncProviders() *demo.Providers {
	return demo.StartProviders(time.Now, demo.SimulatedShopify, demo.SimulatedStripe, demo.SimulatedAfterShip)
}

// The links of the issue: po_no holding "#1001" (the default) or the custom
// field holding the Shopify id.
var syncLinks = []struct{ name, yaml string }{
	{"po_no holds the name (default)", ""},
	{"custom field holds the id", "    order_links: [{field: custom_shopify_order_id, holds: id}]\n"},
}

// The regression: with ERPNext providing orders next to Shopify, on
// short schedules that interleave freely, `serve` opens every ticket that
// depends on Shopify's order fields and every seeded disagreement, and nothing
// for the healthy mirrored orders.
func TestServeTwoOrderSourcesKeepsShopFacts(t *testing.T) {
	for _, link := range syncLinks {
		t.Run(link.name, func(t *testing.T) { serveSyncShop(t, link.yaml) })
	}
}

func serveSyncShop(t *testing.T, link string) {
	srv := redistest.Start(t)
	p := startSyncProviders()
	defer p.Close()
	erp := erpnextfake.New(erpnextfake.Options{APIKey: syncERPKey, APISecret: syncERPSecret, CustomFields: mirrorFields})
	defer erp.Close()
	shop := newSyncShop(t, p, erp)
	_, env := p.ConfigYAML("@every 2s")
	env = append(env, syncERPEnv...)
	cfg := writeFile(t, "orderbot.yaml", syncConfig(p, erp.URL(), "@every 2s", link))
	env = append(env, "REDIS_URL="+srv.URL, "ORDERBOT_ADDR=127.0.0.1:0")

	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Signal(syscall.SIGTERM)
			<-done
		}
	}()

	ctx := context.Background()
	st, err := store.Open(ctx, srv.URL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// The signal to judge by: every seeded ticket open, then every source
	// has committed two more cycles (so whatever else would open has had
	// its chance). The deadline only bounds a failure.
	sources := []string{"shopify", "stripe", "erpnext", "aftership"}
	deadline := time.Now().Add(90 * time.Second)
	var mark time.Time
	passes := 0
	for {
		got, err := openFingerprints(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if missing := missingOf(shop.want, got); len(missing) == 0 {
			if mark.IsZero() {
				mark = time.Now()
			}
			if advanced, err := cursorsAfter(ctx, st, sources, mark); err != nil {
				t.Fatal(err)
			} else if advanced {
				passes++
				mark = time.Now()
				if passes == 2 {
					if extra := missingOf(got, shop.want); len(extra) > 0 {
						t.Errorf("tickets nobody seeded (healthy mirrored orders must open nothing):\n  %s", strings.Join(extra, "\n  "))
					}
					t.Logf("%d seeded tickets open in serve", len(shop.want))
					return
				}
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("serve opened %d tickets; %d seeded missing:\n  %s\nlogs:\n%s", len(got), len(missing), strings.Join(missing, "\n  "), lastN(logs.String(), 3000))
		}
		select {
		case err := <-done:
			exited = true
			t.Fatalf("serve exited: %v\n%s", err, lastN(logs.String(), 3000))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// The same shop through `poll --once`: every seeded ticket, nothing else, and
// a third run opens nothing new. Two runs are needed because the default flap
// guard opens the kinds that compare two systems on their second sighting.
func TestPollOnceTwoOrderSourcesKeepsShopFacts(t *testing.T) {
	for _, link := range syncLinks {
		t.Run(link.name, func(t *testing.T) {
			srv := redistest.Start(t)
			p := startSyncProviders()
			defer p.Close()
			erp := erpnextfake.New(erpnextfake.Options{APIKey: syncERPKey, APISecret: syncERPSecret, CustomFields: mirrorFields})
			defer erp.Close()
			shop := newSyncShop(t, p, erp)
			_, env := p.ConfigYAML("@every 2s")
			env = append(env, syncERPEnv...)
			env = append(env, syncERPEnv...)
			cfg := writeFile(t, "orderbot.yaml", syncConfig(p, erp.URL(), "@every 2s", link.yaml))
			env = append(env, "REDIS_URL="+srv.URL)
			got := map[string]bool{}
			for run := 0; run < 3; run++ {
				out, stderr, code := runBinary(t, env, "poll", "--once", "--config", cfg)
				if code != 0 {
					t.Fatalf("poll --once exit %d\n%s\n%s", code, stderr, out)
				}
				for _, l := range parseLines(t, out) {
					if l["type"] == "ticket" && l["change"] == "opened" {
						if run == 2 {
							t.Errorf("third run opened %v", l["fingerprint"])
						}
						got[l["fingerprint"].(string)] = true
					}
				}
			}
			if missing := missingOf(shop.want, got); len(missing) > 0 {
				t.Errorf("seeded but not opened:\n  %s", strings.Join(missing, "\n  "))
			}
			if extra := missingOf(got, shop.want); len(extra) > 0 {
				t.Errorf("opened but nobody seeded:\n  %s", strings.Join(extra, "\n  "))
			}
		})
	}
}

// openFingerprints are the fingerprints of the active tickets.
func openFingerprints(ctx context.Context, st *store.Store) (map[string]bool, error) {
	ts, err := st.List(ctx, store.Filter{})
	if err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, tk := range ts {
		got[tk.Fingerprint] = true
	}
	return got, nil
}

// missingOf lists the keys of want that got lacks, sorted.
func missingOf(want, got map[string]bool) []string {
	var out []string
	for fp := range want {
		if !got[fp] {
			out = append(out, fp)
		}
	}
	sort.Strings(out)
	return out
}

// cursorsAfter reports whether every source committed a cycle after t.
func cursorsAfter(ctx context.Context, st *store.Store, sources []string, t time.Time) (bool, error) {
	for _, s := range sources {
		c, err := st.Cursor(ctx, s)
		if err != nil {
			return false, err
		}
		if !c.After(t) {
			return false, nil
		}
	}
	return true, nil
}

func lastN(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
