package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
)

// ERP records of shop orders are kept beside the shop's orders, never in
// their place: a hash per shop order reference (erp:SHOP:HOLDS:VALUE) of ERP
// document name → JSON, so an order split or amended in the ERP keeps every
// record, and a shop order is joined with its records by the references its
// shop's links give (orderbot.RefsOf). A shop whose ERP links by order name
// also gets a name → id index (oname:SHOP:NAME), so the ERP side finds the
// shop order its record names. Both expire after RecordRetention, like orders.

func (s *Store) erpKey(r orderbot.OrderRef) string {
	return s.key("erp", r.Shop, string(r.Holds), r.Value)
}

func (s *Store) orderNameKey(shop, name string) string { return s.key("oname", shop, name) }

// SaveERPOrders stores ERP records under the shop order they name.
func (s *Store) SaveERPOrders(ctx context.Context, recs []orderbot.ErpOrder) error {
	const op = "store.save_erp_orders"
	if len(recs) == 0 {
		return nil
	}
	ttl := s.opts.InFlightRetention // an ERP record lives as long as an order in flight since its last save
	pipe := s.rdb.Pipeline()
	for i := range recs {
		e := &recs[i]
		if e.ID == "" || e.Link.Value == "" {
			return orderbot.Errorf(orderbot.KindInvalid, op, "ERP record %q without a name or a shop order link", e.ID)
		}
		b, err := json.Marshal(e)
		if err != nil {
			return orderbot.Wrap(orderbot.KindInvalid, op, err, "encoding ERP record")
		}
		k := s.erpKey(e.Link)
		pipe.HSet(ctx, k, e.ID, b)
		pipe.Expire(ctx, k, ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ERPOf returns the ERP records filed under each list of references, aligned
// with refs (one list per shop order); records found under two references of
// one order are returned once.
func (s *Store) ERPOf(ctx context.Context, refs [][]orderbot.OrderRef) ([][]orderbot.ErpOrder, error) {
	const op = "store.erp_of"
	out := make([][]orderbot.ErpOrder, len(refs))
	pipe := s.rdb.Pipeline()
	cmds := make([][]*redis.StringSliceCmd, len(refs))
	n := 0
	for i, rs := range refs {
		for _, r := range rs {
			// The record's name is inside its JSON: the values suffice.
			cmds[i] = append(cmds[i], pipe.HVals(ctx, s.erpKey(r)))
			n++
		}
	}
	if n == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, s.fail(op, err)
	}
	for i, cs := range cmds {
		for _, c := range cs {
			for _, v := range c.Val() {
				var e orderbot.ErpOrder
				if err := json.Unmarshal([]byte(v), &e); err != nil {
					return nil, orderbot.Wrap(orderbot.KindPermanent, op, err, fmt.Sprintf("ERP record of %v", refs[i]))
				}
				if len(cs) > 1 && containsERP(out[i], e.ID) {
					continue // filed under two references of the order
				}
				out[i] = append(out[i], e)
			}
		}
	}
	return out, nil
}

// IndexOrderNames records name → id of the orders of a shop whose ERP links
// by order name.
func (s *Store) IndexOrderNames(ctx context.Context, orders []orderbot.Order) error {
	pipe := s.rdb.Pipeline()
	n := 0
	for i := range orders {
		o := &orders[i]
		if o.Name == "" {
			continue
		}
		pipe.Set(ctx, s.orderNameKey(o.Source, o.Name), o.ID, s.opts.InFlightRetention)
		n++
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return s.fail("store.index_order_names", err)
	}
	return nil
}

// ShopOrderIDs resolves references to shop order ids, aligned with refs: an
// id reference is its own value, a name reference is looked up in the name
// index; "" where the name is unknown.
func (s *Store) ShopOrderIDs(ctx context.Context, refs []orderbot.OrderRef) ([]string, error) {
	out := make([]string, len(refs))
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(refs))
	n := 0
	for i, r := range refs {
		if r.Holds == orderbot.LinkID {
			out[i] = r.Value
			continue
		}
		cmds[i] = pipe.Get(ctx, s.orderNameKey(r.Shop, r.Value))
		n++
	}
	if n == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, s.fail("store.shop_order_ids", err)
	}
	for i, c := range cmds {
		if c != nil {
			out[i] = c.Val()
		}
	}
	return out, nil
}

func containsERP(es []orderbot.ErpOrder, id string) bool {
	for i := range es {
		if es[i].ID == id {
			return true
		}
	}
	return false
}
