package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/detect"
	"github.com/orderbot/orderbot/store"
)

// A large orders window is most of a cycle's time, and listing it (the
// provider's paging) and caching it (Redis) use different resources, so the
// cycle caches each page while the next pages are listed instead of after the
// last one. It also joins each page with the payments and parcels the store
// holds for it (for detection) while listing goes on, when nothing the cycle
// itself fetches later can change them.

// listed are the orders of one listing, page by page as they came, each id
// once in its newest version. A page is never changed after it is handed to
// the stage: a newer version of an order listed on an earlier page goes on
// the current page and the old slot is marked dead.
type listed struct {
	pages [][]orderbot.Order
	// recs, when the stage joined records, is aligned with pages.
	recs [][]detect.OrderRecords
	// at is where each id's newest version is.
	at   map[string]slot
	dead map[slot]bool
	n    int // live orders
}

// slot is an order's place in listed.pages.
type slot struct{ page, idx int }

func (l *listed) has(id string) bool {
	_, ok := l.at[id]
	return ok
}

// release drops the pages; only n stays.
func (l *listed) release() { l.pages, l.recs, l.at, l.dead = nil, nil, nil, nil }

// each calls fn for every live order in listing order, with its joined
// records (nil when the stage did not join them).
func (l *listed) each(fn func(o *orderbot.Order, rec *detect.OrderRecords)) {
	for p, page := range l.pages {
		var recs []detect.OrderRecords
		if p < len(l.recs) {
			recs = l.recs[p]
		}
		for i := range page {
			if len(l.dead) > 0 && l.dead[slot{p, i}] {
				continue
			}
			var rec *detect.OrderRecords
			if i < len(recs) {
				rec = &recs[i]
			}
			fn(&page[i], rec)
		}
	}
}

// stageError is a failure of the stage (the store), which stopped the listing:
// not a failure of the source.
type stageError struct{ err error }

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// stageBacklog is how many pages may wait for the stage before listing waits.
const stageBacklog = 4

// stageBatch bounds how many orders the stage handles at once when pages have
// piled up: merged pages mean fewer Redis round trips.
const stageBatch = 2000

// orderStage caches pages of orders (records, demand, contacts) as the
// listing hands them over and, with join set, reads their payments and
// parcels. It runs on a goroutine of its own; pages are handled in order, so
// a later version of an order is written after an earlier one.
type orderStage struct {
	ctx  context.Context
	st   *store.Store
	join bool
	// names: an ERP links this shop's orders by name; index them.
	names bool
	in    chan stagePage
	done  chan struct{}
	// closed is set when in is closed; used by the listing goroutine only.
	closed bool
	// Written by the stage goroutine only, read after done is closed.
	err  error
	recs [][]detect.OrderRecords
}

// stagePage is listed page number page handed to the stage: its orders are
// chunk[start:end], chunk being one of the listing's chunks from its first
// element (see listOrders), so consecutive pages of a chunk are handled
// together without copying.
type stagePage struct {
	page       int
	chunk      []orderbot.Order
	start, end int
}

func startStage(ctx context.Context, st *store.Store, join, names bool) *orderStage {
	s := &orderStage{ctx: ctx, st: st, join: join, names: names, in: make(chan stagePage, stageBacklog), done: make(chan struct{})}
	go s.run()
	return s
}

// send hands a page over; it returns the stage's error if the stage stopped.
func (s *orderStage) send(p stagePage) error {
	select {
	case s.in <- p:
		return nil
	case <-s.done:
		return &stageError{s.err}
	}
}

// finish waits for the stage to handle every page sent and returns its error.
// It may be called again (a deferred call after a panic of the listing ends
// the stage's goroutine too).
func (s *orderStage) finish() error {
	if !s.closed {
		s.closed = true
		close(s.in)
	}
	<-s.done
	if s.err != nil {
		return &stageError{s.err}
	}
	return nil
}

func (s *orderStage) run() {
	defer close(s.done)
	for p := range s.in {
		batch := []stagePage{p}
		n := p.end - p.start
	more:
		for n < stageBatch {
			select {
			case q, ok := <-s.in:
				if !ok {
					break more
				}
				batch = append(batch, q)
				n += q.end - q.start
			default:
				break more
			}
		}
		if err := s.handle(batch); err != nil {
			s.err = err
			return
		}
	}
}

// handle caches a batch of pages and joins their records. Runs of pages that
// lie next to each other in one chunk go to the store as one slice.
func (s *orderStage) handle(batch []stagePage) error {
	for len(batch) > 0 {
		run := 1
		for run < len(batch) && &batch[run].chunk[0] == &batch[0].chunk[0] && batch[run].start == batch[run-1].end {
			run++
		}
		orders := batch[0].chunk[batch[0].start:batch[run-1].end]
		recs, err := s.cache(orders)
		if err != nil {
			return err
		}
		if s.join {
			for _, p := range batch[:run] {
				for len(s.recs) <= p.page {
					s.recs = append(s.recs, nil)
				}
				n := p.end - p.start
				s.recs[p.page] = recs[:n:n]
				recs = recs[n:]
			}
		}
		batch = batch[run:]
	}
	return nil
}

// cache saves orders and their contacts and, with join set, reads their
// records; the Redis calls run side by side.
func (s *orderStage) cache(orders []orderbot.Order) ([]detect.OrderRecords, error) {
	var (
		wg   sync.WaitGroup
		errs [3]error
		recs []detect.OrderRecords
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.st.SaveOrders(s.ctx, orders); err != nil {
			errs[0] = fmt.Errorf("saving orders: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := s.st.IndexContacts(s.ctx, orders); err != nil {
			errs[1] = fmt.Errorf("indexing contacts: %w", err)
			return
		}
		if s.names {
			if err := s.st.IndexOrderNames(s.ctx, orders); err != nil {
				errs[1] = fmt.Errorf("indexing order names: %w", err)
			}
		}
	}()
	if s.join {
		recs, errs[2] = joinRecords(s.ctx, s.st, orders, nil)
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return recs, nil
}

// listChunk is how many orders one allocation of the listing holds: pages are
// appended to a chunk while it has room, so consecutive pages share memory.
const listChunk = stageBatch

// listOrders lists the window's orders, handing each page to a stage that
// caches it (and, with join, reads its records) while the listing goes on.
// Records seen twice (a record updated while paging) are kept once, the
// newest. A failure of the stage is a *stageError.
func (p *Poller) listOrders(ctx context.Context, src Source, w orderbot.Window, join bool) (*listed, error) {
	l := &listed{at: map[string]slot{}}
	stage := startStage(ctx, p.Store, join, p.linkedByName(src.Name))
	defer func() { _ = stage.finish() }() // ends the stage's goroutine if the listing panics
	var chunk []orderbot.Order
	err := src.Orders.ListOrders(ctx, w, func(page []orderbot.Order) error {
		pi := len(l.pages)
		if cap(chunk)-len(chunk) < len(page) {
			chunk = make([]orderbot.Order, 0, max(listChunk, len(page)))
		}
		start := len(chunk)
		for _, o := range page {
			if s, seen := l.at[o.ID]; seen {
				var old *orderbot.Order
				if s.page == pi {
					old = &chunk[start+s.idx]
				} else {
					old = &l.pages[s.page][s.idx]
				}
				if !o.UpdatedAt.After(old.UpdatedAt) {
					continue
				}
				if s.page == pi { // not handed over yet: replace in place
					*old = o
					continue
				}
				if l.dead == nil {
					l.dead = map[slot]bool{}
				}
				l.dead[s] = true
				l.n--
			}
			l.at[o.ID] = slot{pi, len(chunk) - start}
			chunk = append(chunk, o) // within capacity: earlier pages stay put
			l.n++
		}
		l.pages = append(l.pages, chunk[start:len(chunk):len(chunk)])
		if len(chunk) > start {
			if err := stage.send(stagePage{pi, chunk, start, len(chunk)}); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	serr := stage.finish()
	if serr != nil {
		// The listing stopped because the stage did, or failed on its own
		// while the stage could not cache what it had: either way the cycle
		// cannot go on, and the source is not to blame.
		return nil, serr
	}
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	if join {
		l.recs = stage.recs
	}
	return l, nil
}

// joinRecords reads the cached payments and parcels of orders, aligned with
// them: unknown parcels are nil, and an order none of whose parcels is known
// has no Parcels. ids, when not nil, is aligned with orders and names whose
// payments to read, so that an id the store has no order for (a zero Order)
// still gets its payments.
func joinRecords(ctx context.Context, st *store.Store, orders []orderbot.Order, ids []string) ([]detect.OrderRecords, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	if ids == nil {
		ids = make([]string, len(orders))
		for i := range orders {
			ids[i] = orders[i].ID
		}
	}
	var tracking []string
	for i := range orders {
		for _, ref := range orders[i].Shipments {
			tracking = append(tracking, ref.TrackingNumber)
		}
	}
	var (
		pays    [][]orderbot.Payment
		parcels []orderbot.Shipment
		perr    error
		wg      sync.WaitGroup
	)
	if len(tracking) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if parcels, perr = st.ShipmentsOf(ctx, tracking); perr != nil {
				perr = fmt.Errorf("loading shipments: %w", perr)
			}
		}()
	}
	pays, err := st.PaymentsOf(ctx, ids)
	if err != nil {
		err = fmt.Errorf("loading payments: %w", err)
	}
	wg.Wait()
	if err := errors.Join(err, perr); err != nil {
		return nil, err
	}
	recs := make([]detect.OrderRecords, len(orders))
	var ptrs []*orderbot.Shipment
	if len(parcels) > 0 {
		ptrs = make([]*orderbot.Shipment, len(parcels))
	}
	k := 0
	for i := range orders {
		recs[i].Payments = pays[i]
		n := len(orders[i].Shipments)
		known := false
		for j := k; j < k+n; j++ {
			if parcels[j].TrackingNumber != "" {
				ptrs[j] = &parcels[j]
				known = true
			}
		}
		if known {
			recs[i].Parcels = ptrs[k : k+n : k+n]
		}
		k += n
	}
	return recs, nil
}
