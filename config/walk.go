package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/orderbot/orderbot/integrations/provider"
	"go.yaml.in/yaml/v3"
)

// maxWalkNodes bounds how many nodes the walker visits. Aliases can make a
// small document expand exponentially ("billion laughs"); a real configuration
// has a few hundred nodes.
const maxWalkNodes = 100_000

// joinPath appends a key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expander replaces ${VAR} and ${VAR:-default} in scalar values. It works on the
// parsed node tree, never on the text, so a value from the environment is always
// one scalar: it cannot add keys, open a mapping or end a string.
type expander struct {
	env      func(string) (string, bool)
	ps       *problems
	warnings []Problem
	// unset maps a path to every variable in its value that was not set, with
	// or without a default, for the hints of "required" problems.
	unset map[string][]string
}

func (x *expander) node(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = path + "[" + strconv.Itoa(i) + "]"
			}
			x.node(c, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			// Keys are never expanded: a key names a setting or an entry,
			// and must read the same whatever the environment holds.
			x.node(n.Content[i+1], joinPath(path, n.Content[i].Value))
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		out, unset, defaulted, err := expandString(n.Value, x.env)
		if err != nil {
			x.ps.add(path, err.Error())
			return
		}
		for _, name := range unset {
			x.warnings = append(x.warnings, Problem{Path: path,
				Msg: fmt.Sprintf("environment variable %s is not set; the value is empty (write ${%s:-} to make that explicit)", name, name)})
		}
		if all := append(unset, defaulted...); len(all) > 0 {
			if x.unset == nil {
				x.unset = map[string][]string{}
			}
			x.unset[path] = all
		}
		if out == n.Value {
			return
		}
		n.Value = out
		// A plain scalar is re-resolved from its new text, so "port: ${PORT}"
		// becomes a number; a quoted one stays a string.
		if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	}
	// Aliases are expanded where their anchor is defined.
}

// expandString expands ${VAR} and ${VAR:-default}; "$${" is a literal "${" and a
// "$" not followed by "{" is literal (passwords contain them). It returns the
// names of variables that were not set and had no default, and of those that
// were not set and took their default.
func expandString(s string, env func(string) (string, bool)) (out string, unset, unsetWithDefault []string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", nil, nil, fmt.Errorf("unterminated ${ in value (write $${ for a literal ${)")
		}
		body := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(body, ":-")
		if !validEnvName(name) {
			return "", nil, nil, fmt.Errorf("bad environment reference ${%s}: use ${NAME} or ${NAME:-default} with NAME made of letters, digits and _", truncate(body, 40))
		}
		v, ok := env(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
			if !ok {
				unsetWithDefault = append(unsetWithDefault, name)
			}
		case !ok:
			unset = append(unset, name)
		}
	}
	out = b.String()
	if !utf8.ValidString(out) {
		return "", nil, nil, fmt.Errorf("the value from the environment is not valid UTF-8")
	}
	return out, unset, unsetWithDefault, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var (
	configType   = reflect.TypeFor[Config]()
	sourceType   = reflect.TypeFor[Source]()
	secretType   = reflect.TypeFor[Secret]()
	unmarshalerT = reflect.TypeFor[yaml.Unmarshaler]()
)

// walker checks the document against the Config structs before decoding:
// unknown keys (with a suggestion), duplicate keys, and values of the wrong
// shape or type, each reported at its full path. A value it rejects is replaced
// by null and an unknown key is removed, so the decode that follows keeps the
// default there and the rest of the file is still decoded and validated.
// Secret {file: path} mappings are read here and replaced by their content.
type walker struct {
	ps       *problems
	reg      *provider.Registry // source types, for the blocks under sources.NAME
	budget   int
	overflow bool
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if w.budget--; w.budget < 0 {
		w.overflowed()
		return
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			w.walk(c, t, path)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || n.Alias.Kind == yaml.AliasNode {
			w.reject(n, path, "alias to nothing")
			return
		}
		// Inline the alias: a shallow copy of its target takes its place, so
		// the document that is re-encoded for the strict decode refers to no
		// anchor (whose definition may sit under a dropped x- key). Children
		// stay shared; the budget above bounds what expansion can cost.
		cp := *n.Alias
		*n = cp
	}
	n.Anchor = ""
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if isNull(n) {
		if t.Kind() == reflect.Struct && t != secretType {
			// A block left empty ("stripe:") is a block with every default,
			// also as a map entry, where null would decode as a zero value.
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
			return
		}
		// null keeps the default (or, for an optional override, no override).
		// An empty null ("key:" or "{key}") is spelled out, or re-encoding it
		// would give the empty string, which is not null.
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: n.Line, Column: n.Column}
		return
	}
	switch {
	case t == secretType:
		w.secret(n, path)
		return
	case t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerT):
		w.leaf(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.reject(n, path, "must be a mapping of keys, got "+describe(n))
			return
		}
		if t == sourceType {
			w.source(n, path)
			return
		}
		fields := structFields(t)
		w.mapping(n, path, func(key string, v *yaml.Node, kpath string) bool {
			f, ok := fields.byName[key]
			if !ok && path == "" && strings.HasPrefix(key, "x-") {
				// Top-level "x-" keys are extension fields that hold YAML
				// anchors for merge keys (as in docker-compose); dropped.
				return false
			}
			if !ok {
				w.ps.add(kpath, unknownKeyMsg(key, fields.names))
				return false
			}
			return w.field(f, v, kpath)
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.reject(n, path, "must be a mapping, got "+describe(n))
			return
		}
		w.mapping(n, path, func(key string, v *yaml.Node, kpath string) bool {
			w.walk(v, t.Elem(), kpath)
			return true
		})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.reject(n, path, "must be a list, got "+describe(n))
			return
		}
		for i, c := range n.Content {
			w.walk(c, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	default:
		w.leaf(n, t, path)
	}
}

// field walks the value of a known struct field; false drops the key.
func (w *walker) field(f reflect.StructField, v *yaml.Node, kpath string) bool {
	if k := f.Type.Kind(); (k == reflect.Slice || k == reflect.Map) && isNull(resolveAlias(v)) {
		// The decoder would set a null list or map to nil, which is not the
		// default (sla.escalation has one); dropping the key keeps it, as
		// null does everywhere else.
		return false
	}
	w.walk(v, f.Type, kpath)
	return true
}

// source walks sources.NAME: the common keys of Source, and the block named
// like the source's type, checked against the struct its provider declares.
// The type is the "type" key, or the name when the name is a type.
func (w *walker) source(n *yaml.Node, path string) {
	fields := structFields(sourceType)
	typ := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			if v := resolveAlias(n.Content[i+1]); v.Kind == yaml.ScalarNode {
				typ = v.Value
			}
		}
	}
	name := path[strings.LastIndexByte(path, '.')+1:]
	if _, ok := w.reg.Source(name); typ == "" && ok {
		typ = name
	}
	spec, known := w.reg.Source(typ)
	valid := fields.names
	if known {
		valid = append(append([]string(nil), valid...), typ)
		sort.Strings(valid)
	}
	w.mapping(n, path, func(key string, v *yaml.Node, kpath string) bool {
		if f, ok := fields.byName[key]; ok {
			return w.field(f, v, kpath)
		}
		other, isType := w.reg.Source(key)
		switch {
		case known && key == typ:
			w.walk(v, reflect.TypeOf(spec.NewBlock()), kpath)
			return true
		case isType && known:
			w.ps.add(kpath, fmt.Sprintf("block does not match type %q (use a %s: block, or set type: %s)", typ, typ, other.Type()))
		case isType || (!known && typ != ""):
			// The type is unknown (reported by validation); its block cannot
			// be checked.
		default:
			w.ps.add(kpath, unknownKeyMsg(key, valid))
		}
		return false
	})
}

func (w *walker) overflowed() {
	if !w.overflow {
		w.overflow = true
		w.ps.add("", "the document is too large or expands too many aliases")
	}
}

// mapping visits the entries of a mapping node, with "<<" merge keys resolved
// (explicit keys win over merged ones, earlier merged mappings over later ones,
// as YAML specifies). visit returns false for an entry that must be dropped.
// Keys must be scalars and unique. Afterwards the node holds exactly the
// entries that were accepted, merged ones inlined, so the strict decode that
// follows sees what the walker checked.
func (w *walker) mapping(n *yaml.Node, path string, visit func(key string, v *yaml.Node, kpath string) bool) {
	var out []*yaml.Node
	seen := map[string]int{}
	for _, p := range w.pairs(n, path, 0) {
		k := p.k
		if k.Kind != yaml.ScalarNode {
			w.ps.add(path, fmt.Sprintf("line %d: a key must be a plain name, got %s", k.Line, describe(k)))
			continue
		}
		kpath := joinPath(path, k.Value)
		if line, dup := seen[k.Value]; dup {
			if !p.merged {
				w.ps.add(kpath, fmt.Sprintf("duplicate key (first set on line %d)", line))
			}
			continue
		}
		seen[k.Value] = k.Line
		if visit(k.Value, p.v, kpath) {
			out = append(out, k, p.v)
		}
	}
	n.Content = out
}

type pair struct {
	k, v   *yaml.Node
	merged bool
}

// pairs flattens a mapping's entries: its own first, then those of the
// mappings it merges, in order.
func (w *walker) pairs(n *yaml.Node, path string, depth int) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		if w.budget--; w.budget < 0 {
			w.overflowed()
			return nil
		}
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			for _, src := range mergeSources(v) {
				if src.Kind != yaml.MappingNode || depth > 8 {
					w.ps.add(joinPath(path, "<<"), "a merge (<<) must refer to a mapping")
					continue
				}
				for _, p := range w.pairs(src, path, depth+1) {
					p.merged = true
					merged = append(merged, p)
				}
			}
			continue
		}
		own = append(own, pair{k: k, v: v, merged: depth > 0})
	}
	return append(own, merged...)
}

// mergeSources returns the mappings a merge value names: one alias or a list.
func mergeSources(v *yaml.Node) []*yaml.Node {
	deref := func(x *yaml.Node) *yaml.Node {
		if x.Kind == yaml.AliasNode && x.Alias != nil {
			return x.Alias
		}
		return x
	}
	v = deref(v)
	if v.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, c := range v.Content {
			out = append(out, deref(c))
		}
		return out
	}
	return []*yaml.Node{v}
}

// leaf checks a scalar value by decoding it into a fresh value of its type.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		w.reject(n, path, "must be "+typeWord(t)+", got "+describe(n))
		return
	}
	if err := decodeLeaf(n, t); err != nil {
		msg := err.Error()
		if _, ok := err.(*yaml.TypeError); ok || strings.HasPrefix(msg, "yaml:") {
			msg = fmt.Sprintf("must be %s, got %q", typeWord(t), truncate(n.Value, 60))
		}
		w.reject(n, path, msg)
	}
}

func decodeLeaf(n *yaml.Node, t reflect.Type) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot read value: %v", r)
		}
	}()
	return n.Decode(reflect.New(t).Interface())
}

// secret reads a Secret: a scalar as is, {file: path} from the file, whose
// content replaces the mapping in the document.
func (w *walker) secret(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		return
	case yaml.MappingNode:
		var s Secret
		if err := s.UnmarshalYAML(n); err != nil {
			w.reject(n, path, err.Error())
			return
		}
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s.Value(),
			Line: n.Line, Column: n.Column}
	default:
		w.reject(n, path, "must be a string or a mapping {file: path}, got "+describe(n))
	}
}

// reject records a problem and replaces the value with null, so the decode
// keeps the default there.
func (w *walker) reject(n *yaml.Node, path, msg string) {
	w.ps.addUnlessReported(path, msg)
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: n.Line, Column: n.Column}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", truncate(n.Value, 60))
	case yaml.AliasNode:
		return "an alias"
	}
	return "an unexpected node"
}

func typeWord(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration such as 30s, 15m, 2h or 2d"
	case reflect.TypeFor[ClockTime]():
		return "a time of day HH:MM"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a " + t.Kind().String()
}

// fieldSet is a struct's YAML keys.
type fieldSet struct {
	names  []string
	byName map[string]reflect.StructField
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func structFields(t reflect.Type) *fieldSet {
	if v, ok := fieldCache.Load(t); ok {
		return v.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]reflect.StructField{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs.names = append(fs.names, name)
		fs.byName[name] = f
	}
	sort.Strings(fs.names)
	fieldCache.Store(t, fs)
	return fs
}

// unknownKeyMsg says a key is unknown and suggests the closest valid one, or
// lists the valid keys when none is close.
func unknownKeyMsg(key string, valid []string) string {
	if s, ok := suggest(key, valid); ok {
		return fmt.Sprintf("unknown key (did you mean %q?)", s)
	}
	return "unknown key; valid keys here: " + strings.Join(valid, ", ")
}
