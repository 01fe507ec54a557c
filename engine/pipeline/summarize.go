package pipeline

import (
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// summarize groups rows by its keys and computes its aggregates over each group.
// https://learn.microsoft.com/kusto/query/summarize-operator
type summarize struct {
	keys []assignment
	aggs []*aggregate
	// passes is true when an aggregate returns every column (arg_min(X, *)): the columns flow on.
	passes bool
	// picks is true when every aggregate picks a row (arg_min, arg_max): a result row then comes
	// from the rows picked, else from every row of its group.
	picks bool
}

type aggregate struct {
	fn     string
	column string      // the column of its value
	arg    *assignment // the value aggregated; nil for count()
	typ    kql.Type
	// returns are the input columns arg_min and arg_max return from the row they pick; all tells
	// that they are every column (*), which flow on as they are.
	returns []Column
	all     bool
}

// aggregateDefaults are KQL's names for aggregates written without one: a prefix and the argument
// column's name (count() is count_).
// https://learn.microsoft.com/kusto/query/summarize-operator
var aggregateDefaults = map[string]string{
	"count": "count_", "dcount": "dcount_", "sum": "sum_", "min": "min_", "max": "max_",
	"make_set": "set_", "make_list": "list_",
}

// planSummarize plans a summarize: the group keys, then each aggregate's columns. The columns flow
// on only when an aggregate returns them all (arg_min(X, *)).
func planSummarize(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	sm, out := c.summarize(s, f.cols)
	if !sm.passes {
		f.wide = nil
	}
	f.cols = out
	return sm, f
}

func (c *compiler) summarize(s *rule.Stage, in []Column) (*summarize, []Column) {
	sm := &summarize{picks: len(s.Summarize.Aggregates) > 0}
	var out []Column
	add := func(col Column, pos rule.Position) bool {
		if indexOf(out, col.Name) >= 0 {
			c.errs.Add(pos, "summarize makes %s twice; name one of them (Name: ...)", col.Name)
			return false
		}
		out = append(out, col)
		return true
	}
	for _, k := range s.Summarize.By {
		name := k.Column
		if name == "" {
			src := strings.TrimSpace(k.Expr.Source)
			if col, ok := kqlexpr.BinColumn(src); ok {
				name = col
			} else if col, ok := kqlexpr.ColumnName(src); ok && indexOf(in, col) >= 0 {
				name = col
			} else {
				c.errs.Add(k.Pos, "summarize by %s: name this group key (- Name: %s); KQL names only columns and bin(Column, size) itself", src, src)
				continue
			}
		}
		a := c.assignment(&rule.Assignment{Column: name, Expr: k.Expr, Pos: k.Pos}, in)
		if add(Column{name, c.typeOf(a, in)}, k.Pos) {
			sm.keys = append(sm.keys, a)
		}
	}
	for _, a := range s.Summarize.Aggregates {
		agg := c.aggregate(a, in)
		if agg == nil {
			continue
		}
		sm.picks = sm.picks && (agg.fn == "arg_min" || agg.fn == "arg_max")
		if !add(Column{agg.column, agg.typ}, a.Pos) {
			continue
		}
		if agg.fn == "arg_min" || agg.fn == "arg_max" {
			// A returned column that the result has already (a group key, the value) is not repeated.
			var returns []Column
			for _, col := range agg.returns {
				if indexOf(out, col.Name) < 0 {
					out = append(out, col)
					returns = append(returns, col)
				}
			}
			agg.returns = returns
		}
		sm.aggs = append(sm.aggs, agg)
		sm.passes = sm.passes || agg.all
	}
	return sm, out
}

// aggregate plans one aggregation call.
func (c *compiler) aggregate(a *rule.Assignment, in []Column) *aggregate {
	call, err := kqlexpr.ParseCall(a.Expr.Source)
	if err != nil {
		c.errs.Add(a.Expr.Pos, "summarize aggregate %s: %v", strings.TrimSpace(a.Expr.Source), err)
		return nil
	}
	agg := &aggregate{fn: call.Name, column: a.Column}
	want := 1
	switch call.Name {
	case "count":
		want = 0
	case "arg_min", "arg_max":
		want = -2
	default:
		if _, ok := aggregateDefaults[call.Name]; !ok {
			c.errs.Add(a.Expr.Pos, "summarize: unknown aggregation %s (known: count, dcount, sum, min, max, make_set, make_list, arg_min, arg_max)", call.Name)
			return nil
		}
	}
	if (want >= 0 && len(call.Args) != want) || (want < 0 && len(call.Args) < -want) {
		c.errs.Add(a.Expr.Pos, "summarize: %s", aggregateUsage[call.Name])
		return nil
	}
	if call.Name == "count" {
		agg.typ = kql.Long
		if agg.column == "" {
			agg.column = aggregateDefaults["count"]
		}
		return agg
	}
	if call.Args[0].Star {
		c.errs.Add(a.Expr.Part(call.Args[0].Offset, call.Args[0].Length).Pos, "%s: * is not a value to aggregate", call.Name)
		return nil
	}
	argExpr := a.Expr.Part(call.Args[0].Offset, call.Args[0].Length)
	arg := c.assignment(&rule.Assignment{Expr: argExpr, Pos: argExpr.Pos}, in)
	agg.arg = &arg
	if agg.column == "" {
		if arg.copyOf == "" {
			c.errs.Add(a.Pos, "summarize %s: name this aggregate (- Name: %s); KQL names only aggregates of a column", strings.TrimSpace(a.Expr.Source), strings.TrimSpace(a.Expr.Source))
			return nil
		}
		agg.column = aggregateDefaults[call.Name] + arg.copyOf
		if call.Name == "arg_min" || call.Name == "arg_max" {
			agg.column = arg.copyOf
		}
	}
	argType := c.typeOf(arg, in)
	switch call.Name {
	case "dcount":
		agg.typ = kql.Long
	case "make_set", "make_list":
		agg.typ = kql.Dynamic
	case "sum":
		agg.typ = argType
		if argType != kql.Long && argType != kql.Int && argType != kql.Real && argType != kql.Dynamic {
			c.errs.Add(argExpr.Pos, "sum adds numbers; %s is a %s", strings.TrimSpace(argExpr.Source), argType)
		}
	default:
		agg.typ = argType
	}
	for _, ret := range call.Args[1:] {
		if ret.Star {
			agg.returns = append(agg.returns, in...)
			agg.all = true
			continue
		}
		name, _ := kqlexpr.ColumnName(ret.Source)
		i := indexOf(in, name)
		if i < 0 {
			name = ret.Source
			c.errs.Add(a.Expr.Part(ret.Offset, ret.Length).Pos, "%s returns columns (or *); no column %s here%s", call.Name, name, hint(name, in))
			continue
		}
		c.used[name] = true
		agg.returns = append(agg.returns, in[i])
	}
	return agg
}

var aggregateUsage = map[string]string{
	"count":     "count() takes no argument",
	"dcount":    "dcount(expression) takes one argument",
	"sum":       "sum(expression) takes one argument",
	"min":       "min(expression) takes one argument",
	"max":       "max(expression) takes one argument",
	"make_set":  "make_set(expression) takes one argument",
	"make_list": "make_list(expression) takes one argument",
	"arg_min":   "arg_min(expression, * or columns) takes the expression to minimise and the columns to return",
	"arg_max":   "arg_max(expression, * or columns) takes the expression to maximise and the columns to return",
}

// group is one group of a summarize: its key values, its aggregates' states, and the records it
// was made from.
type group struct {
	keys    []any
	states  []aggState
	sources sourceSet
}

// aggState is an aggregate's running state over one group. Nulls are ignored by every aggregate
// (arg_min and arg_max pick a row with a null value only when all are null).
// https://learn.microsoft.com/kusto/query/summarize-operator
type aggState interface {
	add(v any, row *record.Row)
	// put writes the result into values; picked is the row it picked (arg_min, arg_max) or nil.
	put(values map[string]any) (picked *record.Row)
}

func newState(a *aggregate) aggState {
	switch a.fn {
	case "count":
		return &countState{a: a}
	case "dcount":
		return &setState{a: a, seen: map[string]bool{}, count: true}
	case "make_set":
		return &setState{a: a, seen: map[string]bool{}}
	case "make_list":
		return &setState{a: a}
	case "sum":
		return &sumState{a: a}
	case "min", "max":
		return &pickState{a: a, min: a.fn == "min"}
	}
	return &pickState{a: a, min: a.fn == "arg_min", rows: true}
}

// countState is count(): the group's rows.
// https://learn.microsoft.com/kusto/query/count-aggregation-function
type countState struct {
	a *aggregate
	n int64
}

func (s *countState) add(any, *record.Row) { s.n++ }
func (s *countState) put(values map[string]any) *record.Row {
	values[s.a.column] = s.n
	return nil
}

// setState is make_set() (distinct values, in the order first met), make_list() (every value)
// and dcount() (how many distinct values; KQL estimates it, this counts exactly).
// https://learn.microsoft.com/kusto/query/make-set-aggregation-function
// https://learn.microsoft.com/kusto/query/make-list-aggregation-function
// https://learn.microsoft.com/kusto/query/dcount-aggregation-function
type setState struct {
	a     *aggregate
	seen  map[string]bool // nil for make_list
	items []any
	count bool
	n     int64
}

func (s *setState) add(v any, _ *record.Row) {
	if v == nil {
		return
	}
	if s.seen != nil {
		key := groupKey([]any{v})
		if s.seen[key] {
			return
		}
		s.seen[key] = true
	}
	if s.count {
		s.n++
		return
	}
	s.items = append(s.items, v)
}

func (s *setState) put(values map[string]any) *record.Row {
	if s.count {
		values[s.a.column] = s.n
		return nil
	}
	items := s.items
	if items == nil {
		items = []any{}
	}
	values[s.a.column] = items
	return nil
}

// sumState is sum(): whole numbers add up as a long, any real makes the sum a real; 0 when there
// is nothing to add.
// https://learn.microsoft.com/kusto/query/sum-aggregation-function
type sumState struct {
	a    *aggregate
	i    int64
	f    float64
	real bool
}

func (s *sumState) add(v any, _ *record.Row) {
	switch x := v.(type) {
	case int64:
		s.i += x
		s.f += float64(x)
	case float64:
		s.f += x
		s.real = true
	}
}

func (s *sumState) put(values map[string]any) *record.Row {
	if s.real || s.a.typ == kql.Real {
		values[s.a.column] = s.f
	} else {
		values[s.a.column] = s.i
	}
	return nil
}

// pickState is min() and max() (the value; null when there is none), and arg_min() and
// arg_max() (the value and the row it comes from). On a tie the first row met is kept: KQL
// returns any one of them.
// https://learn.microsoft.com/kusto/query/arg-min-aggregation-function
// https://learn.microsoft.com/kusto/query/arg-max-aggregation-function
type pickState struct {
	a    *aggregate
	min  bool
	rows bool
	best any
	row  *record.Row
}

func (s *pickState) add(v any, row *record.Row) {
	if v == nil {
		// arg_min and arg_max pick a row whose value is null only when every value is null.
		if s.row == nil {
			s.row = row
		}
		return
	}
	if s.best == nil {
		s.best, s.row = v, row
		return
	}
	if c, ok := kql.Compare(v, s.best); ok && (s.min && c < 0 || !s.min && c > 0) {
		s.best, s.row = v, row
	}
}

func (s *pickState) put(values map[string]any) *record.Row {
	values[s.a.column] = s.best
	if !s.rows {
		return nil
	}
	for _, col := range s.a.returns {
		if s.row == nil {
			values[col.Name] = col.Type.Zero()
		} else if v, ok := s.row.Values[col.Name]; ok {
			// A column the row lacks was not read: nothing after reads it either.
			values[col.Name] = v
		}
	}
	return s.row
}

// summarize runs a summarize. Rows with equal group keys (nulls equal to each other) form a group;
// groups come in the order their first row came. Without group keys there is exactly one result
// row, even for no rows (count() 0, make_set() [], min() null). A result row's sources are the
// records of its group, or, when every aggregate is arg_min or arg_max, of the rows picked.
// https://learn.microsoft.com/kusto/query/summarize-operator
func (sm *summarize) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	groups := map[string]*group{}
	var order []*group
	newGroup := func(keys []any) *group {
		g := &group{keys: keys}
		for _, a := range sm.aggs {
			g.states = append(g.states, newState(a))
		}
		order = append(order, g)
		return g
	}
	for i := range rows {
		row := &rows[i]
		keys := make([]any, len(sm.keys))
		for k, key := range sm.keys {
			v, err := r.value(key, row.Values)
			if err != nil {
				return nil, r.fail(s, *row, err)
			}
			keys[k] = v
		}
		id := groupKey(keys)
		g, ok := groups[id]
		if !ok {
			g = newGroup(keys)
			groups[id] = g
		}
		for a, agg := range sm.aggs {
			var v any
			if agg.arg != nil {
				var err error
				if v, err = r.value(*agg.arg, row.Values); err != nil {
					return nil, r.fail(s, *row, err)
				}
			}
			g.states[a].add(v, row)
		}
		if !sm.picks {
			g.sources.add(row.Sources)
		}
	}
	if len(rows) == 0 && len(sm.keys) == 0 {
		newGroup(nil)
	}
	out := make([]record.Row, 0, len(order))
	for _, g := range order {
		values := make(map[string]any, len(sm.keys)+len(sm.aggs))
		for k, key := range sm.keys {
			values[key.column] = g.keys[k]
		}
		var picked sourceSet
		for _, state := range g.states {
			if row := state.put(values); row != nil {
				picked.add(row.Sources)
			}
		}
		sources := g.sources.list
		if sm.picks {
			sources = picked.list
		}
		out = append(out, record.Row{Values: values, Sources: sources})
	}
	return out, nil
}

func (sm *summarize) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (sm *summarize) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (sm *summarize) filter() *kqlexpr.Program         { return nil }
func (sm *summarize) rowWise() bool                    { return false }
func (sm *summarize) splittable() bool                 { return false }
func (sm *summarize) fresh(bool, map[string]bool) bool { return true }
