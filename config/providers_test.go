package config

import (
	"github.com/orderbot/orderbot/integrations/aftership"
	"github.com/orderbot/orderbot/integrations/alipay"
	"github.com/orderbot/orderbot/integrations/erpnext"
	"github.com/orderbot/orderbot/integrations/kuaidi100"
	"github.com/orderbot/orderbot/integrations/provider"
	"github.com/orderbot/orderbot/integrations/shopify"
	"github.com/orderbot/orderbot/integrations/stripe"
)

// testProviders are the source types the tests parse with: the real specs, so
// that their blocks' checks are tested through the whole configuration.
var testProviders = provider.NewRegistry(stripe.Spec, shopify.Spec, erpnext.Spec, aftership.Spec, kuaidi100.Spec, alipay.Spec)
