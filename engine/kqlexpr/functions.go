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
	{"equals_ci", `equals_ci(a, b) bool`, `KQL's a =~ b: equal ignoring case (not equals_ci(a, b) is a !~ b)`},
	{"in_ci", `in_ci(x, list) bool`, `KQL's x in~ (list): a member ignoring case (not in_ci(x, list) is !in~)`},
	{"has", `has(text, term) bool`, `KQL's text has term: term is a whole term of text, ignoring case`},
	{"has_cs", `has_cs(text, term) bool`, `KQL's has_cs: has, minding case`},
	{"between", `between(x, lo, hi) bool`, `KQL's x between (lo .. hi): lo <= x <= hi; hi may be a timespan after a datetime lo`},
	{"bin", `bin(x, size) any`, `x rounded down to a multiple of size ("1h" for datetimes)`},
}

func functions(now *time.Time) []expr.Option {
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
		expr.Function("now", func(args ...any) (any, error) { return *now, nil }, new(func() time.Time)),
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
		binary("equals_ci", kql.EqualFold),
		binary("in_ci", kql.InFold),
		binary("has", kql.Has),
		binary("has_cs", kql.HasCS),
		expr.Function("between", func(args ...any) (any, error) {
			return kql.Between(args[0], args[1], args[2]), nil
		}, new(func(any, any, any) bool)),
		expr.Function("bin", func(args ...any) (any, error) {
			size := args[1]
			if text, ok := size.(string); ok {
				d, err := kql.ParseTimespan(text)
				if err != nil {
					return nil, fmt.Errorf("bin: %w", err)
				}
				size = d
			}
			return kql.Bin(normaliseInt(args[0]), normaliseInt(size))
		}, new(func(any, any) any)),

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

// normaliseInt gives whole-number literals, which expr makes int, KQL's long type.
func normaliseInt(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

func binary(name string, fn func(a, b any) bool) expr.Option {
	return expr.Function(name, func(args ...any) (any, error) { return fn(args[0], args[1]), nil }, new(func(any, any) bool))
}
