package kuaidi100

import "strings"

// TracksCarrier reports whether the carrier (a courier slug such as
// "sf-express", or a Kuaidi100 company code such as "shunfeng") is one this
// client maps to a Kuaidi100 company. It implements orderbot.CarrierTracker.
func (c *Client) TracksCarrier(carrier string) bool {
	k := strings.ToLower(strings.TrimSpace(carrier))
	if k == "" {
		return false
	}
	if _, ok := c.carriers[k]; ok {
		return true
	}
	for _, code := range c.carriers {
		if code == k {
			return true
		}
	}
	return false
}
