// Package orderbot holds the domain of the order-exception service: the normalised
// records that sources produce (Order, Payment, StockLevel, Shipment), the anomaly
// kinds with their defaults (the kind registry), anomalies and tickets, the error
// type shared by every layer, and the small interfaces between the parts.
//
// Dependencies point inward: integrations, store, jobs and bot import this package;
// this package imports none of them.
package orderbot
