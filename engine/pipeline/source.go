package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// source is where a pipeline's rows come from: the union of tables, a let, or the rows as they
// were after a named stage.
type source struct {
	tables []*tableInput
	let    *let
	stage  string
	union  *unionStage
	// external holds the rows of a table lookup (KQL's externaldata), read when the rule is planned.
	external []record.Row
}

// tableInput is one table of a source and how its rows become rows of the source's columns.
type tableInput struct {
	table *schema.Table
	// rename maps a column to its name in a union of tables that disagree on its type
	// (DeviceDetail_dynamic, DeviceDetail_string); missing lists the union's columns the table
	// lacks, which its rows get as null ("" for strings). Both are empty for a lone table.
	rename  map[string]string
	missing []Column
}

// let is a planned let: a named result computed once, or a scalar (toscalar) read in expressions.
type let struct {
	name   string
	scalar bool
	source *source
	stages []*Stage
	out    flow
}

// checkTables reports every table the rule names (its own, its lets', its joins') that has no
// schema, and tells whether all have one.
func checkTables(r *rule.Rule, tables []string, errs *rule.Errors) bool {
	ok := true
	check := func(names []string, pos rule.Position) {
		for _, name := range names {
			if _, err := schema.Lookup(name); err != nil {
				errs.Add(pos, "table: %v", err)
				ok = false
			}
		}
	}
	var walk func([]*rule.Stage)
	walk = func(stages []*rule.Stage) {
		for _, s := range stages {
			if s.Join != nil {
				check(s.Join.Tables, s.Pos)
				walk(s.Join.Right)
			}
		}
	}
	check(tables, rule.Position{File: r.File})
	for _, l := range r.Lets {
		var tables []string
		for _, t := range l.Tables {
			if !strings.HasPrefix(t, "$") { // a function let's $param: checked when it is called
				tables = append(tables, t)
			}
		}
		check(tables, l.Pos)
		walk(l.Stages)
	}
	walk(r.Stages)
	return ok
}

// tablesSource plans reading tables (known to exist): one table's rows as they are, or the union
// of several as KQL's union (kind=outer) makes it: every column of every table, in the order
// first met; a column the tables give different types becomes one column per type, named
// Column_type; a row lacks nothing, the columns its table does not have being null ("" for
// strings). Rows come table after table.
// https://learn.microsoft.com/kusto/query/union-operator
func (c *compiler) tablesSource(names []string) (*source, flow) {
	var tables []*schema.Table
	for _, name := range names {
		t, _ := schema.Lookup(name)
		tables = append(tables, t)
		c.read(t)
	}
	types := map[string][]kql.Type{}
	for _, t := range tables {
		for _, col := range t.Columns {
			if !containsType(types[col.Name], col.Type) {
				types[col.Name] = append(types[col.Name], col.Type)
			}
		}
	}
	src := &source{}
	var cols []Column
	added := map[string]bool{}
	has := make([]map[string]bool, len(tables))
	for i, t := range tables {
		in := &tableInput{table: t}
		has[i] = map[string]bool{}
		for _, col := range t.Columns {
			name := col.Name
			if len(types[name]) > 1 {
				name = col.Name + "_" + col.Type.String()
				if in.rename == nil {
					in.rename = map[string]string{}
				}
				in.rename[col.Name] = name
				c.alias(name, col.Name)
			}
			has[i][name] = true
			if !added[name] {
				added[name] = true
				cols = append(cols, Column{name, col.Type})
			}
		}
		src.tables = append(src.tables, in)
	}
	for i, in := range src.tables {
		for _, col := range cols {
			if !has[i][col.Name] {
				in.missing = append(in.missing, col)
			}
		}
	}
	return src, flow{cols: cols, wide: append([]string(nil), names...)}
}

func containsType(types []kql.Type, t kql.Type) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// fromSource plans starting from the rows named from: a let, or (when stages is true) the rows
// after a stage planned before. ok is false, with the error reported, when there is none.
func (c *compiler) fromSource(from string, pos rule.Position, what string, stages bool) (*source, flow, bool) {
	if _, _, isCall := rule.ParseCall(from); isCall {
		l, ok := c.call(from, pos, what)
		if !ok {
			return nil, flow{}, false
		}
		return &source{let: l}, l.out, true
	}
	if l, ok := c.lets[from]; ok {
		if l.scalar {
			c.errs.Add(pos, "%s %q: that let is a toscalar, a value for expressions, not rows", what, from)
			return nil, flow{}, false
		}
		return &source{let: l}, l.out, true
	}
	if f, ok := c.snapshots[from]; ok && stages {
		c.joinFroms[from] = true
		return &source{stage: from}, f, true
	}
	if stages {
		c.errs.Add(pos, "%s %q: no stage of that name comes before this join, and no let has that name", what, from)
	} else {
		c.errs.Add(pos, "%s %q: no let of that name comes before this one", what, from)
	}
	return nil, flow{}, false
}

// let plans a let. Its stages see only its own named stages, for it runs on its own, when first
// read.
func (c *compiler) let(l *rule.Let) {
	if l.Value != nil {
		c.function(l)
		return
	}
	if len(l.Params) > 0 {
		c.funcs[l.Name] = l // planned for each call
		return
	}
	outer := c.snapshots
	c.snapshots = map[string]flow{}
	defer func() { c.snapshots = outer }()
	pl := &let{name: l.Name, scalar: l.Scalar}
	var start flow
	switch {
	case l.Union != nil:
		var u *unionStage
		u, start = c.union(l.Union, nil)
		pl.source = &source{union: u}
	case l.From != "":
		var ok bool
		if pl.source, start, ok = c.fromSource(l.From, l.Pos, "let "+l.Name+" from", false); !ok {
			return // its stages would only report that their columns are missing
		}
	default:
		pl.source, start = c.tablesSource(l.Tables)
	}
	pl.stages, pl.out = c.stages(l.Stages, start)
	if l.Scalar {
		if len(pl.out.cols) == 0 {
			c.errs.Add(l.Pos, "let %s: a toscalar let needs a column (its value is the first column of the first row)", l.Name)
			return
		}
		c.env.Scalars[l.Name] = pl.out.cols[0].Type
		// Its value is its first column, which may be any column of a table that flows whole.
		for _, t := range pl.out.wide {
			c.whole[t] = true
		}
	}
	c.lets[l.Name] = pl
}

// tableLookup plans a table lookup: its file's rows, read now, which stages read by name as they
// read a let's; in expressions its name is the list of its first column's values, as KQL's
// `x in (T)` reads a table's first column (https://learn.microsoft.com/kusto/query/in-operator).
func (c *compiler) tableLookup(lk *rule.Lookup, file string) {
	rows, err := rule.ReadTable(file, lk.Table)
	if err != nil {
		c.errs.Add(lk.Pos, "lookup %s: %v", lk.Name, err)
	}
	if rows == nil {
		rows = []record.Row{}
	}
	var cols []Column
	for _, col := range lk.Table.Columns {
		cols = append(cols, Column{col.Name, col.Type})
	}
	values := make([]any, 0, len(rows))
	if len(cols) > 0 {
		for _, row := range rows {
			values = append(values, row.Get(cols[0].Name))
		}
	}
	// Even when it failed, the name is known, so its uses raise no second error.
	c.env.Constants[lk.Name] = values
	c.lets[lk.Name] = &let{name: lk.Name, source: &source{external: rows}, out: flow{cols: cols}}
}

func (c *compiler) read(t *schema.Table) {
	for _, x := range c.tables {
		if x == t {
			return
		}
	}
	c.tables = append(c.tables, t)
}

// alias records that reading the column name reads the column original.
func (c *compiler) alias(name, original string) {
	c.aliases[name] = append(c.aliases[name], original)
}

// inputs lists each table read and the columns of it the rule needs: all of them when they may
// reach the output, else those that something reads (by their own name or an alias).
func (c *compiler) inputs() []Input {
	queue := make([]string, 0, len(c.used))
	for name := range c.used {
		queue = append(queue, name)
	}
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, original := range c.aliases[name] {
			if !c.used[original] {
				c.used[original] = true
				queue = append(queue, original)
			}
		}
	}
	var out []Input
	for _, t := range c.tables {
		in := Input{Table: t}
		for _, col := range t.Columns {
			if c.used[col.Name] || c.whole[t.Name] {
				in.Columns = append(in.Columns, col.Name)
			}
		}
		out = append(out, in)
	}
	return out
}

// rows gives a source's rows.
func (r *runner) rows(src *source) ([]record.Row, error) {
	switch {
	case src.let != nil:
		return r.let(src.let)
	case src.stage != "":
		return r.snapshot(src.stage), nil
	case src.union != nil:
		return src.union.rows(r, nil, nil)
	case src.external != nil:
		return src.external, nil
	}
	if len(src.tables) == 1 && src.tables[0].rename == nil && src.tables[0].missing == nil {
		return r.table(src.tables[0].table.Name), nil
	}
	var out []record.Row
	var values record.Builder
	for _, in := range src.tables {
		for _, row := range r.table(in.table.Name) {
			for k, v := range row.All() {
				if name, ok := in.rename[k]; ok {
					k = name
				}
				values.Set(k, v)
			}
			for _, col := range in.missing {
				values.Set(col.Name, col.Type.Zero())
			}
			out = append(out, values.Row(row.Sources))
		}
	}
	return out, nil
}

// function makes a let with params and a value a scalar function of the rule's expressions, after
// checking its body with its params as columns of their types (mistakes at their place in it).
// https://learn.microsoft.com/kusto/query/functions/user-defined-functions
func (c *compiler) function(l *rule.Let) {
	env := c.env
	env.Columns = map[string]kql.Type{}
	fn := kqlexpr.UserFunction{Body: l.Value.Source}
	for _, p := range l.Params {
		t, _ := kql.ParseType(p.Type)
		env.Columns[p.Name] = t
		fn.Params = append(fn.Params, p.Name)
	}
	if _, err := kqlexpr.Compile(l.Value.Source, env); err != nil {
		if ce, ok := err.(*kqlexpr.Error); ok {
			c.errs.Add(l.Value.At(ce.Line, ce.Column), "let %s: %s", l.Name, ce.Msg)
		} else {
			c.errs.Add(l.Value.Pos, "let %s: %v", l.Name, err)
		}
	}
	functions := make(map[string]kqlexpr.UserFunction, len(c.env.Functions)+1)
	for name, f := range c.env.Functions {
		functions[name] = f
	}
	functions[l.Name] = fn
	c.env.Functions = functions
}

// call plans a call of a function let, such as aadFunc("SigninLogs"): the let's body with its
// params constants of the call's values and $param in its tables the table a param names, planned
// once for each distinct call and computed once when first read, as a let is.
// https://learn.microsoft.com/kusto/query/let-statement (tabular functions)
// https://learn.microsoft.com/kusto/query/table-function
func (c *compiler) call(text string, pos rule.Position, what string) (*let, bool) {
	name, args, _ := rule.ParseCall(text)
	fn, ok := c.funcs[name]
	if !ok {
		c.errs.Add(pos, "%s %s: no let %s with params comes before this", what, text, name)
		return nil, false
	}
	if len(args) != len(fn.Params) {
		c.errs.Add(pos, "%s %s: let %s takes %d arguments (%s), not %d", what, text, name, len(fn.Params), paramList(fn.Params), len(args))
		return nil, false
	}
	values := map[string]any{}
	var key strings.Builder
	key.WriteString(name + "(")
	for i, p := range fn.Params {
		arg := args[i]
		if e, isExpression := arg.(rule.Expression); isExpression {
			v, err := c.constantValue(string(e))
			if err != nil {
				c.errs.Add(pos, "%s %s: argument %s: %v", what, text, p.Name, err)
				return nil, false
			}
			arg = v
		}
		v, err := paramValue(p.Type, arg)
		if err != nil {
			c.errs.Add(pos, "%s %s: argument %s: %v", what, text, p.Name, err)
			return nil, false
		}
		values[p.Name] = v
		if i > 0 {
			key.WriteString(", ")
		}
		key.WriteString(strconv.Quote(kql.ToString(v)))
	}
	key.WriteString(")")
	if l, ok := c.lets[key.String()]; ok {
		return l, true
	}
	body := *fn
	body.Name, body.Params, body.Tables = key.String(), nil, nil
	for _, t := range fn.Tables {
		if param, isParam := strings.CutPrefix(t, "$"); isParam {
			v, ok := values[param]
			if _, isString := v.(string); !ok || !isString {
				c.errs.Add(fn.Pos, "let %s: table $%s names no string param of the let", fn.Name, param)
				return nil, false
			}
			t = v.(string)
		}
		if _, err := schema.Lookup(t); err != nil {
			c.errs.Add(pos, "%s %s: table: %v", what, text, err)
			return nil, false
		}
		body.Tables = append(body.Tables, t)
	}
	outer := c.env.Constants
	c.env.Constants = make(map[string]any, len(outer)+len(values))
	for k, v := range outer {
		c.env.Constants[k] = v
	}
	for k, v := range values {
		c.env.Constants[k] = v
	}
	c.let(&body)
	c.env.Constants = outer
	l, ok := c.lets[body.Name]
	return l, ok
}

// constantValue evaluates an argument of a call over the rule's params and lookups: an
// expression that reads a column is no argument a call can be planned with.
func (c *compiler) constantValue(source string) (any, error) {
	env := c.env
	env.Columns = nil
	prog, err := kqlexpr.Compile(source, env)
	if err != nil {
		return nil, err
	}
	if len(prog.Columns) > 0 || len(prog.Scalars) > 0 {
		return nil, fmt.Errorf("%s reads %s, not only params", source, strings.Join(append(prog.Columns, prog.Scalars...), ", "))
	}
	var machine vm.VM
	v, _ := prog.Run(&machine, map[string]any{})
	if first := prog.FirstRuntimeNull(); first != "" {
		return nil, fmt.Errorf("%s: %s", source, first)
	}
	return v, nil
}

func paramList(params []*rule.LetParam) string {
	var out []string
	for _, p := range params {
		out = append(out, p.Name+":"+p.Type)
	}
	return strings.Join(out, ", ")
}

// paramValue is a call's argument as a value of its param's type.
func paramValue(typ string, arg any) (any, error) {
	t, err := kql.ParseType(typ)
	if err != nil {
		return nil, err
	}
	switch t {
	case kql.String, kql.Guid:
		if s, ok := arg.(string); ok {
			return s, nil
		}
	case kql.Long, kql.Int:
		if i, ok := arg.(int64); ok {
			return i, nil
		}
	case kql.Real:
		if f, ok := kql.ToReal(arg); ok {
			return f, nil
		}
	case kql.Bool:
		if b, ok := arg.(bool); ok {
			return b, nil
		}
	case kql.Datetime:
		if s, ok := arg.(string); ok {
			return kql.ParseDatetime(s)
		}
		if d, ok := arg.(time.Time); ok {
			return d, nil
		}
	case kql.Timespan:
		if s, ok := arg.(string); ok {
			return kql.ParseTimespan(s)
		}
		if d, ok := arg.(time.Duration); ok {
			return d, nil
		}
	case kql.Dynamic:
		return arg, nil
	}
	return nil, fmt.Errorf("%v is not a %s", arg, typ)
}

// let gives a let's rows, computing them the first time (KQL's materialize).
// https://learn.microsoft.com/kusto/query/materialize-function
func (r *runner) let(l *let) ([]record.Row, error) {
	if rows, ok := r.lets[l.name]; ok {
		return rows, nil
	}
	in, err := r.rows(l.source)
	if err != nil {
		return nil, err
	}
	rows, _, err := r.stages(l.stages, in, in)
	if err != nil {
		return nil, err
	}
	r.lets[l.name] = rows
	return rows, nil
}

// scalar gives a toscalar let's value: the first column of its first row, null when it has none.
// https://learn.microsoft.com/kusto/query/toscalar-function
// A let of rows read in an expression (x in L, KQL's x in (L)) is the list of the values of its
// first column, an array value giving its elements, as in reads a tabular expression.
// https://learn.microsoft.com/kusto/query/in-operator
func (r *runner) scalar(name string) (any, error) {
	l := r.plan.lets[name]
	rows, err := r.let(l)
	if err != nil {
		return nil, err
	}
	col := l.out.cols[0].Name
	if !l.scalar {
		list := []any{}
		for _, row := range rows {
			if items, ok := row.Get(col).([]any); ok {
				list = append(list, items...)
			} else {
				list = append(list, row.Get(col))
			}
		}
		return list, nil
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].Get(col), nil
}
