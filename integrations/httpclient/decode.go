package httpclient

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"

	"github.com/orderbot/orderbot"
)

// DecodeJSON unmarshals body into v. A malformed body or a field of the wrong
// type is a KindPermanent error naming op and the JSON field path, e.g.
// `shopify.list_orders: field "orders.total_price": want string, got number`:
// retrying will not fix a provider that sends the wrong shape, and the path
// tells whoever reads the log where to look.
func DecodeJSON(op string, body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return orderbot.Errorf(orderbot.KindPermanent, op, "field %q: want %s, got %s", field, jsonTypeName(te.Type), te.Value)
	case errors.As(err, &se):
		return orderbot.Errorf(orderbot.KindPermanent, op, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return orderbot.Errorf(orderbot.KindPermanent, op, "malformed JSON: the body ends early")
	}
	var ie *json.InvalidUnmarshalError
	if errors.As(err, &ie) {
		// A programming error in the adapter, not the provider's fault.
		return orderbot.Wrap(orderbot.KindInvalid, op, err, "cannot decode into the given value")
	}
	return orderbot.Wrap(orderbot.KindPermanent, op, err, "malformed JSON")
}

// jsonTypeName names a Go type by the JSON type that decodes into it.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}
