package pipeline

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	aggregatepkg "github.com/signin-detect/detect/engine/aggregate"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

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
	column string      // the column of its value
	arg    *assignment // the value aggregated; nil for count()
	typ    kql.Type    // the type of its value
	argTyp kql.Type    // the type of what it aggregates
	// returns are the input columns arg_min and arg_max return from the row they pick; all tells
	// that they are every column (*), which flow on as they are.
	returns []Column
	all     bool
}

// binOfColumn is a group key bin(Column, size), which KQL names after the column.
var binOfColumn = regexp.MustCompile(`^\s*bin\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,`)

// summarize plans a summarize: the group keys, then each aggregate's columns.
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
			if m := binOfColumn.FindStringSubmatch(src); m != nil {
				name = m[1]
			} else if indexOf(in, src) >= 0 {
				name = src
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
		if !add(Column{agg.column, agg.typ}, a.Pos) {
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
	call, err := parseCall(a.Expr.Source)
	if err != nil {
		c.errs.Add(a.Expr.Pos, "summarize aggregate %s: %v", strings.TrimSpace(a.Expr.Source), err)
		return nil
	}
	def, ok := aggregatepkg.Lookup(call.name)
	if !ok {
		c.errs.Add(a.Expr.Pos, "summarize: unknown aggregation %s (known: %s)", call.name, strings.Join(aggregatepkg.Names(), ", "))
		return nil
	}
	if err := def.CheckArity(len(call.args)); err != nil {
		c.errs.Add(a.Expr.Pos, "summarize: %v", err)
		return nil
	}
	agg := &aggregate{def: def, column: a.Column}
	if len(call.args) == 0 {
		agg.typ, _ = def.Result(kql.Dynamic)
		if agg.column == "" {
			agg.column = def.Prefix
		}
		return agg
	}
	argExpr := a.Expr.Part(call.args[0].offset, call.args[0].length)
	arg := c.assignment(&rule.Assignment{Expr: argExpr, Pos: argExpr.Pos}, in)
	agg.arg = &arg
	if agg.column == "" {
		if arg.copyOf == "" {
			c.errs.Add(a.Pos, "summarize %s: name this aggregate (- Name: %s); KQL names only aggregates of a column", strings.TrimSpace(a.Expr.Source), strings.TrimSpace(a.Expr.Source))
			return nil
		}
		agg.column = def.Prefix + arg.copyOf
	}
	agg.argTyp = c.typeOf(arg, in)
	if agg.typ, err = def.Result(agg.argTyp); err != nil {
		c.errs.Add(argExpr.Pos, "%s %v; %s is a %s", def.Name, err, strings.TrimSpace(argExpr.Source), agg.argTyp)
	}
	for _, ret := range call.args[1:] {
		name := strings.TrimSpace(ret.text)
		if name == "*" {
			agg.returns = append(agg.returns, in...)
			agg.all = true
			continue
		}
		i := indexOf(in, name)
		if i < 0 {
			c.errs.Add(a.Expr.Part(ret.offset, ret.length).Pos, "%s returns columns (or *); no column %s here%s", call.name, name, hint(name, in))
			continue
		}
		c.used[name] = true
		agg.returns = append(agg.returns, in[i])
	}
	return agg
}

// call is an aggregation call as written: fn(arg, ...), each argument's text and its place in runes.
type call struct {
	name string
	args []callArg
}

type callArg struct {
	text           string
	offset, length int
}

// parseCall splits name(arg, ...) at its top-level commas, minding strings and brackets. The
// arguments are left for the expression compiler; * is an argument of its own (arg_min(X, *)).
func parseCall(source string) (call, error) {
	runes := []rune(source)
	i := 0
	skipSpace := func() {
		for i < len(runes) && unicode.IsSpace(runes[i]) {
			i++
		}
	}
	skipSpace()
	start := i
	for i < len(runes) && (runes[i] == '_' || unicode.IsLetter(runes[i]) || unicode.IsDigit(runes[i])) {
		i++
	}
	out := call{name: string(runes[start:i])}
	skipSpace()
	if out.name == "" || i >= len(runes) || runes[i] != '(' {
		err := "write an aggregation call such as count(), make_set(Column) or arg_min(Column, *)"
		if i < len(runes) && runes[i] == ':' {
			err += " (to name it, write - Name: call, unquoted)"
		}
		return out, fmt.Errorf("%s", err)
	}
	i++
	depth, argStart := 0, i
	addArg := func(end int) {
		text := string(runes[argStart:end])
		trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
		offset := argStart + len([]rune(text)) - len([]rune(trimmed))
		trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
		out.args = append(out.args, callArg{text: trimmed, offset: offset, length: len([]rune(trimmed))})
	}
	for ; i < len(runes); i++ {
		switch r := runes[i]; r {
		case '"', '\'', '`':
			for i++; i < len(runes) && runes[i] != r; i++ {
				if runes[i] == '\\' && r != '`' {
					i++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
				continue
			}
			if r != ')' {
				return out, fmt.Errorf("unbalanced %c", r)
			}
			if strings.TrimSpace(string(runes[argStart:i])) != "" || len(out.args) > 0 {
				addArg(i)
			}
			if rest := strings.TrimSpace(string(runes[i+1:])); rest != "" {
				return out, fmt.Errorf("unexpected %q after the call; an aggregate is one call (compute on its result with a later extend)", rest)
			}
			for _, a := range out.args {
				if a.text == "" {
					return out, fmt.Errorf("an argument is empty")
				}
			}
			return out, nil
		case ',':
			if depth == 0 {
				addArg(i)
				argStart = i + 1
			}
		}
	}
	return out, fmt.Errorf("the call has no closing )")
}

// group is one group of a summarize: its key values, its aggregates' states, and the records it
// was made from.
type group struct {
	keys    []any
	states  []aggState
	sources sourceSet
}

// aggState is an aggregate's running state over one group.
type aggState struct {
	a     *aggregate
	state aggregatepkg.State
}

func newState(a *aggregate) aggState { return aggState{a: a, state: a.def.New(a.argTyp)} }

// put writes the aggregate's value, and for arg_min and arg_max the columns of the row picked,
// into values; it returns the row picked, or nil.
func (s aggState) put(values map[string]any) *record.Row {
	values[s.a.column] = s.state.Value()
	if !s.a.def.Picks {
		return nil
	}
	row := s.state.Picked()
	for _, col := range s.a.returns {
		if row == nil {
			values[col.Name] = col.Type.Zero()
		} else if v, ok := row.Values[col.Name]; ok {
			// A column the row lacks was not read: nothing after reads it either.
			values[col.Name] = v
		}
	}
	return row
}

// summarize runs a summarize. Rows with equal group keys (nulls equal to each other) form a group;
// groups come in the order their first row came. Without group keys there is exactly one result
// row, even for no rows (count() 0, make_set() [], min() null). A result row's sources are the
// records of its group, or, when every aggregate is arg_min or arg_max, of the rows picked.
// https://learn.microsoft.com/kusto/query/summarize-operator
func (r *runner) summarize(s *Stage, rows []record.Row) ([]record.Row, error) {
	sm := s.summarize
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
			v, err := r.value(s, key, row.Values)
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
				if v, err = r.value(s, *agg.arg, row.Values); err != nil {
					return nil, r.fail(s, *row, err)
				}
			}
			g.states[a].state.Add(v, row)
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
