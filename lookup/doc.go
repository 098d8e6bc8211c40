// Package lookup finds an order from whatever staff type — an order id or
// display name, a tracking number, a customer phone or email — and assembles one
// view of it across the shop, payments, parcels and tickets. It serves
// `/ob order …` and the manual tickets of `/ob open …`.
//
// It reads the store's record cache first (what the polls saw) and asks the
// order sources only when the cache does not know the order.
package lookup
