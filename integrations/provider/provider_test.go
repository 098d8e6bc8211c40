package provider_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/provider"
)

type block struct{ Key string }

func (*block) ApplyDefaults(*string)                         {}
func (*block) Validate(provider.Problems, bool)              {}
func build(provider.Common, *block) (orderbot.Source, error) { return nil, nil }

func spec(typ string) provider.SourceSpec {
	return provider.NewSourceSpec(typ, provider.Defaults{}, build)
}

// TestRegistry: types are listed in registration order; a duplicate or empty
// type is refused; an unknown type is not found, also in a nil registry.
func TestRegistry(t *testing.T) {
	var r provider.Registry
	for _, typ := range []string{"zeta", "alpha", "mid"} {
		if err := r.AddSource(spec(typ)); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.SourceTypes(); !slices.Equal(got, []string{"zeta", "alpha", "mid"}) {
		t.Errorf("types = %v, want registration order", got)
	}
	if err := r.AddSource(spec("alpha")); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
	if err := r.AddSource(spec("")); err == nil {
		t.Error("empty type accepted")
	}
	if _, ok := r.Source("nope"); ok {
		t.Error("unknown type found")
	}
	var nilReg *provider.Registry
	if _, ok := nilReg.Source("zeta"); ok || nilReg.SourceTypes() != nil {
		t.Error("a nil registry knows types")
	}
	s, ok := r.Source("mid")
	if !ok || s.Type() != "mid" {
		t.Fatalf("Source(mid) = %v, %v", s, ok)
	}
	if _, err := s.Build(provider.Common{}, &block{}); err != nil {
		t.Errorf("Build with its own block: %v", err)
	}
	if _, err := s.Build(provider.Common{}, otherBlock{}); err == nil {
		t.Error("Build accepted another type's block")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewRegistry accepted a duplicate")
		}
	}()
	provider.NewRegistry(spec("a"), spec("a"))
}

type otherBlock struct{}

func (otherBlock) ApplyDefaults(*string)            {}
func (otherBlock) Validate(provider.Problems, bool) {}
