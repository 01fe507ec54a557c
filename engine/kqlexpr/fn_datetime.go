package kqlexpr

import (
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

// Datetime and timespan functions.
func init() {
	register(
		&Function{Name: "ago", Params: []Param{{Name: "timespan", Type: kql.Timespan}}, Result: kql.Datetime, ReadsClock: true,
			Check: timespanLiteral("ago", 0),
			Fold: func(now time.Time, lit Literals) (any, bool) {
				s, ok := lit.String(0)
				if !ok {
					return nil, false
				}
				d, err := kql.ParseTimespan(s)
				return now.Add(-d), err == nil
			},
			Eval: func(ctx *Context, a []any) (any, error) {
				d, err := timespanOf(a[0])
				if err != nil || a[0] == nil {
					return nil, err
				}
				return ctx.Now().Add(-d), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/ago-function", Doc: "now minus a timespan literal (`6h`, `1d`, `30m`, `10s`, `100ms`, `1.5h`, `01:30:00`)"},
		&Function{Name: "now", Result: kql.Datetime, ReadsClock: true,
			Eval:  func(ctx *Context, _ []any) (any, error) { return ctx.Now(), nil },
			Learn: "https://learn.microsoft.com/kusto/query/now-function", Doc: "the run's now (--now)"},
		&Function{Name: "datetime_diff", Params: []Param{{Name: "period", Type: kql.String}, {Name: "datetime1", Type: kql.Datetime}, {Name: "datetime2", Type: kql.Datetime}},
			Result: kql.Long,
			Check: func(lit Literals) (int, error) {
				if s, ok := lit.String(0); ok {
					if _, err := kql.DatetimeDiff(s, time.Time{}, time.Time{}); err != nil {
						return 0, err
					}
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				t1, ok1 := a[1].(time.Time)
				t2, ok2 := a[2].(time.Time)
				if !ok1 || !ok2 {
					return nil, nil
				}
				return kql.DatetimeDiff(kql.ToString(a[0]), t1, t2)
			},
			Learn: "https://learn.microsoft.com/kusto/query/datetime-diff-function", Doc: "`datetime1 - datetime2` counted in period boundaries crossed: both truncated to the period, then subtracted (10:00:59.9 to 10:01:00.1 is 1 minute; 10:00:00.0 to 10:00:59.9 is 0); periods year ... nanosecond; weeks start on Sunday"},
		&Function{Name: "bin", Aliases: []string{"floor"}, Params: []Param{{Name: "value", Type: Any}, {Name: "roundTo", Type: Any}}, Result: Any,
			ResultOf: func(args []kql.Type) kql.Type { return args[0] },
			Check:    timespanLiteral("bin", 1),
			Eval: func(_ *Context, a []any) (any, error) {
				size := a[1]
				if text, ok := size.(string); ok {
					d, err := kql.ParseTimespan(text)
					if err != nil {
						return nil, fmt.Errorf("bin: %w", err)
					}
					size = d
				}
				return kql.Bin(normaliseInt(a[0]), normaliseInt(size))
			},
			Learn: "https://learn.microsoft.com/kusto/query/bin-function", Doc: "value rounded down to a multiple of roundTo: a datetime by a timespan (`bin(TimeGenerated, \"1h\")`, counted from 0001-01-01 as KQL does, so `\"7d\"` bins start on Mondays), a timespan by a timespan, a number by a number"},
		&Function{Name: "between", Params: []Param{{Name: "value", Type: Any}, {Name: "low", Type: Any}, {Name: "high", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.Between(a[0], a[1], a[2]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/between-operator", Doc: "KQL's `value between (low .. high)`: `low <= value <= high`, both ends included; when value and low are datetimes high may be a timespan (`totimespan(\"1h\")`), the range low .. low+high; false when any is null"},
	)
}

// timespanLiteral checks that argument i, when a string literal, is a KQL timespan.
func timespanLiteral(fn string, i int) func(Literals) (int, error) {
	return func(lit Literals) (int, error) {
		if s, ok := lit.String(i); ok {
			if _, err := kql.ParseTimespan(s); err != nil {
				return i, fmt.Errorf("%s: %v", fn, err)
			}
		}
		return -1, nil
	}
}

// timespanOf reads a timespan argument: a timespan, or a string holding a timespan literal.
func timespanOf(v any) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case time.Duration:
		return x, nil
	case string:
		return kql.ParseTimespan(x)
	}
	return 0, fmt.Errorf("want a timespan such as \"6h\", got a %s", kql.TypeOf(v))
}

// normaliseInt gives whole-number literals, which expr makes int, KQL's long type.
func normaliseInt(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}
