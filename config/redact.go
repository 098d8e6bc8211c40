package config

import (
	"bytes"
	"maps"
	"net/url"
	"strings"

	"github.com/orderbot/orderbot"
	"go.yaml.in/yaml/v3"
)

// Redacted renders the effective configuration as YAML: defaults applied, every
// kind with its effective settings (not only the overridden ones), and every
// secret shown as "<redacted>" (or "" when unset). `orderbot config check`
// prints it. Parsing the output again gives the same configuration, except that
// secrets read "<redacted>".
func (c *Config) Redacted() ([]byte, error) {
	eff := *c
	eff.Sources = maps.Clone(c.Sources)
	eff.Departments = maps.Clone(c.Departments)
	eff.Kinds = make(map[orderbot.Kind]KindConfig, len(orderbot.Kinds()))
	settings := c.KindSettings()
	for _, k := range orderbot.Kinds() {
		eff.Kinds[k] = effectiveKindConfig(settings[k])
	}
	var doc yaml.Node
	if err := doc.Encode(&eff); err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "config.redacted", err, "cannot render the configuration")
	}
	annotateShipBy(&doc, settings)
	showRedisURL(&doc, c.Redis.URL.Value())
	doc.HeadComment = "orderbot effective configuration: defaults applied, secrets redacted"
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "config.redacted", err, "cannot render the configuration")
	}
	if err := enc.Close(); err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "config.redacted", err, "cannot render the configuration")
	}
	return buf.Bytes(), nil
}

// annotateShipBy comments the kinds whose resolve target is the order's ship-by
// deadline, which has no resolve_sla to show.
func annotateShipBy(doc *yaml.Node, settings map[orderbot.Kind]orderbot.KindSettings) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	kinds := mappingValue(root, "kinds")
	if kinds == nil {
		return
	}
	for i := 0; i+1 < len(kinds.Content); i += 2 {
		if s, ok := settings[orderbot.Kind(kinds.Content[i].Value)]; ok && s.ResolveByShipBy {
			kinds.Content[i].LineComment = "resolve target: the order's ship-by deadline"
		}
	}
}

// showRedisURL prints where Redis is with only its password masked: which
// host a process talks to is what an operator checks first, and a Secret
// alone would hide it.
func showRedisURL(doc *yaml.Node, raw string) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if n := mappingValue(mappingValue(root, "redis"), "url"); n != nil && raw != "" {
		n.Value = maskURL(raw)
	}
}

// maskURL replaces the password of a URL, and every query value whose name
// suggests a credential, with "xxxxx" (net/url's convention, which still
// parses as a URL); an unparsable URL is redacted whole.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return redacted
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
