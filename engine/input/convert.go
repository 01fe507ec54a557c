package input

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"

	"github.com/signin-detect/detect/engine/kql"
)

// convert reads a JSON value as a column of type t. JSON null is the type's zero value. Strings go
// through strings (nil: copied, not interned).
func convert(v gjson.Result, t kql.Type, column string, strs *interner) (any, error) {
	if v.Type == gjson.Null {
		return t.Zero(), nil
	}
	switch t {
	case kql.String, kql.Guid:
		switch v.Type {
		case gjson.String:
			// A copy (held once when it repeats), so that the row does not keep the whole record's
			// text alive.
			return strs.value(column, v.Str), nil
		case gjson.True, gjson.False:
			return strconv.FormatBool(v.Bool()), nil
		}
		// A number or a nested value: its compact JSON text with its key order kept, which is what
		// the Log Analytics string column holds, so that a regex over it sees the same text.
		return strs.value(column, compactJSON(v.Raw)), nil
	case kql.Datetime:
		if v.Type != gjson.String {
			return nil, fmt.Errorf("want an ISO 8601 datetime string, got %s", shortJSON(v.Raw))
		}
		return kql.ParseDatetime(v.Str)
	case kql.Long, kql.Int:
		if v.Type == gjson.String && strings.TrimSpace(v.Str) == "" {
			return nil, fmt.Errorf("want a whole number, got %s", shortJSON(v.Raw))
		}
		number := numberValue(v)
		n, ok := kql.ToLong(number)
		if !ok {
			if _, isNumber := kql.ToReal(number); isNumber {
				// A number a long cannot hold (1e20): Azure Data Explorer's ingestion stores a value
				// that does not fit its column's type as null, and so does this reader.
				// https://learn.microsoft.com/azure/data-explorer/ingest-invalid-data
				// https://learn.microsoft.com/kusto/query/scalar-data-types/long
				return nil, nil
			}
			return nil, fmt.Errorf("want a whole number, got %s", shortJSON(v.Raw))
		}
		return n, nil
	case kql.Real:
		f, err := strconv.ParseFloat(strings.TrimSpace(numberText(v)), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", shortJSON(v.Raw))
		}
		return f, nil
	case kql.Bool:
		switch {
		case v.Type == gjson.True || v.Type == gjson.False:
			return v.Bool(), nil
		case v.Type == gjson.String && strings.EqualFold(v.Str, "true"):
			return true, nil
		case v.Type == gjson.String && strings.EqualFold(v.Str, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", shortJSON(v.Raw))
	case kql.Timespan:
		if v.Type != gjson.String {
			return nil, fmt.Errorf("want a timespan string, got %s", shortJSON(v.Raw))
		}
		return kql.ParseTimespan(v.Str)
	}
	// dynamic: exports write it as JSON, or as a string holding JSON.
	text := v.Raw
	if v.Type == gjson.String {
		text = v.Str
	}
	parsed := kql.ParseJSON(text)
	if s, ok := parsed.(string); ok {
		// Not JSON: the text itself, copied, as it may point into a buffer read again later.
		return strings.Clone(s), nil
	}
	return parsed, nil
}

// compactJSON drops the insignificant white space of valid JSON text, keeping everything else
// (key order, escapes) as it is.
func compactJSON(raw string) string {
	if !strings.ContainsAny(raw, " \t\r\n") {
		return strings.Clone(raw)
	}
	return string(pretty.Ugly([]byte(raw)))
}

func numberValue(v gjson.Result) any {
	if v.Type == gjson.String {
		return v.Str
	}
	if v.Type != gjson.Number {
		return nil
	}
	if i, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
		return i
	}
	return v.Num
}

func numberText(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
	}
	if v.Type == gjson.Number {
		return v.Raw
	}
	return ""
}

// shortJSON is valid JSON text for a message: compact, and cut short when long.
func shortJSON(raw string) string {
	const max = 60
	text := compactJSON(raw)
	if len(text) > max {
		return text[:max] + "..."
	}
	return text
}

// snippet quotes the start of text for a message.
func snippet(text []byte) string {
	const max = 60
	if len(text) > max {
		return strconv.Quote(string(text[:max])) + "..."
	}
	return strconv.Quote(string(text))
}
