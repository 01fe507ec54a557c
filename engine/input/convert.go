package input

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"

	"github.com/signin-detect/detect/engine/kql"
)

// convert reads a JSON value as a column of type t. JSON null is the type's zero value. Text a
// string column holds goes through strs (nil: copied, not interned); a JSON string for one is read
// by converter.slot, from its text.
func convert(v gjson.Result, t kql.Type, column string, strs *interner) (any, error) {
	if v.Type == gjson.Null {
		return t.Zero(), nil
	}
	switch t {
	case kql.String, kql.Guid:
		switch v.Type {
		case gjson.True, gjson.False:
			return strconv.FormatBool(v.Bool()), nil
		}
		// A number or a nested value: its compact JSON text with its key order kept, which is what
		// the Log Analytics string column holds, so that a regex over it sees the same text.
		return strs.value(column, compactJSON(v.Raw)), nil
	case kql.Datetime:
		t, err := datetimeOf(v)
		if err != nil {
			return nil, err
		}
		return t, nil
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

// datetimeOf reads a JSON value (not null) as a datetime column's.
func datetimeOf(v gjson.Result) (time.Time, error) {
	if v.Type != gjson.String {
		return time.Time{}, fmt.Errorf("want an ISO 8601 datetime string, got %s", shortJSON(v.Raw))
	}
	switch why := datetimeGrammar(v.Str); why {
	case "":
	case notDatetime:
		return time.Time{}, fmt.Errorf("not an ISO 8601 datetime: %s", shortJSON(v.Raw))
	default:
		return time.Time{}, fmt.Errorf("not an ISO 8601 datetime (%s): %s", why, shortJSON(v.Raw))
	}
	return kql.ParseDatetime(v.Str)
}

// compactJSON drops the insignificant white space of valid JSON text, keeping everything else
// (key order, escapes) as it is.
func compactJSON(raw string) string {
	if isLong(len(raw)) {
		return longCompactJSON(raw)
	}
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

// notDatetime is what datetimeGrammar says of text that does not start like a datetime at all.
const notDatetime = "want YYYY-MM-DDThh:mm:ss"

// datetimeGrammar tells what keeps s from being a datetime as exports write them, or "" when it is
// one: YYYY-MM-DDThh:mm:ss, 0 to 7 fractional digits (a tick is 100 ns: an eighth digit would be
// dropped silently), then Z or an offset ±hh:mm, with a year from 0001. Log Analytics, diagnostic
// settings and Graph all write this; kql.ParseDatetime, which todatetime() uses, reads more.
func datetimeGrammar(s string) string {
	digits := func(from, to int) bool {
		for i := from; i < to; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if len(s) < 19 || !digits(0, 4) || s[4] != '-' || !digits(5, 7) || s[7] != '-' || !digits(8, 10) ||
		!digits(11, 13) || s[13] != ':' || !digits(14, 16) || s[16] != ':' || !digits(17, 19) {
		if len(s) > 10 && s[10] == ' ' && digits(0, 4) && s[4] == '-' && digits(5, 7) && s[7] == '-' && digits(8, 10) {
			return "a space where the T goes"
		}
		return notDatetime
	}
	switch s[10] {
	case 'T':
	case ' ':
		return "a space where the T goes"
	default:
		return "a " + strconv.QuoteRune(rune(s[10])) + " where the T goes"
	}
	if s[:4] == "0000" {
		return "year 0000"
	}
	i := 19
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		switch n := j - i - 1; {
		case n == 0:
			return "a point without digits"
		case n > 7:
			return fmt.Sprintf("%d fractional digits, more than the 7 of a tick", n)
		}
		i = j
	}
	switch zone := s[i:]; {
	case zone == "Z":
	case zone == "":
		return "no time zone: want Z or an offset such as +02:00"
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && digits(i+1, i+3) && digits(i+4, i+6):
	default:
		return "want Z or an offset such as +02:00 after the time"
	}
	return ""
}
