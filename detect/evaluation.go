package detect

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/orderbot/orderbot"
)

// evaluation records which (kind, subject) pairs a cycle examined with complete
// data. It is kept per grouping rather than per pair: a 100,000-order cycle with
// 14 order kinds must not build 1.4 million entries. An order subject is
// evaluated for kind k when k was active this cycle (enabled, every data set it
// needs covered), the order was examined, and k did not have to skip that order
// for lack of coverage at the times that matter to it (the rare exception list).
type evaluation struct {
	// kinds are the kinds active this cycle.
	kinds kindMask
	// orders are the order ids examined: every order of the snapshot, plus order
	// ids known only from payments.
	orders *orderIndex
	// skipped lists, per order id, the kinds that could not decide for that order
	// (coverage behind the rule's deadline, or an order known only from its
	// payments). Usually empty.
	skipped map[string]kindMask
	// skus are, per SKU, the inventory kinds that examined it.
	skus map[string]kindMask
	// sources are, per source name, the kinds that examined it (sync lag per
	// shop-side source, source down per polled source).
	sources map[string]kindMask
	// orderSources are the distinct order sources of the snapshot's orders, for
	// system.stuck groups.
	orderSources []string
}

// has reports whether kind k examined subject with complete data this cycle.
func (e *evaluation) has(k orderbot.Kind, subject string) bool {
	i, ok := indexOf(k)
	if !ok || !e.kinds.has(i) || subject == "" {
		return false
	}
	switch i {
	case kOversold, kLowStock:
		return e.skus[subject].has(i)
	case kSyncLag, kSourceDown:
		return e.sources[subject].has(i)
	case kStuck:
		// Every stuck order is on the watch list with NextCheck = now, so it is in
		// every regular cycle's snapshot while it stays stuck: a cycle that holds
		// orders of the group's source has seen every member of the group, and
		// a group it did not report has emptied. A snapshot without orders of
		// that source (a source-health-only cycle) says nothing about it.
		src, status, ok := strings.Cut(subject, "/")
		if !ok || src == "" || status == "" {
			return false
		}
		for _, s := range e.orderSources {
			if s == src {
				return true
			}
		}
		return false
	}
	if e.orders == nil {
		return false
	}
	at, ok := e.orders.find(subject)
	if !ok || e.skipped[subject].has(i) {
		return false
	}
	if (i == kInvalidPhone || i == kInvalidAddr) && at < len(e.orders.orders) {
		// Customer data is judged only until the parcel leaves. A ticket still
		// open when the order shipped was not fixed in time; it stays for staff
		// to close rather than clearing itself.
		if o := &e.orders.orders[at]; o.Shipped() && !o.Cancelled() {
			return false
		}
	}
	return true
}

// orderIndex is the set of order ids a cycle examined: every order of the
// snapshot plus the ids known only from payments. It refers to the snapshot's
// order slice instead of copying ids, so the detection loop only hashes each id
// while the order is in cache; the open-addressing table of id hashes is built
// on first use (the unknown-order payment scan or the first WasEvaluated call). A hash hit is
// confirmed by comparing the id, so the set is exact. The Result therefore
// reads the snapshot's orders: the caller must not change them while it still
// asks the Result.
type orderIndex struct {
	seed   maphash.Seed
	orders []orderbot.Order
	extra  []string // ids known only from payments
	once   sync.Once
	// hashes are of orders[i].ID, then of extra[i-len(orders)]. The detection
	// loop fills the first part before the index is built (see run.orders).
	hashes []uint64
	table  []int32 // index into hashes + 1; 0 is an empty slot
	mask   uint64
}

func newOrderIndex(seed maphash.Seed, orders []orderbot.Order) *orderIndex {
	return &orderIndex{seed: seed, orders: orders}
}

func (x *orderIndex) id(i int) string {
	if i < len(x.orders) {
		return x.orders[i].ID
	}
	return x.extra[i-len(x.orders)]
}

func (x *orderIndex) size() int { return len(x.orders) + len(x.extra) }

func (x *orderIndex) build() {
	x.once.Do(func() {
		// The detection loop usually hashed the orders already (hashes is then
		// as long as orders); the ids known only from payments, added before
		// the first build, are hashed here.
		if len(x.hashes) != len(x.orders) {
			x.hashes = make([]uint64, len(x.orders), x.size())
			for i := range x.orders {
				x.hashes[i] = maphash.String(x.seed, x.orders[i].ID)
			}
		}
		for _, id := range x.extra {
			x.hashes = append(x.hashes, maphash.String(x.seed, id))
		}
		x.rebuild()
	})
}

func (x *orderIndex) rebuild() {
	size := uint64(16)
	for size < uint64(len(x.hashes))*2 {
		size <<= 1
	}
	x.table = make([]int32, size)
	x.mask = size - 1
	for i, h := range x.hashes {
		if x.id(i) != "" {
			x.insert(h, i)
		}
	}
}

func (x *orderIndex) insert(h uint64, i int) {
	for j := h & x.mask; ; j = (j + 1) & x.mask {
		if x.table[j] == 0 {
			x.table[j] = int32(i) + 1
			return
		}
	}
}

// find returns the position of id: an index into orders, or past it for an id
// known only from payments.
func (x *orderIndex) find(id string) (int, bool) {
	if id == "" {
		return 0, false
	}
	x.build()
	h := maphash.String(x.seed, id)
	for j := h & x.mask; ; j = (j + 1) & x.mask {
		k := x.table[j]
		if k == 0 {
			return 0, false
		}
		if x.hashes[k-1] == h && x.id(int(k-1)) == id {
			return int(k - 1), true
		}
	}
}

// add records an id examined after the loop over orders (an order known only
// from its payments). It is called from Run only, before the Result is shared.
func (x *orderIndex) add(id string) {
	x.extra = append(x.extra, id)
	if x.table == nil {
		return // not built yet: build hashes it with the others
	}
	x.hashes = append(x.hashes, maphash.String(x.seed, id))
	if uint64(len(x.hashes))*2 > uint64(len(x.table)) {
		x.rebuild()
		return
	}
	x.insert(x.hashes[len(x.hashes)-1], len(x.hashes)-1)
}
