package pipeline

import (
	"fmt"
	"strings"

	aggregatepkg "github.com/signin-detect/detect/engine/aggregate"
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
	def    *aggregatepkg.Aggregate
	column string      // the column of its value; "" for take_any(*), which has none
	arg    *assignment // the value aggregated; nil for count()
	typ    kql.Type    // the type of its value
	argTyp kql.Type    // the type of what it aggregates
	// pred is the predicate of the _if forms (countif, dcountif, ...): a row whose predicate is
	// not true is not aggregated.
	pred *assignment
	// consts are the Constant arguments (MaxSize, accuracy), computed once per run.
	consts []assignment
	// returns are the input columns arg_min and arg_max return from the row they pick; all tells
	// that they are every column (*), which flow on as they are.
	returns []Column
	all     bool
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
		sm.picks = sm.picks && agg.def.Picks
		if agg.column != "" && !add(Column{agg.column, agg.typ}, a.Pos) {
			continue
		}
		if agg.def.Picks {
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

// aggregate plans one aggregation call, as the aggregate registry describes it.
func (c *compiler) aggregate(a *rule.Assignment, in []Column) *aggregate {
	call, err := kqlexpr.ParseCall(a.Expr.Source)
	if err != nil {
		c.errs.Add(a.Expr.Pos, "summarize aggregate %s: %v", strings.TrimSpace(a.Expr.Source), err)
		return nil
	}
	def, ok := aggregatepkg.Lookup(call.Name)
	if !ok {
		c.errs.Add(a.Expr.Pos, "summarize: unknown aggregation %s (known: %s)", call.Name, strings.Join(aggregatepkg.Names(), ", "))
		return nil
	}
	if err := def.CheckArity(len(call.Args)); err != nil {
		c.errs.Add(a.Expr.Pos, "summarize: %v", err)
		return nil
	}
	agg := &aggregate{def: def, column: a.Column}
	for i, arg := range call.Args {
		argExpr := a.Expr.Part(arg.Offset, arg.Length)
		kind := def.ArgKind(i)
		if arg.Star {
			// take_any(*) returns every column of one row, with no value column of its own.
			if kind == aggregatepkg.Returned || i == 0 && def.Picks && len(call.Args) == 1 {
				agg.returns = append(agg.returns, in...)
				agg.all = true
				continue
			}
			c.errs.Add(argExpr.Pos, "%s: * is not a value to aggregate", call.Name)
			return nil
		}
		switch kind {
		case aggregatepkg.Value:
			if !c.aggregateValue(agg, a, argExpr, in) {
				return nil
			}
		case aggregatepkg.Predicate:
			pred := c.assignment(&rule.Assignment{Expr: argExpr, Pos: argExpr.Pos}, in)
			if t := c.typeOf(pred, in); t != kql.Bool && t != kql.Dynamic {
				c.errs.Add(argExpr.Pos, "%s: the predicate %s is a %s, not a bool", call.Name, strings.TrimSpace(argExpr.Source), t)
			}
			agg.pred = &pred
		case aggregatepkg.Constant:
			k := c.assignment(&rule.Assignment{Expr: argExpr, Pos: argExpr.Pos}, in)
			if len(k.reads()) > 0 {
				c.errs.Add(argExpr.Pos, "%s: %s must be a constant (a literal or a param), not read from the rows", call.Name, strings.TrimSpace(argExpr.Source))
			}
			agg.consts = append(agg.consts, k)
		case aggregatepkg.Returned:
			name, _ := kqlexpr.ColumnName(arg.Source)
			j := indexOf(in, name)
			if j < 0 {
				name = arg.Source
				c.errs.Add(argExpr.Pos, "%s returns columns (or *); no column %s here%s", call.Name, name, hint(name, in))
				continue
			}
			c.used[name] = true
			agg.returns = append(agg.returns, in[j])
		}
	}
	if def.NameSuffix && a.Column == "" && agg.column != "" {
		for i, arg := range call.Args {
			if def.ArgKind(i) == aggregatepkg.Constant {
				agg.column += "_" + strings.ReplaceAll(strings.TrimSpace(arg.Source), ".", "_")
			}
		}
	}
	if agg.arg == nil && !agg.all {
		agg.typ, _ = def.Result(kql.Dynamic)
		if agg.column == "" {
			agg.column = def.Prefix
		}
	}
	return agg
}

// aggregateValue plans the value an aggregate aggregates, naming the aggregate as KQL does when
// the rule does not (Prefix and the column's name).
func (c *compiler) aggregateValue(agg *aggregate, a *rule.Assignment, argExpr *rule.Expr, in []Column) bool {
	def := agg.def
	arg := c.assignment(&rule.Assignment{Expr: argExpr, Pos: argExpr.Pos}, in)
	agg.arg = &arg
	if agg.column == "" {
		if arg.copyOf == "" {
			c.errs.Add(a.Pos, "summarize %s: name this aggregate (- Name: %s); KQL names only aggregates of a column", strings.TrimSpace(a.Expr.Source), strings.TrimSpace(a.Expr.Source))
			return false
		}
		agg.column = def.Prefix + arg.copyOf
	}
	agg.argTyp = c.typeOf(arg, in)
	var err error
	if agg.typ, err = def.Result(agg.argTyp); err != nil {
		c.errs.Add(argExpr.Pos, "%s %v; %s is a %s", def.Name, err, strings.TrimSpace(argExpr.Source), agg.argTyp)
	}
	return true
}

// group is one group of a summarize: its key values, its aggregates' states, and the records it
// was made from.
type group struct {
	keys    []any
	rows    int
	states  []aggState
	sources sourceSet
}

// aggState is an aggregate's running state over one group.
type aggState struct {
	a     *aggregate
	state aggregatepkg.State
}

func newState(a *aggregate, consts []any) aggState {
	return aggState{a: a, state: a.def.New(a.argTyp, consts...)}
}

// constsOf computes the Constant arguments (maxSize, accuracy) of each aggregate, once per run.
func (r *runner) constsOf(aggs []*aggregate) ([][]any, error) {
	consts := make([][]any, len(aggs))
	for a, agg := range aggs {
		for _, k := range agg.consts {
			v, err := r.value(k, record.Row{})
			if err != nil {
				return nil, err
			}
			consts[a] = append(consts[a], v)
		}
	}
	return consts, nil
}

// add gives a row to the aggregate: not when its predicate (the _if forms) is not true, nor when
// its value is null (KQL's aggregates ignore nulls; those that pick a row see them, to pick a row
// whose value is null when every value is).
func (s aggState) add(r *runner, row *record.Row) error {
	if s.a.pred != nil {
		ok, err := r.value(*s.a.pred, *row)
		if err != nil || ok != true {
			return err
		}
	}
	var v any
	if s.a.arg != nil {
		var err error
		if v, err = r.value(*s.a.arg, *row); err != nil {
			return err
		}
		if v == nil && !s.a.def.Picks {
			return nil
		}
	}
	s.state.Add(v, row)
	return nil
}

// put writes the aggregate's value, and for arg_min and arg_max the columns of the row picked,
// into values; it returns the row picked, or nil.
func (s aggState) put(values *record.Builder) *record.Row {
	if s.a.column != "" {
		values.Set(s.a.column, s.state.Value())
	}
	if !s.a.def.Picks {
		return nil
	}
	row := s.state.Picked()
	for _, col := range s.a.returns {
		if row == nil {
			values.Set(col.Name, col.Type.Zero())
		} else if v, ok := row.Lookup(col.Name); ok {
			// A column the row lacks was not read: nothing after reads it either.
			values.Set(col.Name, v)
		}
	}
	return row
}

// summarize runs a summarize. Rows with equal group keys (nulls equal to each other) form a group;
// groups come in the order their first row came. Without group keys there is exactly one result
// row, even for no rows (count() 0, make_set() [], min() null). A result row's sources are the
// records of its group, or, when every aggregate is arg_min or arg_max, of the rows picked.
// https://learn.microsoft.com/kusto/query/summarize-operator
func (sm *summarize) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	consts, err := r.constsOf(sm.aggs)
	if err != nil {
		return nil, fmt.Errorf("%s: stage %s: %w", s.Rule.Pos, s.Rule.Label(), err)
	}
	groups := map[string]*group{}
	var order []*group
	newGroup := func(keys []any) *group {
		g := &group{keys: keys}
		for a, agg := range sm.aggs {
			g.states = append(g.states, newState(agg, consts[a]))
		}
		order = append(order, g)
		return g
	}
	for i := range rows {
		row := &rows[i]
		keys, err := r.groupKeys(s, sm.keys, row)
		if err != nil {
			return nil, err
		}
		id := groupKey(keys)
		g, ok := groups[id]
		if !ok {
			if limit := r.plan.budget.Groups; limit > 0 && len(order) >= limit {
				return nil, sm.overBudget(s, limit, order, row)
			}
			g = newGroup(keys)
			groups[id] = g
		}
		g.rows++
		for a := range sm.aggs {
			if err := g.states[a].add(r, row); err != nil {
				return nil, r.fail(s, *row, err)
			}
		}
		if !sm.picks {
			g.sources.add(row.Sources)
		}
	}
	if len(rows) == 0 && len(sm.keys) == 0 {
		newGroup(nil)
	}
	out := make([]record.Row, 0, len(order))
	var values record.Builder
	for _, g := range order {
		for k, key := range sm.keys {
			values.Set(key.column, g.keys[k])
		}
		var picked sourceSet
		for _, state := range g.states {
			if row := state.put(&values); row != nil {
				picked.add(row.Sources)
			}
		}
		sources := g.sources.list
		if sm.picks {
			sources = picked.list
		}
		out = append(out, values.Row(sources))
	}
	return out, nil
}

// overBudget is the error of a summarize that would make more groups than limit, at row: it
// names the largest group so far.
func (sm *summarize) overBudget(s *Stage, limit int, groups []*group, row *record.Row) error {
	largest := groups[0]
	for _, g := range groups {
		if g.rows > largest.rows {
			largest = g
		}
	}
	columns := make([]string, len(sm.keys))
	var values record.Builder
	for k, key := range sm.keys {
		columns[k] = key.column
		values.Set(key.column, largest.keys[k])
	}
	return &BudgetError{Stage: s, What: "groups", Flag: "--max-groups", Limit: limit, Made: limit + 1,
		Hottest: describeKey(columns, values.Row(nil)), Count: fmt.Sprintf("%d rows, the largest group when the row from %s made one too many", largest.rows, sourcesText(row.Sources))}
}

func (sm *summarize) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (sm *summarize) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (sm *summarize) filter() *kqlexpr.Program { return nil }
func (sm *summarize) rowWise() bool            { return false }
func (sm *summarize) splittable() bool         { return false }
