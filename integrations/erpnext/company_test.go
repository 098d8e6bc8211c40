package erpnext_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/internal/fakes/erpnextfake"
)

// With Company set, the adapter asks ERPNext for that company's Sales Orders
// only (filters [["company","=",X]] besides the modified window) and refuses
// another company's order by name; without it, every company's orders come.
func TestCompanyFiltersSalesOrders(t *testing.T) {
	srv := newFake(t)
	var docs []erpnextfake.SalesOrder
	for i := 1; i <= 6; i++ {
		company := "Acme China"
		if i%2 == 0 {
			company = "Acme Europe"
		}
		docs = append(docs, erpnextfake.SalesOrder{Order: order(i), Company: company})
	}
	if err := srv.AddSalesOrders(docs...); err != nil {
		t.Fatal(err)
	}
	w := orderbot.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}

	all, _ := newClient(t, srv, nil)
	if got, _ := collect(t, all, w); len(got) != 6 {
		t.Fatalf("without a company: %v, want all 6", ids(got))
	}
	for _, r := range listRequests(srv, "Sales Order") {
		if filtersOf(t, r.Query.Get("filters"))["company"] != nil {
			t.Fatalf("company filter sent without a company: %s", r.Query.Get("filters"))
		}
	}

	srv.ResetRequests()
	c, _ := newClient(t, srv, func(o *erpnext.Options) { o.Company = "Acme Europe" })
	got, _ := collect(t, c, w)
	want := []string{order(2).ID, order(4).ID, order(6).ID}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("Acme Europe's orders = %v, want %v", ids(got), want)
	}
	lists := listRequests(srv, "Sales Order")
	if len(lists) == 0 {
		t.Fatal("no list request")
	}
	for _, r := range lists {
		f := filtersOf(t, r.Query.Get("filters"))["company"]
		if !slices.Equal(f, []any{"company", "=", "Acme Europe"}) {
			t.Fatalf("filters %s, want [\"company\",\"=\",\"Acme Europe\"] among them", r.Query.Get("filters"))
		}
	}
	// Only the listed (matching) documents are read in full.
	for _, r := range srv.Requests() {
		if r.Path == "/api/resource/Sales Order/"+order(1).ID {
			t.Fatalf("read another company's order %s", r.Path)
		}
	}

	ctx := context.Background()
	if o, err := c.GetOrder(ctx, order(4).ID); err != nil || o.ID != order(4).ID {
		t.Fatalf("own order: %+v %v", o.ID, err)
	}
	if _, err := c.GetOrder(ctx, order(3).ID); !orderbot.IsKind(err, orderbot.KindNotFound) {
		t.Fatalf("another company's order: %v, want KindNotFound", err)
	}
}

// filtersOf indexes a Frappe filters parameter (a JSON list of
// [field, op, value]) by field.
func filtersOf(t *testing.T, raw string) map[string][]any {
	t.Helper()
	var list [][]any
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatalf("filters %q: %v", raw, err)
	}
	out := make(map[string][]any, len(list))
	for _, f := range list {
		if len(f) == 3 {
			if name, ok := f[0].(string); ok {
				out[name] = f
			}
		}
	}
	return out
}

// problems collects what Config.Validate reports.
type problems []string

func (p *problems) Add(path, format string, args ...any) {
	*p = append(*p, path+": "+fmt.Sprintf(format, args...))
}
func (p *problems) Required(path, why string) { *p = append(*p, path+": required") }

// A company name with stray spaces would match no Sales Order: config says so.
func TestCompanyValidated(t *testing.T) {
	for _, tc := range []struct {
		company string
		bad     bool
	}{{"", false}, {"Acme Europe", false}, {" Acme Europe", true}, {"Acme Europe ", true}} {
		cfg := erpnext.Config{Company: tc.company}
		var p problems
		cfg.Validate(&p, false)
		if got := slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(s, "company: ") }); got != tc.bad {
			t.Errorf("company %q: problems %v, want a company problem: %v", tc.company, p, tc.bad)
		}
	}
}
