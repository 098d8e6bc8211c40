package main

import (
	"github.com/orderbot/orderbot/demo"
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/provider"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
	"github.com/orderbot/orderbot/internal/fakes/alipayfake"
)

// sourceTypes lists every source provider package: its spec, and the
// simulated counterpart the demo runs in its place. This list is the only place
// a source type is named outside its own package (docs/adding-a-provider.md).
var sourceTypes = []struct {
	spec      provider.SourceSpec
	simulated demo.NewSimulated
}{
	{shopify.Spec, demo.SimulatedShopify},
	{stripe.Spec, demo.SimulatedStripe},
	{erpnext.Spec, demo.SimulatedERPNext},
	{aftership.Spec, demo.SimulatedAfterShip},
	{kuaidi100.Spec, demo.SimulatedKuaidi100},
	{alipay.Spec, alipayfake.Simulated},
}

// providers is the registry of source types, filled from sourceTypes.
func providers() *provider.Registry {
	specs := make([]provider.SourceSpec, len(sourceTypes))
	for i, t := range sourceTypes {
		specs[i] = t.spec
	}
	return provider.NewRegistry(specs...)
}

// simulatedSources are the demo's stand-ins, one per source type.
func simulatedSources() []demo.NewSimulated {
	out := make([]demo.NewSimulated, len(sourceTypes))
	for i, t := range sourceTypes {
		out[i] = t.simulated
	}
	return out
}
