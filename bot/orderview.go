package bot

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
)

// /ob order shows every system's view of the order side by side (shop, ERP,
// payment provider, courier), says which system disagrees with the shop, and
// lists every parcel with its whole checkpoint timeline.

// maxCheckpoints bounds the timeline shown per parcel (newest first); the
// section is clipped to Slack's limit anyway.
const maxCheckpoints = 25

// orderComparisons are the rows of the side-by-side view. The shop is the
// reference: a value of another system that contradicts it is marked.
func orderComparisons(v orderbot.OrderView) []orderbot.Comparison {
	o := &v.Order
	erp, hasERP := mergedERP(v.ERP)
	var captured int64
	succeeded := 0
	for i := range v.Payments {
		if p := &v.Payments[i]; p.Status == orderbot.PaymentSucceeded {
			captured += p.Amount.Minor - p.RefundedMinor()
			succeeded++
		}
	}
	payText := ""
	if len(v.Payments) > 0 {
		payText = strconv.Itoa(succeeded) + " succeeded"
	}
	courier, delivered, moving := "", 0, 0
	var states []string
	for _, s := range v.Shipments {
		states = append(states, string(s.Status))
		switch {
		case s.Status == orderbot.ShipDelivered:
			delivered++
		case !s.Status.Final():
			moving++
		}
	}
	courier = strings.Join(states, ", ")

	status := orderbot.Comparison{Field: "Status", Values: [orderbot.NumSystems]string{string(o.Status), "", payText, courier}}
	fulfil := orderbot.Comparison{Field: "Fulfilment", Values: [orderbot.NumSystems]string{string(o.Fulfillment), "", "", courier}}
	total := orderbot.Comparison{Field: "Total", Values: [orderbot.NumSystems]string{o.Total.String(), "", "", ""}}
	if len(v.Payments) > 0 {
		total.Values[orderbot.SystemPayment] = orderbot.Money{Minor: captured, Currency: o.Total.Currency}.String() + " captured"
		total.Differs[orderbot.SystemPayment] = o.Financial.Paid() && captured != o.Total.Minor-o.Refunded.Minor
	}
	if hasERP {
		status.Values[orderbot.SystemERP] = string(erp.Status)
		status.Differs[orderbot.SystemERP] = erp.Status != o.Status
		fulfil.Values[orderbot.SystemERP] = string(erp.Fulfillment)
		fulfil.Differs[orderbot.SystemERP] = erp.Fulfillment != o.Fulfillment
		total.Values[orderbot.SystemERP] = erp.Total.String()
		total.Differs[orderbot.SystemERP] = erp.Total != o.Total
	}
	// The courier contradicts the shop when it delivered what the shop never
	// shipped, or still moves what the shop closed as done.
	fulfil.Differs[orderbot.SystemCourier] = delivered > 0 && !o.Shipped()
	status.Differs[orderbot.SystemCourier] = moving > 0 && o.Status == orderbot.OrderCompleted
	rows := []orderbot.Comparison{status, fulfil, total}
	if hasERP {
		shop, other := map[string]int64{}, map[string]int64{}
		for _, l := range o.Lines {
			shop[l.SKU] += l.Quantity
		}
		for _, l := range erp.Lines {
			other[l.SKU] += l.Quantity
		}
		union := make(map[string]int64, len(shop)+len(other))
		maps.Copy(union, shop)
		maps.Copy(union, other) // only the keys matter
		skus := slices.Sorted(maps.Keys(union))
		for i, s := range skus {
			if i == 10 {
				break
			}
			rows = append(rows, orderbot.Comparison{Field: "× " + s,
				Values:  [orderbot.NumSystems]string{strconv.FormatInt(shop[s], 10), strconv.FormatInt(other[s], 10), "", ""},
				Differs: [orderbot.NumSystems]bool{false, shop[s] != other[s], false, false}})
		}
	}
	return rows
}

// mergedERP folds several ERP records (an amended or split Sales Order) into
// one view: cancelled ones are left out while another is live.
func mergedERP(erps []orderbot.ErpOrder) (orderbot.ErpOrder, bool) {
	var live []orderbot.ErpOrder
	for _, e := range erps {
		if e.Status != orderbot.OrderCancelled {
			live = append(live, e)
		}
	}
	if len(live) == 0 {
		live = erps
	}
	if len(live) == 0 {
		return orderbot.ErpOrder{}, false
	}
	m := live[0]
	m.Lines = append([]orderbot.LineItem(nil), m.Lines...)
	for _, e := range live[1:] {
		m.ID += ", " + e.ID
		m.Total.Minor += e.Total.Minor
		m.Lines = append(m.Lines, e.Lines...)
	}
	return m, true
}

// systemsBlocks is the side-by-side view and the line naming who disagrees.
func (c *cards) systemsBlocks(v orderbot.OrderView) []slack.Block {
	rows := orderComparisons(v)
	lines := []string{"*Every system* (shop | ERP | payment | courier; " + strings.TrimSpace(differMark) + " disagrees with the shop)"}
	who := map[orderbot.System][]string{}
	for _, r := range rows {
		lines = append(lines, comparisonLine(r))
		for s := orderbot.System(0); s < orderbot.NumSystems; s++ {
			if r.Differs[s] {
				who[s] = append(who[s], strings.ToLower(r.Field))
			}
		}
	}
	var dis []string
	for s := orderbot.System(0); s < orderbot.NumSystems; s++ {
		if f := who[s]; len(f) > 0 {
			dis = append(dis, s.String()+" ("+esc(strings.Join(f, ", "))+")")
		}
	}
	switch {
	case len(dis) > 0:
		lines = append(lines, ":warning: *Disagrees with the shop:* "+strings.Join(dis, "; "))
	case len(v.ERP) == 0:
		lines = append(lines, "No ERP record of this order.")
	default:
		lines = append(lines, ":white_check_mark: The systems agree.")
	}
	if len(v.ERP) > 0 {
		var ids []string
		for _, e := range v.ERP {
			ids = append(ids, esc(e.ID)+" ("+esc(string(e.Status))+", modified "+slackDate(e.Modified, c.loc)+")")
		}
		lines = append(lines, "ERP: "+strings.Join(ids, ", "))
	}
	return []slack.Block{slack.NewSectionBlock(md(strings.Join(lines, "\n"), maxSectionText), nil, nil)}
}

// parcelBlocks lists every parcel of the order with its checkpoints, newest
// first.
func (c *cards) parcelBlocks(v orderbot.OrderView) []slack.Block {
	var out []slack.Block
	for i, s := range v.Shipments {
		if i == 5 {
			out = append(out, slack.NewContextBlock("", md(fmt.Sprintf("… and %d more parcels", len(v.Shipments)-i), maxSectionText)))
			break
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*Parcel %d of %d* %s `%s`: %s", i+1, len(v.Shipments), esc(s.Carrier), esc(s.TrackingNumber), esc(string(s.Status)))
		if s.StatusText != "" {
			b.WriteString(" — " + clip(esc(oneLine(s.StatusText)), 200))
		}
		if !s.ExpectedDelivery.IsZero() {
			b.WriteString("\nExpected " + slackDate(s.ExpectedDelivery, c.loc))
		}
		cps := append([]orderbot.Checkpoint(nil), s.Checkpoints...)
		sort.SliceStable(cps, func(a, b int) bool { return cps[a].Time.After(cps[b].Time) })
		if len(cps) == 0 {
			b.WriteString("\nno carrier scan yet")
		}
		for j, cp := range cps {
			if j == maxCheckpoints {
				fmt.Fprintf(&b, "\n… and %d older checkpoints", len(cps)-j)
				break
			}
			fmt.Fprintf(&b, "\n• %s %s", slackDate(cp.Time, c.loc), clip(esc(oneLine(cp.Message)), 200))
			if cp.Location != "" {
				b.WriteString(" (" + clip(esc(oneLine(cp.Location)), 80) + ")")
			}
		}
		if s.URL != "" {
			if _, ok := expandLink(s.URL, nil); ok {
				b.WriteString("\n" + link(s.URL, "Track the parcel"))
			}
		}
		out = append(out, slack.NewSectionBlock(md(b.String(), maxSectionText), nil, nil))
	}
	return out
}
