package demo

import (
	"fmt"
	"strings"
)

// ConfigYAML returns an orderbot.yaml whose sources point at the simulated
// services, with their credentials referenced as ${VARS}, and the environment
// (NAME=value) that supplies them. Acceptance tests run the real binary with it;
// it also shows what a real configuration of these sources looks like.
func (p *Providers) ConfigYAML(schedule string) (yaml string, env []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "sources:\n")
	for _, s := range p.Sources {
		block, e := s.YAML()
		fmt.Fprintf(&b, "  %s:\n    type: %s\n    schedule: %q\n    api_url: %s\n    initial_lookback: 720h\n    rate_limit: 500\n    %s\n",
			s.Type(), s.Type(), schedule, s.URL(), block)
		env = append(env, e...)
	}
	return b.String(), env
}
