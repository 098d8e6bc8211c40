// Package erpnext reads an ERPNext (Frappe) site over its v1 REST API
// (/api/resource): Sales Orders as an orderbot.OrderSource and Bins (stock per
// item and warehouse) as the ERP side of orderbot.InventorySource.
//
// Wire format: docs/providers.md §3. Every request goes through the shared
// outbound HTTP policy (integrations/httpclient); this package only knows the
// Frappe query language, its error envelopes and how its documents map onto the
// domain.
//
// Listing is incremental by the modified timestamp and pages by keyset: each page
// asks for rows at or after the last modified value seen, skipping (limit_start)
// only the rows already seen at exactly that value. Plain offset paging would
// silently skip a row whenever an earlier row is modified out of the window while
// paging; with the keyset a modified row only moves later and is read again, and
// the lister keeps the newest version of each document by name.
package erpnext
