package kqlexpr

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

// Window functions: they read the rows around the current one of a serialized row set (after
// sort, top or serialize), through Context.Window.
// https://learn.microsoft.com/kusto/query/window-functions
func init() {
	neighbour := func(name, learn, doc string, direction int) *Function {
		return &Function{Name: name, Window: true,
			Params: []Param{{Name: "column", Type: Any}, {Name: "offset", Type: kql.Long, Optional: true}, {Name: "default_value", Type: Any, Optional: true}},
			Result: Any, ResultOf: columnTypeUnlessDefault,
			Check:   columnFirst(name),
			Prepare: columnName,
			Eval: func(ctx *Context, a []any) (any, error) {
				offset := int64(1)
				if len(a) > 1 && a[1] != nil {
					offset, _ = kql.ToLong(a[1])
				}
				v, ok := ctx.Window().At(direction*int(offset), kql.ToString(a[0]))
				if !ok && len(a) > 2 {
					return normaliseInt(a[2]), nil
				}
				return v, nil
			},
			Learn: learn, Doc: doc}
	}
	register(
		neighbour("prev", "https://learn.microsoft.com/kusto/query/prev-function",
			"column's value in the row offset (default 1) rows before the current one of a serialized row set; default_value (default null) where there is none", -1),
		neighbour("next", "https://learn.microsoft.com/kusto/query/next-function",
			"column's value in the row offset (default 1) rows after the current one of a serialized row set; default_value (default null) where there is none", 1),
		&Function{Name: "row_number", Window: true, Params: []Param{{Name: "start_index", Type: kql.Long, Optional: true}, {Name: "restart", Type: kql.Bool, Optional: true}},
			Result: kql.Long,
			Eval: func(ctx *Context, a []any) (any, error) {
				start := int64(1)
				if len(a) > 0 && a[0] != nil {
					start, _ = kql.ToLong(a[0])
				}
				last := ctx.Window().Carry("row_number")
				restart := len(a) > 1 && a[1] == true
				n, counting := (*last).(int64)
				if !counting || restart {
					n = start - 1
				}
				*last = n + 1
				return n + 1, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/row-number-function",
			Doc:   "the current row's number in a serialized row set, from start_index (default 1), starting again at start_index on a row where restart is true"},
		&Function{Name: "row_window_session", Window: true,
			Params: []Param{{Name: "expr", Type: kql.Datetime}, {Name: "max_distance_from_first", Type: kql.Timespan},
				{Name: "max_distance_between_neighbors", Type: kql.Timespan}, {Name: "restart", Type: kql.Bool, Optional: true}},
			Result: kql.Datetime,
			Eval: func(ctx *Context, a []any) (any, error) {
				t, ok := a[0].(time.Time)
				if !ok {
					if a[0] != nil {
						return nil, fmt.Errorf("row_window_session: expr is a datetime, not %s", kql.TypeOf(a[0]))
					}
				}
				fromFirst, _ := a[1].(time.Duration)
				between, _ := a[2].(time.Duration)
				state := ctx.Window().Carry("row_window_session")
				session, _ := (*state).([2]time.Time) // the session's start, the previous row's value
				restart := len(a) > 3 && a[3] == true
				switch {
				case a[0] == nil:
					return nil, nil
				case session[0].IsZero() || restart || t.Sub(session[0]) > fromFirst || t.Sub(session[1]) > between:
					session = [2]time.Time{t, t}
				default:
					session[1] = t
				}
				*state = session
				return session[0], nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/row-window-session-function",
			Doc:   "the start of the current row's session in a serialized row set: expr's value at the session's first row; a session starts at the first row, where restart is true, and where expr is more than max_distance_from_first after the session's start or more than max_distance_between_neighbors after the previous row's"},
	)
}

// columnFirst checks that a window function's first argument names a column, as KQL requires.
func columnFirst(name string) func(lit Literals) (int, error) {
	return func(lit Literals) (int, error) {
		if _, ok := lit.Column(0); !ok {
			return 0, fmt.Errorf("%s reads a column of the rows around this one: its first argument is a column name", name)
		}
		return -1, nil
	}
}

// columnName makes the column argument its name, which the window reads in other rows.
func columnName(args []ast.Node) {
	if id, ok := args[0].(*ast.IdentifierNode); ok {
		args[0] = &ast.StringNode{Value: id.Value}
	}
}

// columnTypeUnlessDefault is the type of prev's and next's column, unless a default of another
// type is given.
func columnTypeUnlessDefault(args []kql.Type) kql.Type {
	if len(args) > 2 && args[2] != args[0] {
		return Any
	}
	return args[0]
}
