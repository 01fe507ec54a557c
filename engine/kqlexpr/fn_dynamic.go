package kqlexpr

import (
	"github.com/signin-detect/detect/engine/kql"
)

// Dynamic (JSON) values.
func init() {
	register(
		&Function{Name: "parse_json", Aliases: []string{"todynamic"}, Params: []Param{{Name: "json", Type: Any}}, Result: kql.Dynamic,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.ParseJSON(a[0]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/parse-json-function", Doc: "JSON text to a dynamic value whose properties read as null when missing; text that is not JSON stays a string"},
		&Function{Name: "array_length", Params: []Param{{Name: "array", Type: kql.Dynamic}}, Result: kql.Long,
			Eval: func(_ *Context, a []any) (any, error) {
				arr, ok := a[0].([]any)
				if !ok {
					return nil, nil
				}
				return int64(len(arr)), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/array-length-function", Doc: "the number of elements of a dynamic array; null when it is not one"},
	)
}
