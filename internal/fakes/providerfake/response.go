package providerfake

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Response is a complete answer, built before anything is written so that a
// fault can alter it and the request log can record its status first.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// WrongTypeField is the JSON key a WrongType fault without Fault.Field
	// corrupts in this answer: the field a client is sure to read.
	WrongTypeField string
}

// JSON is an answer with v marshalled as its body. The fakes marshal only their
// own wire structs, so a failure is a bug in the fake and panics.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic("providerfake: marshal answer: " + err.Error())
	}
	return Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}

// Text is a plain-text answer, as gateways and rate limiters send.
func Text(status int, body string) Response {
	return Response{Status: status, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(body)}
}

// damage applies a Malformed or WrongType fault to a 2xx answer.
func damage(resp *Response, f Fault) {
	if resp.Status < 200 || resp.Status > 299 {
		return // a fault spoils an answer, it does not invent one
	}
	switch f.Kind {
	case Malformed:
		resp.Body = resp.Body[:len(resp.Body)/2]
	case WrongType:
		field := f.Field
		if field == "" {
			field = resp.WrongTypeField
		}
		resp.Body = corrupt(resp.Body, field)
	}
}

// corrupt rewrites body so that every value under the JSON key field has the
// wrong JSON type. When no value has that key (an empty page), every
// top-level value gets the wrong type instead, so that the answer is still
// wrong for a client that decodes it. A body that is not JSON is returned
// as it is.
func corrupt(body []byte, field string) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	found := false
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				if k == field && field != "" {
					t[k] = wrongType(val)
					found = true
					continue
				}
				walk(val)
			}
		case []any:
			for _, val := range t {
				walk(val)
			}
		}
	}
	walk(v)
	if !found {
		switch t := v.(type) {
		case map[string]any:
			for k, val := range t {
				t[k] = wrongType(val)
			}
		default:
			v = wrongType(v)
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v.(type) {
	case json.Number:
		return "not-a-number"
	case string:
		return 12345
	case bool:
		return "yes"
	case nil:
		return []any{}
	case []any:
		return map[string]any{}
	}
	return "wrong"
}
