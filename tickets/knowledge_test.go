package tickets

import (
	"context"
	"fmt"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

func TestPastResolutionsPrefersStaffResolutions(t *testing.T) {
	e, st := newEngine(t)
	ctx := context.Background()
	var ups []orderbot.Anomaly
	for i := 0; i < 4; i++ {
		ups = append(ups, orderbot.Anomaly{Kind: orderbot.ShippingStalled, Subject: fmt.Sprint("o", i), OrderID: fmt.Sprint("o", i),
			Severity: orderbot.SeverityMedium, Department: "logistics", DetectedAt: t0})
	}
	ups = append(ups, orderbot.Anomaly{Kind: orderbot.PaymentDuplicate, Subject: "p1", Severity: orderbot.SeverityHigh, Department: "finance", DetectedAt: t0})
	changes, err := e.Upsert(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(id string, r orderbot.Resolution) {
		action := orderbot.ActResolve
		if r.Auto {
			action = orderbot.ActAutoResolve
		}
		if _, _, err := st.Transition(ctx, id, store.Transition{Action: action, Actor: r.By, Resolution: &r}); err != nil {
			t.Fatal(err)
		}
	}
	resolve(changes[0].Ticket.ID, orderbot.Resolution{Code: AutoResolveCode, By: Actor, At: t0, Auto: true})
	resolve(changes[1].Ticket.ID, orderbot.Resolution{Code: "reshipped", Note: "sent a new parcel", By: "U1", At: t0})
	resolve(changes[2].Ticket.ID, orderbot.Resolution{Code: "carrier_claim", By: "U2", At: t0})
	resolve(changes[4].Ticket.ID, orderbot.Resolution{Code: "refunded", By: "U3", At: t0})

	kb := &Knowledge{Store: st}
	got, err := kb.PastResolutions(ctx, orderbot.ShippingStalled, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Auto || got[1].Auto {
		t.Fatalf("got %+v, want the two staff resolutions first", got)
	}
	for _, r := range got {
		if r.Code != "reshipped" && r.Code != "carrier_claim" {
			t.Fatalf("resolution of another kind or ticket: %+v", r)
		}
	}
	all, _ := kb.PastResolutions(ctx, orderbot.ShippingStalled, 10)
	if len(all) != 3 || !all[2].Auto {
		t.Fatalf("all = %+v, want 2 staff then 1 automatic (the open ticket has none)", all)
	}
	if none, _ := kb.PastResolutions(ctx, orderbot.ShippingOverdue, 5); len(none) != 0 {
		t.Fatalf("overdue: %+v", none)
	}
}
