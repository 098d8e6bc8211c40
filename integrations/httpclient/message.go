package httpclient

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode/utf8"
)

// GenericErrorMessage extracts a message from common error envelopes, used when
// Options.DecodeError is nil: {"error":{"message":...}}, {"error":"..."},
// {"errors":"..." | [...] | {...}}, {"message":"..."}, {"meta":{"message":...}}.
// A short plain-text body is returned as it is; HTML and binary are dropped.
// The caller scrubs secrets and shortens the result.
func GenericErrorMessage(body []byte) string {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil {
		for _, key := range []string{"error", "errors", "message", "meta", "error_description", "msg"} {
			if raw, ok := env[key]; ok {
				if s := messageOf(raw); s != "" {
					return s
				}
			}
		}
		return ""
	}
	s := strings.TrimSpace(string(body))
	if s == "" || !utf8.ValidString(s) || strings.HasPrefix(s, "<") || len(s) > 2*maxProviderMessage {
		return ""
	}
	return s
}

// messageOf renders a JSON value that holds an error message: a string, an
// object with message/msg/detail fields or field → messages, or an array.
func messageOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			if m := messageOf(item); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	for _, key := range []string{"message", "msg", "detail", "description"} {
		if v, ok := obj[key]; ok {
			if m := messageOf(v); m != "" {
				return m
			}
		}
	}
	// Validation envelopes: {"email":["is invalid"]}.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if m := messageOf(obj[k]); m != "" {
			parts = append(parts, k+" "+m)
		}
	}
	return strings.Join(parts, "; ")
}
