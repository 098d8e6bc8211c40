package store

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// ERP records are filed under the shop order they name, several per order,
// and found through every reference of the order; name references resolve
// through the name index.
func TestERPRecords(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	byID := orderbot.OrderRef{Shop: "shopify", Holds: orderbot.LinkID, Value: "5300000001"}
	byName := orderbot.OrderRef{Shop: "shopify", Holds: orderbot.LinkName, Value: "#1001"}
	recs := []orderbot.ErpOrder{
		{ID: "SAL-ORD-1", Source: "erpnext", Link: byID, Status: orderbot.OrderCancelled, Total: orderbot.Money{Minor: 100, Currency: "USD"}, Modified: at},
		{ID: "SAL-ORD-1-1", Source: "erpnext", Link: byID, Status: orderbot.OrderProcessing, Total: orderbot.Money{Minor: 100, Currency: "USD"}, Modified: at,
			Lines: []orderbot.LineItem{{SKU: "MUG", Quantity: 2}}},
		{ID: "SAL-ORD-2", Source: "erpnext", Link: byName, Status: orderbot.OrderProcessing, Modified: at},
	}
	if err := e.st.SaveERPOrders(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SaveERPOrders(ctx, []orderbot.ErpOrder{{ID: "SAL-ORD-3"}}); !orderbot.IsKind(err, orderbot.KindInvalid) {
		t.Fatalf("a record without a link was saved: %v", err)
	}
	got, err := e.st.ERPOf(ctx, [][]orderbot.OrderRef{{byID, byName}, {byID}, nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0]) != 3 || len(got[1]) != 2 || len(got[2]) != 0 {
		t.Fatalf("ERPOf = %+v", got)
	}
	for _, r := range got[1] {
		if r.ID == "SAL-ORD-1-1" && (len(r.Lines) != 1 || r.Lines[0].Quantity != 2 || !r.Modified.Equal(at)) {
			t.Errorf("record round trip %+v", r)
		}
	}
	if err := e.st.IndexOrderNames(ctx, []orderbot.Order{{ID: "5300000001", Name: "#1001", Source: "shopify"}}); err != nil {
		t.Fatal(err)
	}
	ids, err := e.st.ShopOrderIDs(ctx, []orderbot.OrderRef{byName, byID, {Shop: "shopify", Holds: orderbot.LinkName, Value: "#404"}})
	if err != nil || len(ids) != 3 || ids[0] != "5300000001" || ids[1] != "5300000001" || ids[2] != "" {
		t.Fatalf("ShopOrderIDs = %q, %v", ids, err)
	}
}

// The money at risk travels with the ticket: opened, recurring, read back.
func TestTicketCarriesAtRisk(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	a := anomaly(orderbot.SyncAmountMismatch, "1001")
	a.AtRisk = orderbot.Money{Minor: 500, Currency: "USD"}
	res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
	if err != nil || res[0].Ticket.AtRisk != a.AtRisk {
		t.Fatalf("opened %+v %v", res, err)
	}
	a.AtRisk.Minor = 700
	if res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}}); err != nil || res[0].Ticket.AtRisk != a.AtRisk {
		t.Fatalf("recurred %+v %v", res, err)
	}
	tk, err := e.st.Get(ctx, res[0].Ticket.ID)
	if err != nil || tk.AtRisk != a.AtRisk {
		t.Fatalf("read back %+v %v", tk.AtRisk, err)
	}
}

// A storm summary sums the money at risk of the tickets folded into it, per
// currency, and a new storm episode starts from zero.
func TestStormSumsAtRisk(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	usd := func(m int64) orderbot.Money { return orderbot.Money{Minor: m, Currency: "USD"} }
	ts := []StormTicket{{ID: "T1", Subject: "a", AtRisk: usd(100)}, {ID: "T2", Subject: "b", AtRisk: usd(250)},
		{ID: "T3", Subject: "c", AtRisk: orderbot.Money{Minor: 7, Currency: "EUR"}}, {ID: "T4", Subject: "d"}}
	adm, err := e.st.AdmitSlackCards(ctx, "C1", orderbot.InventoryOversold, time.Minute, 1, time.Hour, ts)
	if err != nil || len(adm.Carded) != 1 || len(adm.Folded) != 3 {
		t.Fatalf("admission %+v %v", adm, err)
	}
	// A replay counts nothing twice.
	if _, err := e.st.AdmitSlackCards(ctx, "C1", orderbot.InventoryOversold, time.Minute, 1, time.Hour, ts); err != nil {
		t.Fatal(err)
	}
	st, err := e.st.SlackStorm(ctx, "C1", orderbot.InventoryOversold, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []orderbot.Money{{Minor: 7, Currency: "EUR"}, usd(250)}
	if len(st.AtRisk) != 2 || st.AtRisk[0] != want[0] || st.AtRisk[1] != want[1] {
		t.Fatalf("storm at risk %+v, want %+v (T1 has its own card)", st.AtRisk, want)
	}
}
