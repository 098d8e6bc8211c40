package config

import (
	"time"

	"github.com/orderbot/orderbot"
)

// KindConfig overrides a kind's defaults. Every field is optional: nil keeps the
// default of product.md §3 (orderbot.DefaultSettings).
type KindConfig struct {
	Enabled    *bool              `yaml:"enabled,omitempty"`
	Department *string            `yaml:"department,omitempty"`
	Severity   *orderbot.Severity `yaml:"severity,omitempty"`
	AckSLA     *Duration          `yaml:"ack_sla,omitempty"`
	// ResolveSLA set on a kind whose resolve target is the order's ship-by
	// deadline (customer.*) replaces that deadline with a fixed duration.
	ResolveSLA *Duration       `yaml:"resolve_sla,omitempty"`
	Notices    *NoticeSwitches `yaml:"notices,omitempty"`
	Params     *KindParams     `yaml:"params,omitempty"`
	// Flap overrides when a condition opens and auto-resolves its ticket.
	Flap *FlapConfig `yaml:"flap,omitempty"`
}

// NoticeSwitches override on which ticket events a customer notice goes out.
type NoticeSwitches struct {
	OnOpen    *bool `yaml:"on_open,omitempty"`
	OnResolve *bool `yaml:"on_resolve,omitempty"`
	OnBreach  *bool `yaml:"on_breach,omitempty"`
}

// KindParams override detection thresholds. Each kind accepts only the keys in
// its orderbot.KindSpec.ParamNames; validation rejects the others by path.
type KindParams struct {
	After     *Duration `yaml:"after,omitempty"`
	Warn      *Duration `yaml:"warn,omitempty"`
	Tolerance *float64  `yaml:"tolerance,omitempty"`
	Units     *int64    `yaml:"units,omitempty"`
	MaxAge    *Duration `yaml:"max_age,omitempty"`
	// Statuses replaces the whole default map when set.
	Statuses map[orderbot.OrderStatus]Duration `yaml:"statuses,omitempty"`
	// SKUs replaces the whole default map when set.
	SKUs     map[string]int64 `yaml:"skus,omitempty"`
	Failures *int             `yaml:"failures,omitempty"`
	// CaptureWithin is how long a payment authorisation may stay uncaptured.
	CaptureWithin *Duration `yaml:"capture_within,omitempty"`
}

// set returns the YAML names of the params that are set, in declaration order.
func (p *KindParams) set() []string {
	if p == nil {
		return nil
	}
	var out []string
	add := func(ok bool, name string) {
		if ok {
			out = append(out, name)
		}
	}
	add(p.After != nil, "after")
	add(p.Warn != nil, "warn")
	add(p.Tolerance != nil, "tolerance")
	add(p.Units != nil, "units")
	add(p.MaxAge != nil, "max_age")
	add(p.Statuses != nil, "statuses")
	add(p.SKUs != nil, "skus")
	add(p.Failures != nil, "failures")
	add(p.CaptureWithin != nil, "capture_within")
	return out
}

// KindSettings returns the effective settings of every kind: the defaults of
// orderbot.DefaultKindSettings with this config's overrides applied. Overrides
// of unknown kinds are ignored (validation reports them).
func (c *Config) KindSettings() map[orderbot.Kind]orderbot.KindSettings {
	m := orderbot.DefaultKindSettings()
	for k, o := range c.Kinds {
		s, ok := m[k]
		if !ok {
			continue
		}
		m[k] = o.apply(s)
	}
	return m
}

// apply returns s with the overrides of o.
func (o KindConfig) apply(s orderbot.KindSettings) orderbot.KindSettings {
	if o.Enabled != nil {
		s.Enabled = *o.Enabled
	}
	if o.Department != nil {
		s.Department = *o.Department
	}
	if o.Severity != nil {
		s.Severity = *o.Severity
	}
	if o.AckSLA != nil {
		s.AckSLA = o.AckSLA.D()
	}
	if o.ResolveSLA != nil {
		s.ResolveSLA = o.ResolveSLA.D()
		s.ResolveByShipBy = false
	}
	if n := o.Notices; n != nil {
		if n.OnOpen != nil {
			s.Notices.OnOpen = *n.OnOpen
		}
		if n.OnResolve != nil {
			s.Notices.OnResolve = *n.OnResolve
		}
		if n.OnBreach != nil {
			s.Notices.OnBreach = *n.OnBreach
		}
	}
	if p := o.Params; p != nil {
		if p.After != nil {
			s.Params.After = p.After.D()
		}
		if p.Warn != nil {
			s.Params.Warn = p.Warn.D()
		}
		if p.Tolerance != nil {
			s.Params.Tolerance = *p.Tolerance
		}
		if p.Units != nil {
			s.Params.Units = *p.Units
		}
		if p.MaxAge != nil {
			s.Params.MaxAge = p.MaxAge.D()
		}
		if p.Statuses != nil {
			s.Params.Statuses = make(map[orderbot.OrderStatus]time.Duration, len(p.Statuses))
			for st, d := range p.Statuses {
				s.Params.Statuses[st] = d.D()
			}
		}
		if p.SKUs != nil {
			s.Params.SKUs = make(map[string]int64, len(p.SKUs))
			for sku, n := range p.SKUs {
				s.Params.SKUs[sku] = n
			}
		}
		if p.Failures != nil {
			s.Params.Failures = *p.Failures
		}
		if p.CaptureWithin != nil {
			s.Params.CaptureWithin = p.CaptureWithin.D()
		}
	}
	s.Flap = o.Flap.apply(s.Flap)
	return s
}

// effectiveKindConfig renders effective settings back as a fully populated
// KindConfig, for Redacted. Only the params the kind takes are shown.
func effectiveKindConfig(s orderbot.KindSettings) KindConfig {
	b := func(v bool) *bool { return &v }
	d := func(v time.Duration) *Duration { x := Duration(v); return &x }
	dept, sev := s.Department, s.Severity
	kc := KindConfig{
		Enabled:    b(s.Enabled),
		Department: &dept,
		Severity:   &sev,
		AckSLA:     d(s.AckSLA),
		Notices: &NoticeSwitches{OnOpen: b(s.Notices.OnOpen), OnResolve: b(s.Notices.OnResolve),
			OnBreach: b(s.Notices.OnBreach)},
	}
	if !s.ResolveByShipBy {
		kc.ResolveSLA = d(s.ResolveSLA)
	}
	spec, _ := orderbot.Spec(s.Kind)
	if !spec.Manual {
		kc.Flap = effectiveFlap(s.Flap)
	}
	if len(spec.ParamNames) == 0 {
		return kc
	}
	p := &KindParams{}
	for _, name := range spec.ParamNames {
		switch name {
		case "after":
			p.After = d(s.Params.After)
		case "warn":
			p.Warn = d(s.Params.Warn)
		case "tolerance":
			v := s.Params.Tolerance
			p.Tolerance = &v
		case "units":
			v := s.Params.Units
			p.Units = &v
		case "max_age":
			p.MaxAge = d(s.Params.MaxAge)
		case "statuses":
			p.Statuses = make(map[orderbot.OrderStatus]Duration, len(s.Params.Statuses))
			for st, v := range s.Params.Statuses {
				p.Statuses[st] = Duration(v)
			}
		case "skus":
			p.SKUs = make(map[string]int64, len(s.Params.SKUs))
			for sku, v := range s.Params.SKUs {
				p.SKUs[sku] = v
			}
		case "failures":
			v := s.Params.Failures
			p.Failures = &v
		case "capture_within":
			p.CaptureWithin = d(s.Params.CaptureWithin)
		}
	}
	kc.Params = p
	return kc
}
