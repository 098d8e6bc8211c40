package slackfake

import (
	"encoding/json"
	"sort"
	"strings"
)

// AllText returns the top-level text and every text string inside the blocks,
// joined by newlines, so tests can assert what a reader would see.
func (m Message) AllText() string { return allText(m.Text, m.BlocksJSON) }

// AllText returns the text and block texts of an ephemeral message.
func (e Ephemeral) AllText() string { return allText(e.Text, e.BlocksJSON) }

// ActionIDs lists the action ids of the message's interactive elements in order.
func (m Message) ActionIDs() []string { return actionIDs(m.BlocksJSON) }

// ActionIDs lists the action ids of the ephemeral message's elements in order.
func (e Ephemeral) ActionIDs() []string { return actionIDs(e.BlocksJSON) }

func allText(text, blocksJSON string) string {
	parts := []string{text}
	var v any
	if blocksJSON != "" && json.Unmarshal([]byte(blocksJSON), &v) == nil {
		walk(v, func(o obj) {
			if s, ok := o["text"].(string); ok {
				parts = append(parts, s)
			}
		})
	}
	return strings.Join(parts, "\n")
}

func actionIDs(blocksJSON string) []string {
	var out []string
	var v any
	if blocksJSON != "" && json.Unmarshal([]byte(blocksJSON), &v) == nil {
		walk(v, func(o obj) {
			if s, ok := o["action_id"].(string); ok {
				out = append(out, s)
			}
		})
	}
	return out
}

func walk(v any, f func(obj)) {
	switch x := v.(type) {
	case obj:
		f(x)
		for _, k := range sortedKeys(x) {
			walk(x[k], f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

func sortedKeys(m obj) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic output for assertions
	return keys
}
