package orderbot

import "time"

// StockSide says whose view of stock a StockLevel is: the shop's (what customers can
// buy) or the ERP's (what the warehouse holds).
type StockSide string

// Stock sides.
const (
	SideShop StockSide = "shop"
	SideERP  StockSide = "erp"
)

// StockLevel is the stock of one SKU at one location as one side sees it.
//
// On the ERP side Available is the physical stock free to ship (ERPNext actual_qty):
// it is not reduced by reservations, because the open orders that reserve it are
// the demand the oversold rule compares it with.
type StockLevel struct {
	SKU       string    `json:"sku"`
	Location  string    `json:"location,omitempty"`
	Available int64     `json:"available"`
	OnHand    int64     `json:"on_hand,omitempty"`
	Reserved  int64     `json:"reserved,omitempty"`
	Projected int64     `json:"projected,omitempty"` // ERP projected qty (ERPNext projected_qty), when reported
	UpdatedAt time.Time `json:"updated_at"`
	Side      StockSide `json:"side"`
	Source    string    `json:"source"` // source name from config
}
