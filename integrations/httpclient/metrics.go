package httpclient

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are shared by every provider's client on one registry; the provider
// is a label, never an order or ticket.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	breaker  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_http_requests_total",
			Help: "Outbound HTTP attempts by provider and outcome (ok or the error kind).",
		}, []string{"provider", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orderbot_http_request_duration_seconds",
			Help:    "Duration of outbound HTTP attempts, body included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderbot_http_retries_total",
			Help: "Outbound HTTP retries by provider.",
		}, []string{"provider"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orderbot_http_breaker_state",
			Help: "Circuit breaker state by provider: 0 closed, 1 half-open, 2 open.",
		}, []string{"provider"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.retries, err = register(reg, m.retries); err != nil {
		return nil, err
	}
	if m.breaker, err = register(reg, m.breaker); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under the
// same name, so that every provider's client can share one registry.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
