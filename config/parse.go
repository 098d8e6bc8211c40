package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/provider"
	"go.yaml.in/yaml/v3"
)

// MaxFileBytes bounds a configuration file. A real one is a few KB; a bigger
// file is a mistake (or an attack on the YAML parser) and is refused unread.
const MaxFileBytes = 1 << 20

// Environment variables that override keys of the file. They win over the file
// so that a deployment changes where Redis or Slack is without editing it.
const (
	EnvRedisURL      = "REDIS_URL"       // redis.url
	EnvSlackAPIURL   = "SLACK_API_URL"   // slack.api_url
	EnvSlackAppToken = "SLACK_APP_TOKEN" // slack.app_token
	EnvAddr          = "ORDERBOT_ADDR"   // server.addr
)

// Load reads and parses the configuration file at path; see Parse. env looks up
// environment variables (os.LookupEnv in production, a map in tests); nil means
// os.LookupEnv.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	return LoadWith(nil, path, env)
}

// LoadWith is Load with the source types of reg (see ParseWith).
func LoadWith(reg *provider.Registry, path string, env func(string) (string, bool)) (*Config, error) {
	const op = "config.load"
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, orderbot.Wrap(orderbot.KindNotFound, op, err, "configuration file not found")
		}
		return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, "cannot open the configuration file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, op, err, "cannot read the configuration file")
	}
	if len(data) > MaxFileBytes {
		return nil, orderbot.Errorf(orderbot.KindInvalid, op, "configuration file %s is larger than %d bytes", path, MaxFileBytes)
	}
	return ParseWith(reg, data, env)
}

// Parse decodes a YAML configuration over the defaults, expands ${VAR} and
// ${VAR:-default} in scalar values, applies the environment overrides
// (REDIS_URL, SLACK_API_URL, SLACK_APP_TOKEN, ORDERBOT_ADDR), fills in the
// remaining defaults and validates the result. Every problem found, in any of
// these steps, comes back at once in an *Error; unknown keys are among them,
// each named by its full path with a suggestion when one is close. An empty
// document gives the defaults. env nil means os.LookupEnv.
//
// Parse knows no source type: a document with sources needs ParseWith.
func Parse(data []byte, env func(string) (string, bool)) (*Config, error) {
	return ParseWith(nil, data, env)
}

// ParseWith is Parse for a process whose source types are registered in reg:
// each source's type must be one of them, and its block (the key named like
// the type) is checked, decoded and validated as the type's provider declares.
func ParseWith(reg *provider.Registry, data []byte, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	if len(data) > MaxFileBytes {
		return nil, newError([]Problem{{Msg: fmt.Sprintf("the configuration is larger than %d bytes", MaxFileBytes)}})
	}
	var ps problems
	cfg := rawDefaults()
	cfg.providers = reg

	doc, err := parseDocument(data)
	if err != nil {
		ps.add("", err.Error())
		return nil, ps.err()
	}
	if doc != nil {
		x := expander{env: env, ps: &ps}
		x.node(doc, "")
		cfg.warnings = x.warnings
		w := walker{ps: &ps, budget: maxWalkNodes, reg: reg}
		w.walk(doc, configType, "")
		if w.overflow {
			// The walk stopped early, so the document is neither checked nor
			// safe to expand by decoding.
			return nil, ps.err()
		}
		// The walker has replaced every value it rejected with null and removed
		// every unknown key, so the decode below fills everything else and
		// validation still reports problems in the rest of the file.
		if err := decodeInto(doc, cfg); err != nil && len(ps.list) == 0 {
			// The walker checks everything the decoder does; reaching here means
			// the two disagree, and the decoder's word is final.
			ps.add("", backstopPrefix+err.Error())
		}
		cfg.bindBlocks(&ps)
		cfg.unsetAt = x.unset
	}
	applyEnvOverrides(cfg, env)
	cfg.ApplyDefaults()
	cfg.validate(&ps)
	cfg.unsetAt = nil
	if err := ps.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// backstopPrefix marks a problem that only the strict decoder found: a gap in
// the walker (the fuzz target looks for it).
const backstopPrefix = "strict decoding failed: "

// parseDocument parses data into one YAML document node; nil for an empty
// document. The YAML library has panicked on hostile input in the past; a panic
// is turned into an error so a bad file never crashes the process.
func parseDocument(data []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the configuration must be a single YAML document (found a second one after ---)")
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			return nil, nil
		}
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("the configuration must be a mapping of keys (server:, redis:, sources:, ...)")
		}
	}
	return &n, nil
}

// decodeInto decodes the (expanded, checked) document over cfg. The document is
// re-encoded and read by a yaml.Decoder with KnownFields(true), so the YAML
// library's own strictness backs up the walker's.
func decodeInto(doc *yaml.Node, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	stripComments(doc, map[*yaml.Node]bool{})
	data, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("cannot re-encode the configuration: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// stripComments removes every comment before re-encoding: they carry no
// settings, and the YAML emitter can misplace a comment next to a value the
// walker rewrote, producing text that does not parse.
func stripComments(n *yaml.Node, seen map[*yaml.Node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c, seen)
	}
}

// applyEnvOverrides applies the documented environment overrides. An empty
// value counts as unset, so `REDIS_URL= orderbot serve` keeps the file's value.
func applyEnvOverrides(cfg *Config, env func(string) (string, bool)) {
	get := func(name string) (string, bool) {
		v, ok := env(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	if v, ok := get(EnvRedisURL); ok {
		cfg.Redis.URL = NewSecret(v)
	}
	if v, ok := get(EnvSlackAPIURL); ok {
		cfg.Slack.APIURL = v
	}
	if v, ok := get(EnvSlackAppToken); ok {
		cfg.Slack.AppToken = NewSecret(v)
	}
	if v, ok := get(EnvAddr); ok {
		cfg.Server.Addr = v
	}
}
