package kqlexpr

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/signin-detect/detect/engine/kql"
)

// shadowedBuiltins are expr builtins whose names KQL functions take over.
var shadowedBuiltins = []string{"now"}

// Function documents one function available in rule expressions.
type Function struct {
	Name, Signature, Doc string
}

// Functions lists the KQL functions rule expressions can call, for documentation and `--help`.
var Functions = []Function{
	{"ago", `ago(timespan) datetime`, `now minus timespan; timespan is a KQL literal such as "6h", "1d", "30m"`},
	{"now", `now() datetime`, `the run's now (--now)`},
	{"datetime_diff", `datetime_diff(period, a, b) long`, `a - b in period boundaries crossed (year ... nanosecond)`},
	{"extract", `extract(regex, group, text) string`, `capture group of the first RE2 match, "" without one`},
	{"todynamic", `todynamic(x) dynamic`, `JSON text to a value whose properties read as null when missing`},
	{"parse_json", `parse_json(x) dynamic`, `the same as todynamic`},
	{"tostring", `tostring(x) string`, `x as text; null is ""`},
	{"todatetime", `todatetime(x) datetime`, `ISO 8601 text to a datetime; null when it is not one`},
	{"totimespan", `totimespan(x) timespan`, `a timespan literal to a timespan; null when it is not one`},
	{"tolong", `tolong(x) long`, `x as a whole number; null when it is not one`},
	{"tolower", `tolower(x) string`, `lower case`},
	{"toupper", `toupper(x) string`, `upper case`},
	{"isempty", `isempty(x) bool`, `x is null or ""`},
	{"isnotempty", `isnotempty(x) bool`, `x is neither null nor ""`},
	{"isnull", `isnull(x) bool`, `x is null (strings never are)`},
	{"isnotnull", `isnotnull(x) bool`, `x is not null`},
}

func functions(now time.Time) []expr.Option {
	timespanOf := func(v any) (time.Duration, error) {
		switch x := v.(type) {
		case time.Duration:
			return x, nil
		case string:
			return kql.ParseTimespan(x)
		}
		return 0, fmt.Errorf("want a timespan such as \"6h\", got %T", v)
	}
	anyToAny := new(func(any) any)
	return []expr.Option{
		expr.Function("ago", func(args ...any) (any, error) {
			d, err := timespanOf(args[0])
			if err != nil {
				return nil, fmt.Errorf("ago: %w", err)
			}
			return now.Add(-d), nil
		}, new(func(any) time.Time)),
		expr.Function("now", func(args ...any) (any, error) { return now, nil }, new(func() time.Time)),
		expr.Function("datetime_diff", func(args ...any) (any, error) {
			a, aok := args[1].(time.Time)
			b, bok := args[2].(time.Time)
			if !aok || !bok {
				return nil, nil // a null datetime gives a null difference
			}
			return kql.DatetimeDiff(kql.ToString(args[0]), a, b)
		}, new(func(string, any, any) any)),
		expr.Function("extract", func(args ...any) (any, error) {
			group, ok := args[1].(int)
			if !ok {
				return nil, fmt.Errorf("extract: capture group must be a whole number, got %T", args[1])
			}
			return kql.Extract(kql.ToString(args[0]), group, args[2])
		}, new(func(string, int, any) string)),
		expr.Function("todynamic", func(args ...any) (any, error) { return kql.ParseJSON(args[0]), nil }, anyToAny),
		expr.Function("parse_json", func(args ...any) (any, error) { return kql.ParseJSON(args[0]), nil }, anyToAny),
		expr.Function("tostring", func(args ...any) (any, error) { return kql.ToString(args[0]), nil }, new(func(any) string)),
		expr.Function("todatetime", func(args ...any) (any, error) {
			if t, ok := args[0].(time.Time); ok {
				return t, nil
			}
			t, err := kql.ParseDatetime(kql.ToString(args[0]))
			if err != nil {
				return nil, nil
			}
			return t, nil
		}, anyToAny),
		expr.Function("totimespan", func(args ...any) (any, error) {
			d, err := timespanOf(args[0])
			if err != nil {
				return nil, nil
			}
			return d, nil
		}, anyToAny),
		expr.Function("tolong", func(args ...any) (any, error) {
			n, ok := kql.ToLong(args[0])
			if !ok {
				return nil, nil
			}
			return n, nil
		}, anyToAny),
		expr.Function("tolower", func(args ...any) (any, error) { return strings.ToLower(kql.ToString(args[0])), nil }, new(func(any) string)),
		expr.Function("toupper", func(args ...any) (any, error) { return strings.ToUpper(kql.ToString(args[0])), nil }, new(func(any) string)),
		expr.Function("isempty", func(args ...any) (any, error) { return kql.ToString(args[0]) == "", nil }, new(func(any) bool)),
		expr.Function("isnotempty", func(args ...any) (any, error) { return kql.ToString(args[0]) != "", nil }, new(func(any) bool)),
		expr.Function("isnull", func(args ...any) (any, error) { return args[0] == nil, nil }, new(func(any) bool)),
		expr.Function("isnotnull", func(args ...any) (any, error) { return args[0] != nil, nil }, new(func(any) bool)),

		// The operators, rewritten by the patcher.
		binary("kql_eq", kql.Equal),
		binary("kql_neq", kql.NotEqual),
		binary("kql_lt", func(a, b any) bool { c, ok := kql.Compare(a, b); return ok && c < 0 }),
		binary("kql_le", func(a, b any) bool { c, ok := kql.Compare(a, b); return ok && c <= 0 }),
		binary("kql_gt", func(a, b any) bool { c, ok := kql.Compare(a, b); return ok && c > 0 }),
		binary("kql_ge", func(a, b any) bool { c, ok := kql.Compare(a, b); return ok && c >= 0 }),
		binary("kql_contains", kql.Contains),
		binary("kql_startswith", kql.StartsWith),
		binary("kql_endswith", kql.EndsWith),
		binary("kql_in", kql.In),
		expr.Function("kql_property", func(args ...any) (any, error) {
			return kql.Property(args[0], kql.ToString(args[1])), nil
		}, new(func(any, any) any)),
		expr.Function("kql_index", func(args ...any) (any, error) {
			i, _ := args[1].(int)
			return kql.Index(args[0], int64(i)), nil
		}, new(func(any, any) any)),
	}
}

func binary(name string, fn func(a, b any) bool) expr.Option {
	return expr.Function(name, func(args ...any) (any, error) { return fn(args[0], args[1]), nil }, new(func(any, any) bool))
}
