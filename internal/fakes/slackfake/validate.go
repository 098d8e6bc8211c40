package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits Slack enforces on messages and modals (docs.slack.dev
// reference/block-kit). A payload over any of them is answered with
// invalid_blocks, so a bot that truncates correctly never sees that error here.
const (
	MaxMessageBlocks   = 50
	MaxViewBlocks      = 100
	MaxSectionText     = 3000
	MaxSectionFields   = 10
	MaxFieldText       = 2000
	MaxHeaderText      = 150
	MaxButtonText      = 75
	MaxActionID        = 255
	MaxBlockID         = 255
	MaxButtonValue     = 2000
	MaxButtonURL       = 3000
	MaxActionsElements = 25
	MaxContextElements = 10
	MaxOptions         = 100
	MaxOptionText      = 75
	MaxOptionValue     = 150
	MaxViewTitle       = 24
	MaxPrivateMetadata = 3000
	MaxCallbackID      = 255
	MaxInputLabel      = 2000
	MaxPlaceholder     = 150
	MaxInputLength     = 3000
)

type obj = map[string]any

// ValidateMessageBlocks checks a message's blocks JSON against Block Kit limits.
func ValidateMessageBlocks(raw []byte) error {
	var blocks []obj
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks are not a JSON array of objects: %w", err)
	}
	if len(blocks) > MaxMessageBlocks {
		return fmt.Errorf("%d blocks, at most %d", len(blocks), MaxMessageBlocks)
	}
	return validateBlocks(blocks, false)
}

// ValidateView checks a modal view JSON against Block Kit limits.
func ValidateView(raw []byte) error {
	var v obj
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("view is not a JSON object: %w", err)
	}
	if v["type"] != "modal" {
		return fmt.Errorf("view type %v, want modal", v["type"])
	}
	title, ok := v["title"].(obj)
	if !ok {
		return fmt.Errorf("view has no title")
	}
	if err := text(title, "title", MaxViewTitle, true); err != nil {
		return err
	}
	for _, k := range []string{"submit", "close"} {
		if t, ok := v[k].(obj); ok {
			if err := text(t, k, MaxViewTitle, true); err != nil {
				return err
			}
		}
	}
	if s, _ := v["private_metadata"].(string); utf8.RuneCountInString(s) > MaxPrivateMetadata {
		return fmt.Errorf("private_metadata over %d", MaxPrivateMetadata)
	}
	if s, _ := v["callback_id"].(string); utf8.RuneCountInString(s) > MaxCallbackID {
		return fmt.Errorf("callback_id over %d", MaxCallbackID)
	}
	raws, _ := v["blocks"].([]any)
	if len(raws) > MaxViewBlocks {
		return fmt.Errorf("%d blocks, at most %d", len(raws), MaxViewBlocks)
	}
	blocks := make([]obj, 0, len(raws))
	hasInput := false
	for _, b := range raws {
		o, ok := b.(obj)
		if !ok {
			return fmt.Errorf("block is not an object")
		}
		if o["type"] == "input" {
			hasInput = true
		}
		blocks = append(blocks, o)
	}
	if hasInput && v["submit"] == nil {
		return fmt.Errorf("a view with input blocks needs submit")
	}
	return validateBlocks(blocks, true)
}

func validateBlocks(blocks []obj, inView bool) error {
	seen := map[string]bool{}
	for i, b := range blocks {
		if id, ok := b["block_id"].(string); ok {
			if utf8.RuneCountInString(id) > MaxBlockID {
				return fmt.Errorf("block %d: block_id over %d", i, MaxBlockID)
			}
			if seen[id] {
				return fmt.Errorf("block %d: duplicate block_id %q", i, id)
			}
			seen[id] = true
		}
		if err := validateBlock(b, inView); err != nil {
			return fmt.Errorf("block %d (%v): %w", i, b["type"], err)
		}
	}
	return nil
}

func validateBlock(b obj, inView bool) error {
	switch b["type"] {
	case "header":
		t, ok := b["text"].(obj)
		if !ok {
			return fmt.Errorf("header without text")
		}
		if t["type"] != "plain_text" {
			return fmt.Errorf("header text must be plain_text")
		}
		return text(t, "header", MaxHeaderText, true)
	case "section":
		t, hasText := b["text"].(obj)
		fields, _ := b["fields"].([]any)
		if !hasText && len(fields) == 0 {
			return fmt.Errorf("section needs text or fields")
		}
		if hasText {
			if err := text(t, "section text", MaxSectionText, true); err != nil {
				return err
			}
		}
		if len(fields) > MaxSectionFields {
			return fmt.Errorf("%d fields, at most %d", len(fields), MaxSectionFields)
		}
		for _, f := range fields {
			fo, ok := f.(obj)
			if !ok {
				return fmt.Errorf("field is not a text object")
			}
			if err := text(fo, "field", MaxFieldText, true); err != nil {
				return err
			}
		}
		if acc, ok := b["accessory"].(obj); ok {
			return element(acc)
		}
		return nil
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > MaxContextElements {
			return fmt.Errorf("%d context elements, want 1..%d", len(els), MaxContextElements)
		}
		for _, e := range els {
			eo, ok := e.(obj)
			if !ok {
				return fmt.Errorf("context element is not an object")
			}
			if eo["type"] == "image" {
				continue
			}
			if err := text(eo, "context text", MaxSectionText, true); err != nil {
				return err
			}
		}
		return nil
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > MaxActionsElements {
			return fmt.Errorf("%d actions elements, want 1..%d", len(els), MaxActionsElements)
		}
		ids := map[string]bool{}
		for _, e := range els {
			eo, ok := e.(obj)
			if !ok {
				return fmt.Errorf("actions element is not an object")
			}
			if id, _ := eo["action_id"].(string); id != "" {
				if ids[id] {
					return fmt.Errorf("duplicate action_id %q", id)
				}
				ids[id] = true
			}
			if err := element(eo); err != nil {
				return err
			}
		}
		return nil
	case "divider":
		return nil
	case "input":
		if !inView {
			return fmt.Errorf("input blocks belong in views")
		}
		l, ok := b["label"].(obj)
		if !ok {
			return fmt.Errorf("input without label")
		}
		if err := text(l, "label", MaxInputLabel, true); err != nil {
			return err
		}
		el, ok := b["element"].(obj)
		if !ok {
			return fmt.Errorf("input without element")
		}
		return element(el)
	}
	return fmt.Errorf("block type %v is not supported by the fake", b["type"])
}

func element(e obj) error {
	if id, _ := e["action_id"].(string); utf8.RuneCountInString(id) > MaxActionID {
		return fmt.Errorf("action_id over %d", MaxActionID)
	}
	if p, ok := e["placeholder"].(obj); ok {
		if err := text(p, "placeholder", MaxPlaceholder, true); err != nil {
			return err
		}
	}
	switch e["type"] {
	case "button":
		t, ok := e["text"].(obj)
		if !ok {
			return fmt.Errorf("button without text")
		}
		if err := text(t, "button text", MaxButtonText, true); err != nil {
			return err
		}
		if v, _ := e["value"].(string); utf8.RuneCountInString(v) > MaxButtonValue {
			return fmt.Errorf("button value over %d", MaxButtonValue)
		}
		if u, _ := e["url"].(string); utf8.RuneCountInString(u) > MaxButtonURL {
			return fmt.Errorf("button url over %d", MaxButtonURL)
		}
		if s, ok := e["style"].(string); ok && s != "primary" && s != "danger" {
			return fmt.Errorf("button style %q", s)
		}
		if c, ok := e["confirm"].(obj); ok {
			return confirm(c)
		}
		return nil
	case "static_select", "overflow", "radio_buttons":
		opts, _ := e["options"].([]any)
		if len(opts) == 0 || len(opts) > MaxOptions {
			return fmt.Errorf("%d options, want 1..%d", len(opts), MaxOptions)
		}
		if e["type"] == "radio_buttons" && len(opts) > 10 {
			return fmt.Errorf("radio_buttons take at most 10 options")
		}
		if e["type"] == "overflow" && len(opts) > 5 {
			return fmt.Errorf("overflow takes at most 5 options")
		}
		for _, o := range opts {
			oo, ok := o.(obj)
			if !ok {
				return fmt.Errorf("option is not an object")
			}
			t, ok := oo["text"].(obj)
			if !ok {
				return fmt.Errorf("option without text")
			}
			if err := text(t, "option text", MaxOptionText, true); err != nil {
				return err
			}
			if v, _ := oo["value"].(string); utf8.RuneCountInString(v) > MaxOptionValue {
				return fmt.Errorf("option value over %d", MaxOptionValue)
			}
		}
		return nil
	case "users_select", "conversations_select", "channels_select", "datepicker", "timepicker":
		return nil
	case "plain_text_input":
		if n, ok := e["max_length"].(float64); ok && (n < 1 || n > MaxInputLength) {
			return fmt.Errorf("max_length %v", n)
		}
		return nil
	}
	return fmt.Errorf("element type %v is not supported by the fake", e["type"])
}

func confirm(c obj) error {
	for _, k := range []struct {
		name string
		max  int
	}{{"title", 100}, {"text", 300}, {"confirm", 30}, {"deny", 30}} {
		t, ok := c[k.name].(obj)
		if !ok {
			return fmt.Errorf("confirm without %s", k.name)
		}
		if err := text(t, "confirm "+k.name, k.max, true); err != nil {
			return err
		}
	}
	return nil
}

// text checks one text object: its type, that mrkdwn carries no emoji flag, and
// its length in characters.
func text(t obj, what string, max int, required bool) error {
	typ := t["type"]
	if typ != "plain_text" && typ != "mrkdwn" {
		return fmt.Errorf("%s: text type %v", what, typ)
	}
	if _, ok := t["emoji"]; ok && typ == "mrkdwn" {
		return fmt.Errorf("%s: emoji is not allowed on mrkdwn", what)
	}
	s, _ := t["text"].(string)
	n := utf8.RuneCountInString(s)
	if required && n == 0 {
		return fmt.Errorf("%s: empty text", what)
	}
	if n > max {
		return fmt.Errorf("%s: %d characters, at most %d", what, n, max)
	}
	return nil
}
