package kql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Object is a dynamic property bag with its properties in the order its JSON wrote them, which is
// the order tostring() prints them in and mv-expand makes rows of them in (KQL keeps a bag's
// order; Go's maps do not).
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
type Object struct {
	keys   []string
	values map[string]any
}

// NewObject makes an empty property bag.
func NewObject() *Object { return &Object{values: map[string]any{}} }

// Set sets a property, adding it at the end when it is new.
func (o *Object) Set(key string, v any) {
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = v
}

// Get is a property's value; ok is false when the bag lacks it.
func (o *Object) Get(key string) (v any, ok bool) {
	v, ok = o.values[key]
	return v, ok
}

// Keys are the property names, in order.
func (o *Object) Keys() []string { return o.keys }

// Len is the number of properties.
func (o *Object) Len() int { return len(o.keys) }

// MarshalJSON writes the bag compactly, its properties in order and <, > and & as they are.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeJSON(&b, k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encodeJSON(&b, o.values[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func encodeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
	return nil
}

// decodeJSON reads one JSON value from dec as a dynamic value: objects as *Object (in order),
// arrays as []any, integers as int64, other numbers as float64.
func decodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := NewObject()
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := keyTok.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", keyTok)
				}
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				o.Set(key, v)
			}
			_, err := dec.Token() // }
			return o, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ]
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		f, err := t.Float64()
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, err
		}
		return f, nil
	}
	return tok, nil // string, bool or nil
}

// parseJSONText decodes text holding exactly one JSON value.
func parseJSONText(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeJSON(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// String is the bag as tostring() prints it.
func (o *Object) String() string { return ToString(o) }

// Unordered is v with its property bags as Go maps, whose order does not count: for comparing a
// value with one written where order is not kept (a YAML mapping in a rule's test case).
func Unordered(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, x.Len())
		for _, k := range x.keys {
			m[k] = Unordered(x.values[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Unordered(e)
		}
		return out
	}
	return v
}
