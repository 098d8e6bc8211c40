package store

import (
	"hash/crc32"
	"strconv"
)

// Sharded key spaces. Data that one script must see whole (a ticket's
// indexes) would pin everything to one Redis Cluster slot; data that only
// needs a batch's worth of keys in one script (the contact index) is split
// over many hash tags instead, so a cluster spreads it over every master and
// a script still runs on keys of one slot.
//
// shardTags returns n hash tags for the key space named space. Each tag is
// chosen so that its slot (CRC16 mod 16384, as Redis Cluster computes it) lies
// in the k-th of n equal slot ranges: a cluster created with the usual
// contiguous, equal slot ranges per master then holds an equal share of the
// tags on each master, rather than whatever share chance would give.
func shardTags(space string, n int) []string {
	tags := make([]string, n)
	for k := range tags {
		lo, hi := k*slotCount/n, (k+1)*slotCount/n
		base := space + strconv.Itoa(k)
		for j := 0; ; j++ {
			t := base + "." + strconv.Itoa(j)
			if s := int(crc16(t)) % slotCount; s >= lo && s < hi {
				tags[k] = "{" + t + "}"
				break
			}
		}
	}
	return tags
}

// slotCount is Redis Cluster's number of hash slots.
const slotCount = 16384

// shardOf picks one of n shards for a string (a contact digest, an order id).
func shardOf(s string, n int) int {
	return int(crc32.ChecksumIEEE([]byte(s)) % uint32(n))
}

// crc16 is the CRC16/XMODEM Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
