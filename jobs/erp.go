package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
)

// An ERP source beside a shop delivers the ERP's records of the shop's
// orders. The cycle stores them beside the orders they name and joins them to
// those orders in every snapshot, whichever source's cycle builds it, so the
// shop's facts and the ERP's are judged together and neither hides the other.

// links are the order links of every ERP source.
func (p *Poller) links() []orderbot.OrderLink {
	var out []orderbot.OrderLink
	for _, s := range p.Sources {
		out = append(out, s.Links...)
	}
	return out
}

// linkedByName reports whether an ERP names the shop's orders by their name,
// so the shop's listing indexes names.
func (p *Poller) linkedByName(shop string) bool {
	for _, l := range p.links() {
		if l.Shop == shop && l.Holds == orderbot.LinkName {
			return true
		}
	}
	return false
}

// splitERPWatch separates the watch-list members of ERP records waiting for
// their shop order (see detect.ERPWatchID) from order ids.
func splitERPWatch(due []string) (ids []string, refs []orderbot.OrderRef, members []string) {
	ids = due[:0:0]
	for _, m := range due {
		key, ok := strings.CutPrefix(m, detect.ERPWatchPrefix)
		if !ok {
			ids = append(ids, m)
			continue
		}
		parts := strings.SplitN(key, "\x1f", 3)
		if len(parts) != 3 {
			continue
		}
		refs = append(refs, orderbot.OrderRef{Shop: parts[0], Holds: orderbot.LinkHolds(parts[1]), Value: parts[2]})
		members = append(members, m)
	}
	return ids, refs, members
}

// erpCandidates are the ERP records a snapshot must place: this cycle's and
// those the watch list brings back, with the shop order id each names ("" when
// a name reference is not known to the store).
func erpCandidates(ctx context.Context, st *store.Store, fetched []orderbot.ErpOrder, watched []orderbot.OrderRef) ([]orderbot.ErpOrder, []string, error) {
	recs := append([]orderbot.ErpOrder(nil), fetched...)
	if len(watched) > 0 {
		lists := make([][]orderbot.OrderRef, len(watched))
		for i, r := range watched {
			lists[i] = []orderbot.OrderRef{r}
		}
		more, err := st.ERPOf(ctx, lists)
		if err != nil {
			return nil, nil, fmt.Errorf("loading ERP records: %w", err)
		}
		for _, m := range more {
			recs = append(recs, m...)
		}
	}
	refs := make([]orderbot.OrderRef, len(recs))
	for i := range recs {
		refs[i] = recs[i].Link
	}
	ids, err := st.ShopOrderIDs(ctx, refs)
	if err != nil {
		return nil, nil, fmt.Errorf("resolving shop orders of ERP records: %w", err)
	}
	return recs, ids, nil
}

// joinERP attaches to each snapshot order the ERP records filed under its
// references and names the mirrored shops.
func (p *Poller) joinERP(ctx context.Context, snap *detect.Snapshot, orphans []orderbot.ErpOrder) error {
	links := p.links()
	if len(links) == 0 {
		return nil
	}
	snap.ERPShops = map[string]bool{}
	for _, l := range links {
		snap.ERPShops[l.Shop] = true
	}
	snap.ERPOrders = orphans
	refs := make([][]orderbot.OrderRef, len(snap.Orders))
	for i := range snap.Orders {
		refs[i] = orderbot.RefsOf(&snap.Orders[i], links)
	}
	erps, err := p.Store.ERPOf(ctx, refs)
	if err != nil {
		return fmt.Errorf("loading ERP records: %w", err)
	}
	for i := range snap.Records {
		if i < len(erps) {
			snap.Records[i].ERP = erps[i]
		}
	}
	return nil
}
