package kqlexpr

import (
	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

// Null tests, choices and membership.
func init() {
	register(
		&Function{Name: "isempty", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.ToString(a[0]) == "", nil },
			Learn: "https://learn.microsoft.com/kusto/query/isempty-function", Doc: `value is null or ""`},
		&Function{Name: "isnotempty", Aliases: []string{"notempty"}, Params: []Param{{Name: "value", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.ToString(a[0]) != "", nil },
			Learn: "https://learn.microsoft.com/kusto/query/isnotempty-function", Doc: `value is neither null nor ""`},
		&Function{Name: "isnull", Params: []Param{{Name: "value", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return a[0] == nil, nil },
			Learn: "https://learn.microsoft.com/kusto/query/isnull-function", Doc: "value is null (strings never are)"},
		&Function{Name: "isnotnull", Aliases: []string{"notnull"}, Params: []Param{{Name: "value", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return a[0] != nil, nil },
			Learn: "https://learn.microsoft.com/kusto/query/isnotnull-function", Doc: "value is not null"},
		&Function{Name: "iff", Aliases: []string{"iif"}, Params: []Param{{Name: "condition", Type: kql.Bool}, {Name: "then", Type: Any}, {Name: "else", Type: Any}},
			Result: Any, ResultOf: sameTypeOf(1, 2),
			Eval: func(_ *Context, a []any) (any, error) {
				if b, ok := a[0].(bool); ok && b {
					return normaliseInt(a[1]), nil
				}
				return normaliseInt(a[2]), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/iff-function", Doc: "then when condition is true, else otherwise (a null condition too)"},
		&Function{Name: "coalesce", Params: []Param{{Name: "value1", Type: Any}, {Name: "value2", Type: Any, Variadic: true}}, Result: Any, ResultOf: sameTypeOf(),
			Eval: func(_ *Context, a []any) (any, error) {
				for _, v := range a {
					if v != nil && v != "" {
						return normaliseInt(v), nil
					}
				}
				if len(a) > 0 {
					if _, isString := a[0].(string); isString {
						return "", nil
					}
				}
				return nil, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/coalesce-function", Doc: `the first argument that is not null (nor "" for strings)`},
		&Function{Name: "in_ci", Params: []Param{{Name: "value", Type: Any}, {Name: "list", Type: kql.Dynamic}}, Result: kql.Bool,
			Prepare: func(args []ast.Node) {
				if len(args) == 2 {
					args[1] = setOf(args[1], kql.NewFoldSet)
				}
			},
			Eval:  func(_ *Context, a []any) (any, error) { return kql.InFold(a[0], a[1]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/in-operator", Doc: "KQL's `value in~ (list)`: a member ignoring case (a hash lookup); `not in_ci(value, list)` is `!in~`"},
	)
}

// sameTypeOf gives the type the arguments at the given places (all when none are given) share,
// Any when they differ.
func sameTypeOf(places ...int) func([]kql.Type) kql.Type {
	return func(args []kql.Type) kql.Type {
		at := places
		if len(at) == 0 {
			at = make([]int, len(args))
			for i := range args {
				at[i] = i
			}
		}
		var t kql.Type = Any
		for n, i := range at {
			if i >= len(args) {
				return Any
			}
			if n == 0 {
				t = args[i]
			} else if args[i] != t {
				return Any
			}
		}
		return t
	}
}
