// Package provider is where each adapter declares itself once: a source type
// (Stripe, Shopify, ERPNext, AfterShip, Kuaidi100, Alipay) exports a SourceSpec
// with its type name, the data sets it provides, its defaults, its
// configuration block with validation, and how it is built. cmd/orderbot fills
// a Registry with the specs at start-up; config, the wiring and the demo read
// the registry instead of switching on type names.
//
// The model is target/goalert's notification/nfydest: a small interface per
// provider, optional capabilities found by type assertion, and an explicit
// registry that refuses a duplicate id and keeps registration order.
package provider
