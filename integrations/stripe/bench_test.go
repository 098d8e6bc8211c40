package stripe_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/internal/fakes/stripefake"
	"github.com/orderbot/orderbot/internal/simulate"
)

// BenchmarkListPayments100k counts the requests of one poll of 100,000
// payments (the simulated shop's, refunds included) against the pages the
// lists need: product.md §12 allows 1.1 × the pages. Requests are counted by
// the fake, so the figure does not depend on the machine's load.
//
//	go test ./integrations/stripe -run '^$' -bench ListPayments100k -benchtime 1x
func BenchmarkListPayments100k(b *testing.B) {
	now := time.Now().UTC().Truncate(time.Second)
	var ps []orderbot.Payment
	for seed := int64(1); len(ps) < 100_000; seed++ {
		ds := simulate.New(seed, simulate.Options{AnomalyRate: 0.01}).Generate(50_000, now)
		ps = append(ps, ds.Payments...)
	}
	ps = ps[:100_000]
	seen := map[string]bool{}
	refunded, refunds, from := 0, 0, now
	for i := range ps {
		for seen[ps[i].ID] { // ids from different seeds may meet
			ps[i].ID += "x"
		}
		seen[ps[i].ID] = true
		if len(ps[i].Refunds) > 0 {
			refunded++
			refunds += len(ps[i].Refunds)
		}
		if ps[i].CreatedAt.Before(from) {
			from = ps[i].CreatedAt
		}
	}
	f := stripefake.New(stripefake.Options{LogLimit: 10})
	defer f.Close()
	if err := f.AddPayments(ps...); err != nil {
		b.Fatal(err)
	}
	c, err := stripe.New(stripe.Options{Settings: httpclient.Settings{Name: "stripe", APIURL: f.URL(), RateLimit: 1e6}, SecretKey: f.APIKey()})
	if err != nil {
		b.Fatal(err)
	}
	w := orderbot.Window{From: from.Truncate(time.Second), To: now.Add(time.Second)} // Stripe's created is in whole seconds
	pages := (len(ps)+99)/100 + (refunds+99)/100                                     // intents, then the window's refunds
	var got, requests int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := f.RequestCount()
		got = 0
		if err := c.ListPayments(context.Background(), w, func(p []orderbot.Payment) error { got += len(p); return nil }); err != nil {
			b.Fatal(err)
		}
		requests = f.RequestCount() - before
	}
	b.StopTimer()
	if got < len(ps) {
		b.Fatalf("listed %d payments, want %d", got, len(ps))
	}
	b.ReportMetric(float64(requests), "requests")
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(refunded), "refunded-payments")
	if float64(requests) > 1.1*float64(pages) {
		b.Errorf("%d requests for %d pages: more than 1.1 × the pages", requests, pages)
	}
}
