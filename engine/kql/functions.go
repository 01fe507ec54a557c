package kql

import (
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

// ParseJSON is parse_json() and todynamic(): a string holding JSON becomes the value it encodes
// (objects as *Object, keeping their key order); a string that is not JSON stays that string (as
// a dynamic string); any other value is returned as it is. JSON integers become int64, other
// numbers float64.
// https://learn.microsoft.com/kusto/query/parse-json-function
func ParseJSON(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	out, err := parseJSONText(s)
	if err != nil {
		return s
	}
	return out
}

// Property is dynamic property access, v.name or v["name"]: null when v is not an object or lacks
// the property, never an error.
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
func Property(v any, name string) any {
	switch o := v.(type) {
	case *Object:
		p, _ := o.Get(name)
		return p
	case map[string]any:
		return o[name]
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
