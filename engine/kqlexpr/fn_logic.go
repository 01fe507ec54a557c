package kqlexpr

import (
	"fmt"

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
		&Function{Name: "case", Params: []Param{{Name: "predicate1", Type: kql.Bool}, {Name: "then1", Type: Any}, {Name: "else", Type: Any, Variadic: true}},
			Result: Any, ResultOf: caseType,
			Check: func(lit Literals) (int, error) {
				if n := len(lit.args); n%2 == 0 {
					return n - 1, fmt.Errorf("case takes pairs of a predicate and a value, then the value else: an odd number of arguments, not %d", n)
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				for i := 0; i+1 < len(a); i += 2 {
					if b, ok := a[i].(bool); ok && b {
						return normaliseInt(a[i+1]), nil
					}
				}
				return normaliseInt(a[len(a)-1]), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/case-function", Doc: "the value after the first predicate that is true (null is not), else the last argument"},
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

// caseType is the type case's values share (then1, then2, ..., else), Any when they differ.
func caseType(args []kql.Type) kql.Type {
	var places []int
	for i := 1; i < len(args); i += 2 {
		places = append(places, i)
	}
	return sameTypeOf(append(places, len(args)-1)...)(args)
}
