// Package integrations holds one package per external system orderbot talks to
// (stripe, shopify, erpnext, aftership, kuaidi100, alipay, and the notice senders), each
// implementing the domain's source or sender interfaces from the module root,
// plus the shared outbound HTTP policy in httpclient that every one of them uses
// and the conformance kit their tests run. Each provider has a fake that speaks
// its wire format for tests and the demo, kept apart from the product under
// internal/fakes (internal/fakes/providerfake holds what they share).
//
// Each source package also exports a provider.SourceSpec (its type, defaults,
// configuration block and constructor); cmd/orderbot registers them, and
// docs/adding-a-provider.md walks through adding one.
//
// This package itself holds no code.
package integrations
