package demo

import (
	"fmt"
	"strings"
)

// ConfigYAML returns an orderbot.yaml whose sources point at the simulated
// services, with their credentials referenced as ${VARS}, and the environment
// (NAME=value) that supplies them. Acceptance tests run the real binary with it;
// it also shows what a real configuration of these five sources looks like.
func (p *Providers) ConfigYAML(schedule string) (yaml string, env []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "sources:\n")
	src := func(name, typ, url, block string) {
		fmt.Fprintf(&b, "  %s:\n    type: %s\n    schedule: %q\n    api_url: %s\n    initial_lookback: 720h\n    rate_limit: 500\n%s", name, typ, schedule, url, block)
	}
	src(SourceShopify, "shopify", p.Shopify.URL(), "    shopify: {access_token: \"${OB_SHOPIFY_TOKEN}\"}\n")
	src(SourceStripe, "stripe", p.Stripe.URL(), "    stripe: {secret_key: \"${OB_STRIPE_KEY}\"}\n")
	src(SourceERPNext, "erpnext", p.ERPNext.URL(), "    erpnext: {api_key: \"${OB_ERPNEXT_KEY}\", api_secret: \"${OB_ERPNEXT_SECRET}\"}\n")
	src(SourceAfterShip, "aftership", p.AfterShip.URL(), "    aftership: {api_key: \"${OB_AFTERSHIP_KEY}\"}\n")
	src(SourceKuaidi100, "kuaidi100", p.Kuaidi100.URL(), "    kuaidi100: {customer: \"${OB_KUAIDI100_CUSTOMER}\", key: \"${OB_KUAIDI100_KEY}\"}\n")
	env = []string{
		"OB_SHOPIFY_TOKEN=" + p.Shopify.AccessToken(),
		"OB_STRIPE_KEY=" + p.Stripe.APIKey(),
		"OB_ERPNEXT_KEY=" + erpKey, "OB_ERPNEXT_SECRET=" + erpSecret,
		"OB_AFTERSHIP_KEY=" + afterShipKey,
		"OB_KUAIDI100_CUSTOMER=" + kuaidiCustomer, "OB_KUAIDI100_KEY=" + kuaidiKey,
	}
	return b.String(), env
}
