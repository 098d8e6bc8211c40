package config

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// mapPlaceholders name the entries of maps whose values are structs, as the
// reference document writes them.
var mapPlaceholders = map[string]string{"sources": "NAME", "departments": "NAME", "kinds": "KIND"}

// schemaPaths lists every key of the configuration, with map entries written
// as placeholders (sources.NAME.timeout) and list items as []. leaves gets the
// keys that hold values rather than further keys.
func schemaPaths(t reflect.Type, prefix string, out, leaves *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == secretType || t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerT) {
		*leaves = append(*leaves, prefix)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		fs := structFields(t)
		for _, name := range fs.names {
			p := joinPath(prefix, name)
			*out = append(*out, p)
			schemaPaths(fs.byName[name].Type, p, out, leaves)
		}
		if t == sourceType {
			// Each source type's block, as its provider declares it.
			for _, spec := range testProviders.Sources() {
				p := joinPath(prefix, spec.Type())
				*out = append(*out, p)
				schemaPaths(reflect.TypeOf(spec.NewBlock()), p, out, leaves)
			}
		}
	case reflect.Map:
		if ph, ok := mapPlaceholders[prefix]; ok {
			schemaPaths(t.Elem(), prefix+"."+ph, out, leaves)
		} else {
			*leaves = append(*leaves, prefix)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			schemaPaths(t.Elem(), prefix+"[]", out, leaves)
		} else {
			*leaves = append(*leaves, prefix)
		}
	default:
		*leaves = append(*leaves, prefix)
	}
}

// TestReferenceDocumentsEveryKey: docs/configuration.md has a row for every
// value-holding key of the Config structs, and no row for a key that does not
// exist.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	var paths, leaves []string
	schemaPaths(configType, "", &paths, &leaves)
	if len(leaves) < 90 {
		t.Fatalf("only %d keys found; the schema walk is broken", len(leaves))
	}
	for _, p := range leaves {
		if param, ok := strings.CutPrefix(p, "kinds.KIND.params."); ok {
			if !strings.Contains(text, "| `"+param+"` |") {
				t.Errorf("param %s is not in the parameter table", param)
			}
			continue
		}
		if !strings.Contains(text, "| `"+p+"` |") {
			t.Errorf("docs/configuration.md has no row for %s", p)
		}
	}
	known := map[string]bool{"kinds.KIND.params.*": true}
	for _, p := range paths {
		known[p] = true
	}
	sections := []string{"server.", "log.", "redis.", "tickets.", "sla.", "sources.", "departments.", "kinds.KIND", "slack.", "notices."}
	for _, line := range strings.Split(text, "\n") {
		key, ok := strings.CutPrefix(line, "| `")
		if !ok {
			continue
		}
		key = key[:strings.IndexByte(key, '`')]
		for _, s := range sections {
			if strings.HasPrefix(key, s) && !known[key] {
				t.Errorf("docs/configuration.md has a row for %s, which is not a key", key)
			}
		}
	}
}

// examplePaths lists the keys the example sets, with map entries as placeholders.
func examplePaths(n *yaml.Node, t reflect.Type, prefix string, out map[string]bool) {
	if n.Kind == yaml.DocumentNode {
		examplePaths(n.Content[0], t, prefix, out)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == secretType || t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerT) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		fs := structFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			f, ok := fs.byName[n.Content[i].Value]
			if spec, isType := testProviders.Source(n.Content[i].Value); !ok && isType && t == sourceType {
				f, ok = reflect.StructField{Type: reflect.TypeOf(spec.NewBlock())}, true
			}
			if !ok {
				continue
			}
			p := joinPath(prefix, n.Content[i].Value)
			out[p] = true
			examplePaths(n.Content[i+1], f.Type, p, out)
		}
	case reflect.Map:
		if ph, ok := mapPlaceholders[prefix]; ok {
			for i := 0; i+1 < len(n.Content); i += 2 {
				examplePaths(n.Content[i+1], t.Elem(), prefix+"."+ph, out)
			}
		}
	case reflect.Slice:
		for _, c := range n.Content {
			examplePaths(c, t.Elem(), prefix+"[]", out)
		}
	}
}

// TestExampleSetsEveryKey: the shipped example shows every key at least once.
func TestExampleSetsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../orderbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	examplePaths(&n, configType, "", set)
	var paths, leaves, missing []string
	schemaPaths(configType, "", &paths, &leaves)
	for _, p := range paths {
		if !set[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("orderbot.example.yaml does not show:\n  %s", strings.Join(missing, "\n  "))
	}
}
