package kql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
)

var regexCache sync.Map // pattern -> *regexp.Regexp

// CompileRegex compiles a KQL regular expression (RE2 syntax, which Go's regexp implements) once
// per pattern for the life of the process.
// https://learn.microsoft.com/kusto/query/re2
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	regexCache.Store(pattern, re)
	return re, nil
}

// Extract is extract(regex, captureGroup, source): the text of captureGroup (0 for the whole
// match) in the leftmost match of regex in source read as a string; "" when nothing matches or the
// group did not take part in the match.
// https://learn.microsoft.com/kusto/query/extract-function
func Extract(pattern string, group int, source any) (string, error) {
	re, err := CompileRegex(pattern)
	if err != nil {
		return "", fmt.Errorf("extract: bad regex %q: %w", pattern, err)
	}
	if group < 0 || group > re.NumSubexp() {
		return "", fmt.Errorf("extract: capture group %d does not exist in %q (it has %d)", group, pattern, re.NumSubexp())
	}
	text := ToString(source)
	m := re.FindStringSubmatchIndex(text)
	if m == nil || m[2*group] < 0 {
		return "", nil
	}
	return text[m[2*group]:m[2*group+1]], nil
}

// ParseJSON is parse_json() and todynamic(): a string holding JSON becomes the value it encodes;
// a string that is not JSON stays that string (as a dynamic string); any other value is returned
// as it is. JSON integers become int64, other numbers float64.
// https://learn.microsoft.com/kusto/query/parse-json-function
func ParseJSON(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil || dec.More() {
		return s
	}
	return normaliseNumbers(out)
}

func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normaliseNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normaliseNumbers(e)
		}
	}
	return v
}

// Property is dynamic property access, v.name or v["name"]: null when v is not an object or lacks
// the property, never an error.
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
func Property(v any, name string) any {
	if m, ok := v.(map[string]any); ok {
		return m[name]
	}
	return nil
}

// Index is dynamic array access, v[i]: null when v is not an array or i is out of range; a
// negative i counts from the end.
func Index(v any, i int64) any {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	if i < 0 {
		i += int64(len(arr))
	}
	if i < 0 || i >= int64(len(arr)) {
		return nil
	}
	return arr[i]
}
