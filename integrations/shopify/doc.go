// Package shopify is the Shopify Admin REST adapter (providers.md §2): an
// orderbot.OrderSource over GET orders.json and orders/{id}.json, and an
// orderbot.InventorySource on the shop side over locations, products'
// variants and inventory levels. It talks only through the shared httpclient
// policy, authenticates with X-Shopify-Access-Token, follows Link-header
// cursor pagination verbatim (with page_info no other filter may be repeated,
// so the next URL is used as Shopify gives it), and paces itself from the
// X-Shopify-Shop-Api-Call-Limit leaky-bucket header.
//
// # Windows and duplicates
//
// Orders are listed with status=any and updated_at_min/updated_at_max; Shopify
// treats both bounds as inclusive, so orders updated exactly at the window's
// end are dropped here and left to the next window, which starts there. An
// order updated while the listing pages through a window can come back on a
// later page with a newer updated_at: within one call each order is delivered
// at most once per version — a repeat of a version already delivered is
// dropped, a newer version is delivered again, so a consumer that upserts by id
// ends with the newest.
//
// # Mapping
//
// Shopify has no single order status; Status is derived: cancelled_at set →
// cancelled, closed_at set → completed, otherwise pending while no money is
// secured (financial_status pending/voided/expired and not cash on delivery),
// processing after. Shopify REST has no fulfilment hold on the order, so
// on_hold never comes from here. PaidAt is processed_at for orders whose
// financial status records money received. Shipments come from successful
// fulfillments' tracking numbers with tracking_company mapped to a courier
// slug; Refunded sums successful refund transactions.
package shopify
