package config

import (
	"fmt"
	"github.com/orderbot/orderbot/integrations/provider"
	"regexp"

	"github.com/orderbot/orderbot"
)

// OrderLink is one entry of sources.NAME.order_links: the ERP field that holds
// a shop's order reference.
type OrderLink struct {
	// Shop is the shop source whose orders the field names; it may be left
	// out when one shop source provides orders.
	Shop string `yaml:"shop"`
	// Field is the Sales Order field, e.g. po_no or custom_shopify_order_id.
	Field string `yaml:"field"`
	// Holds is id (the shop's order id) or name (the order name, "#1001").
	Holds orderbot.LinkHolds `yaml:"holds"`
}

// DefaultOrderLink is the link of an ERP source beside a single shop when
// order_links is not set: ERPNext's "Customer's Purchase Order" field (po_no)
// holding the shop's order name, where integrations put outside references.
var DefaultOrderLink = OrderLink{Field: "po_no", Holds: orderbot.LinkName}

// fieldPattern is a Frappe fieldname: lower-case letters, digits and _.
var fieldPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,139}$`)

// shopSources are the enabled sources other than name whose type owns shop
// orders and which provide orders.
func (c *Config) shopSources(except string) []string {
	var out []string
	for _, n := range sortedKeys(c.Sources) {
		s := c.Sources[n]
		if n == except || !s.Enabled || c.orderRole(s.Type) != provider.ShopOrders || !containsDataSet(s.Provides, orderbot.DataOrders) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// ERPView reports whether the source's orders are an ERP's records of shop
// orders rather than orders of their own: an ERPNext source that provides
// orders while a shop source provides them too. Its Sales Orders are then
// linked to the shop's orders through OrderLinksOf and never stored as orders.
func (c *Config) ERPView(name string) bool {
	s, ok := c.Sources[name]
	return ok && c.orderRole(s.Type) == provider.ERPOrders && containsDataSet(s.Provides, orderbot.DataOrders) && len(c.shopSources(name)) > 0
}

// OrderLinksOf returns the effective links of an ERP-view source: its
// order_links with the shop filled in, or DefaultOrderLink to the only shop.
// It is nil for a source that is not an ERP view. Validate first.
func (c *Config) OrderLinksOf(name string) []orderbot.OrderLink {
	if !c.ERPView(name) {
		return nil
	}
	shops := c.shopSources(name)
	links := c.Sources[name].OrderLinks
	if len(links) == 0 {
		links = []OrderLink{DefaultOrderLink}
	}
	out := make([]orderbot.OrderLink, len(links))
	for i, l := range links {
		if l.Shop == "" && len(shops) == 1 {
			l.Shop = shops[0]
		}
		out[i] = orderbot.OrderLink{Shop: l.Shop, Field: l.Field, Holds: l.Holds}
	}
	return out
}

// orderLinks validates sources.NAME.order_links.
func (v validator) orderLinks(name string, s Source) {
	p := "sources." + name + ".order_links"
	if len(s.OrderLinks) == 0 {
		if v.c.ERPView(name) && len(v.c.shopSources(name)) > 1 {
			v.add(p, "required: shops %v provide orders; say which Sales Order field names each shop's order", v.c.shopSources(name))
		}
		return
	}
	if v.c.orderRole(s.Type) != provider.ERPOrders || !containsDataSet(s.Provides, orderbot.DataOrders) {
		v.add(p, "only an ERP source (erpnext) that provides orders links its orders to shop orders")
		return
	}
	shops := v.c.shopSources(name)
	if len(shops) == 0 {
		v.add(p, "no enabled shop source provides orders: with none, the Sales Orders are the orders and need no link")
		return
	}
	seen := map[string]int{}
	for i, l := range s.OrderLinks {
		lp := fmt.Sprintf("%s[%d]", p, i)
		if !fieldPattern.MatchString(l.Field) {
			v.add(lp+".field", "must be a Sales Order fieldname (lower-case letters, digits, _), e.g. po_no or custom_shopify_order_id; got %q", truncate(l.Field, 40))
		}
		if j, dup := seen[l.Field]; dup && l.Field != "" {
			v.add(lp+".field", "%q is already order_links[%d]: one field cannot name orders of two shops", l.Field, j)
		}
		seen[l.Field] = i
		if l.Holds != orderbot.LinkID && l.Holds != orderbot.LinkName {
			v.add(lp+".holds", "must be %q (the shop's order id) or %q (its order name, e.g. #1001); got %q", orderbot.LinkID, orderbot.LinkName, truncate(string(l.Holds), 20))
		}
		switch {
		case l.Shop == "" && len(shops) > 1:
			v.required(lp+".shop", fmt.Sprintf("(several shops provide orders: %v)", shops))
		case l.Shop != "" && !containsString(shops, l.Shop):
			v.add(lp+".shop", "%q is not an enabled shop source that provides orders; shops: %v", truncate(l.Shop, 40), shops)
		}
	}
}

// syncKindRuns reports whether kind k can fire with the configured sources:
// false for the sync kinds while no ERP source mirrors a shop's orders, so a
// deployment without an ERP view needs no department for them.
func (c *Config) syncKindRuns(k orderbot.Kind) bool {
	if k.Category() != "sync" {
		return true
	}
	for _, n := range sortedKeys(c.Sources) {
		if c.Sources[n].Enabled && c.ERPView(n) {
			return true
		}
	}
	return false
}

// orderRole is what a source type's orders are (provider.Defaults.Orders).
func (c *Config) orderRole(t SourceType) provider.OrderRole {
	spec, ok := c.Providers().Source(string(t))
	if !ok {
		return provider.OwnOrders
	}
	return spec.Defaults().Orders
}
