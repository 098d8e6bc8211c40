package config

import (
	"fmt"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/provider"
	"go.yaml.in/yaml/v3"
)

// SourceType is the kind of system a source polls: a type registered in the
// provider.Registry the configuration was parsed with (stripe, shopify, ...).
type SourceType string

// DefaultSchedule is how often a source is polled when it sets no schedule.
const DefaultSchedule = "@every 1m"

// Generic source defaults; a provider's Defaults may replace the look-backs.
const (
	defaultOverlap         = 10 * time.Minute
	defaultInitialLookback = 72 * time.Hour
	defaultRecheckEvery    = 2 * time.Hour
)

// unsetDuration marks overlap, initial_lookback and recheck_every left out of
// the file until ApplyDefaults knows the type (0 is a valid overlap).
const unsetDuration = Duration(-1 << 62)

// Source is one polled system. Exactly one type-specific block, the one named
// like Type, holds its credentials and options; the provider package of the
// type declares it (provider.SourceSpec.NewBlock).
type Source struct {
	// Type is a registered source type (stripe, shopify, erpnext, aftership,
	// kuaidi100, alipay). It may be left out when the source's name is a type
	// ("shopify:").
	Type SourceType `yaml:"type"`
	// Enabled: a disabled source is not polled and needs no credentials.
	Enabled bool `yaml:"enabled"`
	// Schedule is a cron spec (seconds optional) or a descriptor such as
	// "@every 1m" or "@hourly".
	Schedule string `yaml:"schedule"`
	// APIURL is the base URL of the provider's API (the adapter appends paths),
	// so a sandbox or a local fake can stand in.
	APIURL string `yaml:"api_url"`
	// Provides lists the data sets this source is polled for.
	Provides []orderbot.DataSet `yaml:"provides,flow"`
	// OrderLinks say, for an ERP source that provides orders next to a shop,
	// which ERP field holds the shop's order id or name (see erplinks.go).
	OrderLinks []OrderLink `yaml:"order_links,omitempty"`
	// Overlap is the look-back: each poll asks for records updated since the
	// last cursor minus Overlap, to catch updates committed late.
	Overlap Duration `yaml:"overlap"`
	// InitialLookback is how far back the very first poll of a source reaches
	// (there is no cursor yet). Later polls start at their cursor.
	InitialLookback Duration `yaml:"initial_lookback"`
	// RecheckEvery is how often a source that answers one record at a time
	// (Kuaidi100 per parcel, Alipay per order) is asked again about a record
	// still in doubt.
	RecheckEvery Duration `yaml:"recheck_every"`
	// Timeout bounds one HTTP request.
	Timeout Duration `yaml:"timeout"`
	// MaxRetries is how often a failed idempotent request is retried.
	MaxRetries int `yaml:"max_retries"`
	// RateLimit is requests per second to this provider.
	RateLimit float64 `yaml:"rate_limit"`

	// Block is the type's own block (sources.NAME.<type>), decoded into the
	// struct its provider declares; nil until the type is known.
	Block provider.Block `yaml:"-"`

	// blockNode is the undecoded block between decoding and bindBlocks.
	blockNode *yaml.Node
}

// NewSource returns a source of type t with every default applied, enabled,
// for code that builds a Config without a file (the demo, tests). Its Block is
// the type's block with defaults; the caller sets credentials on it.
func (c *Config) NewSource(t SourceType) Source {
	s := genericSourceDefaults()
	s.Type = t
	if spec, ok := c.providers.Source(string(t)); ok {
		s.Block = spec.NewBlock()
	}
	s.applyDefaults(c.providers, string(t))
	return s
}

// genericSourceDefaults are the defaults that do not depend on the type.
func genericSourceDefaults() Source {
	return Source{
		Enabled:         true,
		Schedule:        DefaultSchedule,
		Overlap:         unsetDuration,
		InitialLookback: unsetDuration,
		RecheckEvery:    unsetDuration,
		Timeout:         Duration(15 * time.Second),
		MaxRetries:      3,
	}
}

// UnmarshalYAML starts a source from the defaults that a zero value cannot
// express (enabled: true, max_retries: 3), so that leaving a key out and
// writing false or 0 stay different. The type's block is kept undecoded: which
// struct it decodes into depends on the registry (bindBlocks).
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	type plain Source
	p := plain(genericSourceDefaults())
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Source(p)
	if n.Kind == yaml.MappingNode {
		fields := structFields(sourceType)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if _, ok := fields.byName[n.Content[i].Value]; !ok {
				// The walker let through only the block named like the type.
				s.blockNode = n.Content[i+1]
			}
		}
	}
	return nil
}

// MarshalYAML writes the source with its block under the type's key.
func (s Source) MarshalYAML() (any, error) {
	type plain Source
	var n yaml.Node
	if err := n.Encode(plain(s)); err != nil {
		return nil, err
	}
	if s.Block != nil && s.Type != "" {
		var b yaml.Node
		if err := b.Encode(s.Block); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(s.Type)}, &b)
	}
	return &n, nil
}

// bindBlocks decodes each source's block into the struct its type declares.
// A source of an unknown type keeps no block; validation reports the type.
func (c *Config) bindBlocks(ps *problems) {
	for name, s := range c.Sources {
		s.inferType(c.providers, name)
		spec, ok := c.providers.Source(string(s.Type))
		if !ok {
			s.blockNode = nil
			c.Sources[name] = s
			continue
		}
		b := spec.NewBlock()
		if s.blockNode != nil {
			if err := s.blockNode.Decode(b); err != nil {
				ps.add("sources."+name+"."+string(s.Type), fmt.Sprintf("%v", err))
			}
		}
		s.Block, s.blockNode = b, nil
		c.Sources[name] = s
	}
}

// inferType gives a source without a type, named after a type, that type.
func (s *Source) inferType(reg *provider.Registry, name string) {
	if s.Type == "" {
		if _, ok := reg.Source(name); ok {
			s.Type = SourceType(name)
		}
	}
}

// applyDefaults fills the type-dependent defaults from the provider's spec.
func (s *Source) applyDefaults(reg *provider.Registry, name string) {
	s.inferType(reg, name)
	if s.Schedule == "" {
		s.Schedule = DefaultSchedule
	}
	spec, ok := reg.Source(string(s.Type))
	var d provider.Defaults
	if ok {
		d = spec.Defaults()
	}
	if s.Overlap == unsetDuration {
		s.Overlap = Duration(orDefault(d.Overlap, defaultOverlap))
	}
	if s.InitialLookback == unsetDuration {
		s.InitialLookback = Duration(orDefault(d.InitialLookback, defaultInitialLookback))
	}
	if s.RecheckEvery == unsetDuration {
		s.RecheckEvery = Duration(orDefault(d.RecheckEvery, defaultRecheckEvery))
	}
	if !ok {
		return
	}
	if s.Block == nil {
		s.Block = spec.NewBlock()
	}
	s.Block.ApplyDefaults(&s.APIURL)
	if s.APIURL == "" {
		s.APIURL = d.APIURL
	}
	if len(s.Provides) == 0 {
		s.Provides = append([]orderbot.DataSet(nil), d.Provides...)
	}
	if s.RateLimit == 0 {
		s.RateLimit = d.RateLimit
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Has reports whether the source provides data set d.
func (s Source) Has(d orderbot.DataSet) bool {
	for _, p := range s.Provides {
		if p == d {
			return true
		}
	}
	return false
}

// UseProviders sets the source types a Config built in code knows (Parse
// takes them as an argument). Call it before adding sources and ApplyDefaults.
func (c *Config) UseProviders(reg *provider.Registry) { c.providers = reg }

// Providers returns the source types the configuration was parsed with.
func (c *Config) Providers() *provider.Registry { return c.providers }
