package config

import "github.com/orderbot/orderbot"

// FlapConfig overrides a kind's flap guard (orderbot.FlapGuard). Every field
// is optional: nil keeps the kind's default (orderbot.DefaultFlapGuard).
type FlapConfig struct {
	OpenAfter    *int      `yaml:"open_after,omitempty"`
	OpenFor      *Duration `yaml:"open_for,omitempty"`
	ResolveAfter *int      `yaml:"resolve_after,omitempty"`
	ResolveFor   *Duration `yaml:"resolve_for,omitempty"`
	ChurnLimit   *int      `yaml:"churn_limit,omitempty"`
	ChurnWindow  *Duration `yaml:"churn_window,omitempty"`
}

// apply returns g with the overrides of f.
func (f *FlapConfig) apply(g orderbot.FlapGuard) orderbot.FlapGuard {
	if f == nil {
		return g
	}
	if f.OpenAfter != nil {
		g.OpenAfter = *f.OpenAfter
	}
	if f.OpenFor != nil {
		g.OpenFor = f.OpenFor.D()
	}
	if f.ResolveAfter != nil {
		g.ResolveAfter = *f.ResolveAfter
	}
	if f.ResolveFor != nil {
		g.ResolveFor = f.ResolveFor.D()
	}
	if f.ChurnLimit != nil {
		g.ChurnLimit = *f.ChurnLimit
	}
	if f.ChurnWindow != nil {
		g.ChurnWindow = f.ChurnWindow.D()
	}
	return g
}

// effectiveFlap renders a flap guard back as a fully populated FlapConfig.
func effectiveFlap(g orderbot.FlapGuard) *FlapConfig {
	i := func(v int) *int { return &v }
	d := func(v Duration) *Duration { return &v }
	return &FlapConfig{
		OpenAfter: i(g.OpenAfter), OpenFor: d(Duration(g.OpenFor)),
		ResolveAfter: i(g.ResolveAfter), ResolveFor: d(Duration(g.ResolveFor)),
		ChurnLimit: i(g.ChurnLimit), ChurnWindow: d(Duration(g.ChurnWindow)),
	}
}

// flap validates kinds.KIND.flap; eff is the kind's effective guard.
func (v validator) flap(p string, spec orderbot.KindSpec, f *FlapConfig, eff orderbot.FlapGuard) {
	if f == nil {
		return
	}
	if spec.Manual {
		v.add(p, "%s is opened by staff, never by detection, so it has no flap guard", spec.Kind)
		return
	}
	if f.OpenAfter != nil && *f.OpenAfter < 1 {
		v.add(p+".open_after", "must be at least 1 (1 = open on the first evaluation), got %d", *f.OpenAfter)
	}
	if f.OpenFor != nil {
		v.nonNegative(p+".open_for", *f.OpenFor)
	}
	if f.ResolveAfter != nil && *f.ResolveAfter < 1 {
		v.add(p+".resolve_after", "must be at least 1 (1 = resolve on the first evaluation that finds it cleared), got %d", *f.ResolveAfter)
	}
	if f.ResolveFor != nil {
		v.nonNegative(p+".resolve_for", *f.ResolveFor)
	}
	if f.ChurnLimit != nil && *f.ChurnLimit < 0 {
		v.add(p+".churn_limit", "must not be negative (0 turns the churn check off), got %d", *f.ChurnLimit)
	}
	if f.ChurnWindow != nil {
		v.nonNegative(p+".churn_window", *f.ChurnWindow)
	}
	if eff.ChurnLimit > 0 && eff.ChurnWindow <= 0 {
		v.add(p+".churn_window", "must be positive while churn_limit is %d", eff.ChurnLimit)
	}
}
