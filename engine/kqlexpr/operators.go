package kqlexpr

import (
	"fmt"

	"github.com/expr-lang/expr"

	"github.com/signin-detect/detect/engine/kql"
)

// comparisons maps expr's binary operators to the functions with KQL semantics that replace them.
var comparisons = map[string]string{
	"==": "kql_eq", "!=": "kql_neq", "<": "kql_lt", "<=": "kql_le", ">": "kql_gt", ">=": "kql_ge",
	"contains": "kql_contains", "startsWith": "kql_startswith", "endsWith": "kql_endswith", "in": "kql_in",
	"matches": "kql_matches",
}

// arithmetic maps expr's arithmetic operators to KQL's (package kql), which give null for a null
// operand and never fail on a row.
var arithmetic = map[string]struct {
	name string
	fn   func(a, b any) (any, error)
}{
	"+": {"kql_add", kql.Add}, "-": {"kql_sub", kql.Sub}, "*": {"kql_mul", kql.Mul},
	"/": {"kql_div", kql.Div}, "%": {"kql_mod", kql.Mod},
}

// arithmeticResults are the result types arithmetic is registered under (kql_add__long, ...).
var arithmeticResults = []kql.Type{kql.Long, kql.Real, kql.Datetime, kql.Timespan, Any}

func operatorOptions(nulls *nullCounter) []expr.Option {
	options := []expr.Option{
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
		expr.Function("kql_matches", func(args ...any) (any, error) {
			ok, err := kql.MatchesRegex(args[0], args[1])
			if err != nil {
				nulls.add(err.Error())
				return false, nil
			}
			return ok, nil
		}, new(func(any, any) bool)),
		expr.Function("kql_truth", func(args ...any) (any, error) { return args[0] == true, nil }, new(func(any) bool)),
		expr.Function("kql_not", func(args ...any) (any, error) {
			if b, ok := args[0].(bool); ok {
				return !b, nil
			}
			return nil, nil
		}, new(func(any) any)),
		expr.Function("kql_property", func(args ...any) (any, error) {
			return kql.Property(args[0], kql.ToString(args[1])), nil
		}, new(func(any, any) any)),
		expr.Function("kql_index", func(args ...any) (any, error) {
			i, ok := kql.ToLong(args[1])
			if !ok {
				return nil, nil
			}
			return kql.Index(args[0], i), nil
		}, new(func(any, any) any)),
	}
	for _, a := range arithmetic {
		call := func(args ...any) (any, error) {
			v, err := a.fn(args[0], args[1])
			if err != nil {
				nulls.add(err.Error())
				return nil, nil
			}
			return v, nil
		}
		for _, t := range arithmeticResults {
			options = append(options, expr.Function(typedName(a.name, t), call, funcTypes(2, 2, t)...))
		}
	}
	neg := func(args ...any) (any, error) {
		v, err := kql.Neg(args[0])
		if err != nil {
			nulls.add(err.Error())
			return nil, nil
		}
		return v, nil
	}
	for _, t := range arithmeticResults {
		options = append(options, expr.Function(typedName("kql_neg", t), neg, funcTypes(1, 1, t)...))
	}
	return options
}

func binary(name string, fn func(a, b any) bool) expr.Option {
	return expr.Function(name, func(args ...any) (any, error) { return fn(args[0], args[1]), nil }, new(func(any, any) bool))
}

// arithmeticType is the type of a op b by KQL's rules, Any when an operand's type is not known
// before running; an error when the types cannot combine.
// https://learn.microsoft.com/kusto/query/numerical-operators
// https://learn.microsoft.com/kusto/query/datetime-timespan-arithmetic
func arithmeticType(op string, a, b kql.Type) (kql.Type, error) {
	numeric := func(t kql.Type) bool { return t == kql.Long || t == kql.Int || t == kql.Real }
	if a == Any || b == Any || a == kql.Dynamic || b == kql.Dynamic {
		return Any, nil
	}
	switch {
	case numeric(a) && numeric(b):
		if a == kql.Real || b == kql.Real {
			return kql.Real, nil
		}
		return kql.Long, nil
	case op == "+" && (a == kql.Datetime && b == kql.Timespan || a == kql.Timespan && b == kql.Datetime):
		return kql.Datetime, nil
	case (op == "+" || op == "-") && a == kql.Timespan && b == kql.Timespan:
		return kql.Timespan, nil
	case op == "-" && a == kql.Datetime && b == kql.Datetime:
		return kql.Timespan, nil
	case op == "-" && a == kql.Datetime && b == kql.Timespan:
		return kql.Datetime, nil
	case op == "*" && (a == kql.Timespan && numeric(b) || numeric(a) && b == kql.Timespan):
		return kql.Timespan, nil
	case op == "/" && a == kql.Timespan && numeric(b):
		return kql.Timespan, nil
	case op == "/" && a == kql.Timespan && b == kql.Timespan:
		return kql.Real, nil
	}
	if op == "+" && (a == kql.String || b == kql.String) {
		return Any, fmt.Errorf("+ does not join strings in KQL; write strcat(a, b)")
	}
	return Any, fmt.Errorf("KQL cannot apply %s to a %s and a %s", op, a, b)
}
