package memory

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/orderbot/orderbot"
)

// Source holds records in memory and implements every source interface. It is
// safe for concurrent use.
type Source struct {
	name string
	side orderbot.StockSide
	// PageSize is how many records each page callback receives; default 100.
	PageSize int

	mu        sync.Mutex
	orders    map[string]orderbot.Order
	payments  map[string]orderbot.Payment
	stock     map[string]orderbot.StockLevel // by sku+location
	shipments map[string]orderbot.Shipment
	failNext  []error
	calls     int
}

// New returns an empty source; side is the stock view it reports (shop or ERP).
func New(name string, side orderbot.StockSide) *Source {
	return &Source{name: name, side: side, orders: map[string]orderbot.Order{},
		payments: map[string]orderbot.Payment{}, stock: map[string]orderbot.StockLevel{},
		shipments: map[string]orderbot.Shipment{}}
}

// Name implements orderbot.Source.
func (s *Source) Name() string { return s.name }

// Side implements orderbot.InventorySource.
func (s *Source) Side() orderbot.StockSide { return s.side }

// PutOrders adds or replaces orders.
func (s *Source) PutOrders(os ...orderbot.Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range os {
		s.orders[o.ID] = o
	}
}

// PutPayments adds or replaces payments.
func (s *Source) PutPayments(ps ...orderbot.Payment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.payments[p.ID] = p
	}
}

// PutStock adds or replaces stock levels.
func (s *Source) PutStock(ls ...orderbot.StockLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range ls {
		s.stock[l.SKU+"\x00"+l.Location] = l
	}
}

// PutShipments adds or replaces parcels.
func (s *Source) PutShipments(sh ...orderbot.Shipment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range sh {
		s.shipments[x.TrackingNumber] = x
	}
}

// FailNext makes the next calls return these errors, one per call.
func (s *Source) FailNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, errs...)
}

// Calls is how many list or track calls the source answered.
func (s *Source) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *Source) fail() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.failNext) == 0 {
		return nil
	}
	err := s.failNext[0]
	s.failNext = s.failNext[1:]
	return err
}

func (s *Source) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return 100
}

func in(w orderbot.Window, t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

// page hands items to fn in pages, checking ctx between pages.
func page[T any](ctx context.Context, items []T, size int, fn func([]T) error) error {
	for i := 0; i < len(items); i += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(items[i:min(i+size, len(items))]); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// ListOrders implements orderbot.OrderSource: orders updated in w, oldest first.
func (s *Source) ListOrders(ctx context.Context, w orderbot.Window, fn func([]orderbot.Order) error) error {
	if err := s.fail(); err != nil {
		return err
	}
	s.mu.Lock()
	var out []orderbot.Order
	for _, o := range s.orders {
		if in(w, o.UpdatedAt) {
			out = append(out, o)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.Before(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return page(ctx, out, s.pageSize(), fn)
}

// GetOrder implements orderbot.OrderSource.
func (s *Source) GetOrder(ctx context.Context, id string) (orderbot.Order, error) {
	if err := s.fail(); err != nil {
		return orderbot.Order{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return orderbot.Order{}, orderbot.Errorf(orderbot.KindNotFound, "memory.get_order", "order %s not found", id)
	}
	return o, nil
}

// GetPayment implements orderbot.PaymentGetter.
func (s *Source) GetPayment(ctx context.Context, id string) (orderbot.Payment, error) {
	if err := s.fail(); err != nil {
		return orderbot.Payment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.payments[id]; ok {
		return p, nil
	}
	return orderbot.Payment{}, orderbot.Errorf(orderbot.KindNotFound, "memory.get_payment", "payment not found")
}

// ListPayments implements orderbot.PaymentSource: payments created in w, or
// refunded in w (by creation time, as Stripe lists them).
func (s *Source) ListPayments(ctx context.Context, w orderbot.Window, fn func([]orderbot.Payment) error) error {
	if err := s.fail(); err != nil {
		return err
	}
	s.mu.Lock()
	var out []orderbot.Payment
	for _, p := range s.payments {
		hit := in(w, p.CreatedAt)
		for _, r := range p.Refunds {
			hit = hit || in(w, r.CreatedAt)
		}
		if hit {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return page(ctx, out, s.pageSize(), fn)
}

// ListStock implements orderbot.InventorySource.
func (s *Source) ListStock(ctx context.Context, since time.Time, fn func([]orderbot.StockLevel) error) error {
	if err := s.fail(); err != nil {
		return err
	}
	s.mu.Lock()
	var out []orderbot.StockLevel
	for _, l := range s.stock {
		if since.IsZero() || !l.UpdatedAt.Before(since) {
			l.Side, l.Source = s.side, s.name
			out = append(out, l)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].SKU+out[i].Location < out[j].SKU+out[j].Location })
	return page(ctx, out, s.pageSize(), fn)
}

// Track implements orderbot.TrackingSource.
func (s *Source) Track(ctx context.Context, ref orderbot.ShipmentRef) (orderbot.Shipment, error) {
	if err := s.fail(); err != nil {
		return orderbot.Shipment{}, err
	}
	if err := ctx.Err(); err != nil {
		return orderbot.Shipment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shipments[ref.TrackingNumber]
	if !ok {
		return orderbot.Shipment{}, orderbot.Errorf(orderbot.KindNotFound, "memory.track", "parcel not found")
	}
	sh.Source = s.name
	return sh, nil
}

// Lister wraps a Source so that it also lists parcels (like AfterShip); a bare
// Source is a per-parcel tracker (like Kuaidi100).
type Lister struct{ *Source }

// ListShipments implements orderbot.ShipmentLister: parcels whose last event is
// in w.
func (l Lister) ListShipments(ctx context.Context, w orderbot.Window, fn func([]orderbot.Shipment) error) error {
	if err := l.fail(); err != nil {
		return err
	}
	l.mu.Lock()
	var out []orderbot.Shipment
	for _, sh := range l.shipments {
		if in(w, sh.LastEventAt) {
			sh.Source = l.name
			out = append(out, sh)
		}
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].TrackingNumber < out[j].TrackingNumber })
	return page(ctx, out, l.pageSize(), fn)
}
