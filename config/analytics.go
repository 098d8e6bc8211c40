package config

// Analytics configures the early warnings that read the analytics rollups.
type Analytics struct {
	// SpikeFactor and SpikeMinCount: a kind's hourly count is a spike when it
	// is at least SpikeMinCount and more than SpikeFactor times its usual
	// level for that hour of the week (the median over SpikeWeeks weeks).
	SpikeFactor   float64 `yaml:"spike_factor"`
	SpikeMinCount int     `yaml:"spike_min_count"`
	SpikeWeeks    int     `yaml:"spike_weeks"`
}

func defaultAnalytics() Analytics {
	return Analytics{SpikeFactor: 3, SpikeMinCount: 10, SpikeWeeks: 4}
}

func (v validator) analytics() {
	a := v.c.Analytics
	if !(a.SpikeFactor > 1) || a.SpikeFactor > 1000 {
		v.add("analytics.spike_factor", "must be a number above 1 (how many times the usual level), got %v", a.SpikeFactor)
	}
	if a.SpikeMinCount < 1 {
		v.add("analytics.spike_min_count", "must be at least 1, got %d", a.SpikeMinCount)
	}
	if a.SpikeWeeks < 2 || a.SpikeWeeks > 10 {
		// Hour rollups are kept ten weeks (jobs.HourRollupRetention).
		v.add("analytics.spike_weeks", "must be 2 to 10 weeks, got %d", a.SpikeWeeks)
	}
}
