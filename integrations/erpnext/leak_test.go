package erpnext_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/httpclient"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
	"github.com/orderbot/orderbot/internal/fakes/providerfake"
)

// TestNoGoroutineLeak checks that the parallel document reads of ListOrders all
// end, on success and when one read fails mid-page.
func TestNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := erpnextfake.New(erpnextfake.Options{})
	for i := 1; i <= 30; i++ {
		addOrders(t, srv, order(i))
	}
	c, err := erpnext.New(erpnext.Options{Settings: httpclient.Settings{APIURL: srv.URL(), MaxRetries: -1}, APIKey: srv.APIKey(), APISecret: srv.APISecret(), PageSize: 10, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	w := orderbot.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	if err := c.ListOrders(context.Background(), w, func([]orderbot.Order) error { return nil }); err != nil {
		t.Fatal(err)
	}
	srv.Inject(providerfake.Fault{Times: 3})                       // three normal answers (list + 2 reads),
	srv.Inject(providerfake.Fault{Kind: providerfake.ServerError}) // then a failing read
	if err := c.ListOrders(context.Background(), w, func([]orderbot.Order) error { return nil }); !orderbot.IsKind(err, orderbot.KindTransient) {
		t.Fatalf("err = %v", err)
	}
	c.CloseIdleConnections()
	srv.Close()
}
