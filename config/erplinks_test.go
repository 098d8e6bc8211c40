package config

import (
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

const linkShops = `sources:
  shopify:
    api_url: https://x.myshopify.com
    shopify: {access_token: t}
  erpnext:
    api_url: https://erp.example.com
    provides: [inventory, orders]
    erpnext: {api_key: k, api_secret: s}
`

func TestOrderLinks(t *testing.T) {
	// Beside one shop, with no links set, po_no holding the order name.
	c := mustParse(t, linkShops, noEnv)
	if !c.ERPView("erpnext") || c.ERPView("shopify") {
		t.Fatal("erpnext beside shopify is not the ERP view")
	}
	if got := c.OrderLinksOf("erpnext"); len(got) != 1 || got[0] != (orderbot.OrderLink{Shop: "shopify", Field: "po_no", Holds: orderbot.LinkName}) {
		t.Fatalf("default links %+v", got)
	}
	// Set links get the only shop filled in.
	c = mustParse(t, linkShops+"    order_links: [{field: custom_shopify_order_id, holds: id}]\n", noEnv)
	if got := c.OrderLinksOf("erpnext"); len(got) != 1 || got[0] != (orderbot.OrderLink{Shop: "shopify", Field: "custom_shopify_order_id", Holds: orderbot.LinkID}) {
		t.Fatalf("links %+v", got)
	}
	// Without a shop the Sales Orders are the orders.
	c = mustParse(t, "sources:\n  erpnext:\n    api_url: https://erp.example.com\n    provides: [orders]\n    erpnext: {api_key: k, api_secret: s}\n", noEnv)
	if c.ERPView("erpnext") || c.OrderLinksOf("erpnext") != nil {
		t.Fatal("a lone erpnext source is an ERP view")
	}

	twoShops := "sources:\n  shop-eu:\n    type: shopify\n    api_url: https://eu.myshopify.com\n    shopify: {access_token: t}\n" +
		strings.TrimPrefix(linkShops, "sources:\n")
	for _, tt := range []struct{ name, doc, want string }{
		{"bad holds", linkShops + "    order_links: [{field: po_no, holds: number}]\n", `sources.erpnext.order_links[0].holds: must be "id"`},
		{"bad field", linkShops + "    order_links: [{field: \"PO No\", holds: name}]\n", "sources.erpnext.order_links[0].field: must be a Sales Order fieldname"},
		{"same field twice", linkShops + "    order_links: [{field: po_no, holds: name}, {field: po_no, holds: id}]\n", "sources.erpnext.order_links[1].field: \"po_no\" is already order_links[0]"},
		{"unknown shop", linkShops + "    order_links: [{shop: shopfy, field: po_no, holds: name}]\n", "sources.erpnext.order_links[0].shop: \"shopfy\" is not an enabled shop source"},
		{"several shops, no links", twoShops, "sources.erpnext.order_links: required: shops [shop-eu shopify]"},
		{"several shops, link without shop", twoShops + "    order_links: [{field: po_no, holds: name}]\n", "sources.erpnext.order_links[0].shop: required (several shops"},
		{"links on a lone ERP", "sources:\n  erpnext:\n    api_url: https://erp.example.com\n    provides: [orders]\n    order_links: [{field: po_no, holds: name}]\n    erpnext: {api_key: k, api_secret: s}\n", "sources.erpnext.order_links: no enabled shop source provides orders"},
		{"links on a shop", "sources:\n  shopify:\n    api_url: https://x.myshopify.com\n    order_links: [{field: po_no, holds: name}]\n    shopify: {access_token: t}\n", "sources.shopify.order_links: only an ERP source (erpnext)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith(testProviders, []byte(tt.doc), noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Several shops into one ERP, one field each.
	c = mustParse(t, twoShops+"    order_links: [{shop: shopify, field: custom_shopify_order_id, holds: id}, {shop: shop-eu, field: po_no, holds: name}]\n", noEnv)
	if got := c.OrderLinksOf("erpnext"); len(got) != 2 || got[1].Shop != "shop-eu" {
		t.Fatalf("links %+v", got)
	}
}
