package kqlexpr

import (
	"regexp"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

// Conversion functions: text that does not convert, and values out of the target type's range,
// give null, never an error or a wrapped number.
func init() {
	register(
		&Function{Name: "tostring", Params: []Param{{Name: "value", Type: Any}}, Result: kql.String,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.ToString(a[0]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/tostring-function", Doc: "value as text: null is `\"\"`, a datetime has seven fractional digits, a dynamic value is compact JSON, its properties in their order, `<`, `>` and `&` as they are"},
		&Function{Name: "tolong", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Long,
			Eval:  convert(kql.ToLong),
			Learn: "https://learn.microsoft.com/kusto/query/tolong-function", Doc: "value as a long; null when it is not a number or out of range"},
		&Function{Name: "toint", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Long,
			Eval:  convert(kql.ToInt),
			Learn: "https://learn.microsoft.com/kusto/query/toint-function", Doc: "value as an int (32 bits); null when it is not a number or out of range"},
		&Function{Name: "todouble", Aliases: []string{"toreal"}, Params: []Param{{Name: "value", Type: Any}}, Result: kql.Real,
			Eval:  convert(kql.ToReal),
			Learn: "https://learn.microsoft.com/kusto/query/todouble-function", Doc: "value as a real; null when it is not a number"},
		&Function{Name: "tobool", Aliases: []string{"toboolean"}, Params: []Param{{Name: "value", Type: Any}}, Result: kql.Bool,
			Eval:  convert(kql.ToBool),
			Learn: "https://learn.microsoft.com/kusto/query/tobool-function", Doc: `value as a bool: "true" or "false" in any case, a number as not 0; else null`},
		&Function{Name: "todecimal", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Real,
			Eval:  convert(kql.ToReal),
			Learn: "https://learn.microsoft.com/kusto/query/todecimal-function", Doc: "value as a number; null when it is not one (detect has no decimal type: a real, 15 to 17 significant digits, not 34)"},
		&Function{Name: "toguid", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Guid,
			Eval: func(_ *Context, a []any) (any, error) {
				s := strings.ToLower(strings.TrimSpace(kql.ToString(a[0])))
				if !guidText.MatchString(s) {
					return nil, nil
				}
				return s, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/toguid-function", Doc: "text in a GUID's 8-4-4-4-12 hex digits as a guid, lower case; null when it is not one"},
		&Function{Name: "todatetime", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Datetime,
			Eval: func(_ *Context, a []any) (any, error) {
				if t, ok := a[0].(time.Time); ok {
					return t, nil
				}
				t, err := kql.ParseDatetime(kql.ToString(a[0]))
				if err != nil {
					return nil, nil
				}
				return t, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/todatetime-function", Doc: "ISO 8601 text to a datetime; null when it is not one"},
		&Function{Name: "totimespan", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Timespan,
			Check: timespanLiteral("totimespan", 0),
			Eval: func(_ *Context, a []any) (any, error) {
				d, err := timespanOf(a[0])
				if err != nil || a[0] == nil {
					return nil, nil
				}
				return d, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/totimespan-function", Doc: "a timespan literal to a timespan; null when it is not one"},
	)
}

var guidText = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// convert makes a conversion's Eval from a kql conversion whose ok is false where KQL gives null.
func convert[T any](fn func(any) (T, bool)) func(*Context, []any) (any, error) {
	return func(_ *Context, a []any) (any, error) {
		v, ok := fn(a[0])
		if !ok {
			return nil, nil
		}
		return v, nil
	}
}
