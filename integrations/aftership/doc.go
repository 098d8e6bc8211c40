// Package aftership reads parcel tracking from the AfterShip Tracking API as an
// orderbot.ShipmentLister: every tracking updated in a window, page by page, and
// one tracking by courier slug and number.
//
// Wire format: docs/providers.md §4. The adapter speaks the page-based versions
// (2024-04 by default, 2023-10 and legacy v4), whose single-tracking endpoint
// takes slug and number; 2025-01 dropped that endpoint and paginates by cursor.
// Requests go through integrations/httpclient; AfterShip's x-ratelimit-* headers
// pace the client before it is throttled.
//
// Tags and subtags map onto orderbot.ShipmentStatus (see shipmentStatus); the
// subtags that mean "refused", "returning to sender" and "returned to sender"
// override their Exception tag, and return_to_sender turns a moving parcel into
// a returning one.
package aftership
