package pipeline

import (
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// assignStage is an extend (the row's columns, plus or replaced by the new ones; a later column
// may read an earlier one) or a project (exactly the listed columns, in order, each computed from
// the input row).
// https://learn.microsoft.com/kusto/query/extend-operator
// https://learn.microsoft.com/kusto/query/project-operator
type assignStage struct {
	project bool
	assigns []assignment
	// copied is, for an extend, the columns of its input it keeps or reads (nil: all of them).
	copied columnSet
}

type assignment struct {
	column string
	// copyOf is set when the value is a column taken as it is, which needs no program.
	copyOf string
	prog   *kqlexpr.Program
	// skip is set when no later stage reads the column.
	skip bool
	// tuple, for (A, B, ...) = f(...) where f gives several columns, names the columns its value's
	// elements go to, in order (column is then the first).
	tuple []string
}

func planExtend(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	a := &assignStage{}
	out := append([]Column(nil), f.cols...)
	for _, col := range s.Columns {
		// KQL lets an extend use the columns it made before, in the same extend.
		var planned []Column
		var as assignment
		if col.Column == "" || strings.HasPrefix(strings.TrimSpace(col.Column), "(") {
			as, planned = c.tupleAssignment(col, out)
		} else {
			as = c.assignment(col, out)
			planned = []Column{{col.Column, c.typeOf(as, out)}}
		}
		a.assigns = append(a.assigns, as)
		for _, p := range planned {
			if i := indexOf(out, p.Name); i >= 0 {
				out[i] = p
			} else {
				out = append(out, p)
			}
		}
	}
	f.cols = out
	return a, f
}

func planProject(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	a := &assignStage{project: true}
	var out []Column
	for _, col := range s.Columns {
		if indexOf(out, col.Column) >= 0 {
			c.errs.Add(col.Pos, "project makes %s twice", col.Column)
			continue
		}
		as := c.assignment(col, f.cols)
		a.assigns = append(a.assigns, as)
		out = append(out, Column{col.Column, c.typeOf(as, f.cols)})
	}
	return a, flow{cols: out}
}

// tupleAssignment plans (A, B, ...) = f(...), KQL's assignment of the columns of a function that
// gives several (series_fit_line): one name for each, in order.
// https://learn.microsoft.com/kusto/query/extend-operator
func (c *compiler) tupleAssignment(a *rule.Assignment, cols []Column) (assignment, []Column) {
	inner := strings.TrimSpace(a.Column)
	var names []string
	if strings.HasSuffix(inner, ")") {
		for _, n := range strings.Split(inner[1:len(inner)-1], ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	call, err := kqlexpr.ParseCall(a.Expr.Source)
	f, ok := kqlexpr.Lookup(call.Name)
	if a.Column == "" {
		if err != nil || !ok || len(f.Columns) == 0 {
			c.errs.Add(a.Pos, "extend %s: name this column (- Name: %s)", strings.TrimSpace(a.Expr.Source), strings.TrimSpace(a.Expr.Source))
			return assignment{}, nil
		}
		// KQL names the columns of an unnamed call f(Col, ...) f_Col_column
		// (series_decompose_anomalies(c) gives series_decompose_anomalies_c_ad_flag, ...).
		// https://learn.microsoft.com/kusto/query/series-decompose-anomalies-function
		arg := ""
		if len(call.Args) > 0 {
			arg, _ = kqlexpr.ColumnName(call.Args[0].Source)
		}
		if arg == "" {
			c.errs.Add(a.Pos, "extend %s: name its columns, (A, B, ...) = %s; KQL names them only when the first argument is a column", strings.TrimSpace(a.Expr.Source), strings.TrimSpace(a.Expr.Source))
			return assignment{}, nil
		}
		for _, p := range f.Columns {
			names = append(names, f.Name+"_"+arg+"_"+p.Name)
		}
	} else if err != nil || !ok || len(f.Columns) == 0 {
		c.errs.Add(a.Pos, "extend %s: a tuple takes the columns of a function that gives several (such as series_fit_line); %s is not one", a.Column, strings.TrimSpace(a.Expr.Source))
		return assignment{column: a.Column}, nil
	}
	if len(names) == 0 || len(names) > len(f.Columns) {
		c.errs.Add(a.Pos, "extend %s: %s gives %d columns (%s); name at most that many, in order", a.Column, f.Name, len(f.Columns), paramNames(f.Columns))
		return assignment{column: a.Column}, nil
	}
	as := assignment{column: names[0], tuple: names, prog: c.compile(a.Expr, cols)}
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{n, f.Columns[i].Type}
	}
	return as, out
}

func paramNames(ps []kqlexpr.Param) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// assignment plans Column = expression; an expression that is just a column name is a copy.
func (c *compiler) assignment(a *rule.Assignment, cols []Column) assignment {
	if name, ok := kqlexpr.ColumnName(a.Expr.Source); ok && indexOf(cols, name) >= 0 {
		c.used[name] = true
		return assignment{column: a.Column, copyOf: name}
	}
	return assignment{column: a.Column, prog: c.compile(a.Expr, cols)}
}

func (c *compiler) typeOf(a assignment, cols []Column) kql.Type {
	if a.copyOf != "" {
		return cols[indexOf(cols, a.copyOf)].Type
	}
	if a.prog != nil {
		return a.prog.Type
	}
	return kql.Dynamic
}

// columns are the columns an assignment gives.
func (a assignment) columns() []string {
	if a.tuple != nil {
		return a.tuple
	}
	return []string{a.column}
}

// reads lists the columns an assignment reads.
func (a assignment) reads() []string {
	if a.copyOf != "" {
		return []string{a.copyOf}
	}
	if a.prog == nil {
		return nil
	}
	return a.prog.Columns
}

// live marks which assignments are read later, and returns what the stage reads: the columns it
// passes on (an extend's; none for a project) with the assignments it computes replaced by what
// they read.
func (a *assignStage) live(_ *Stage, after columnSet) columnSet {
	need := after.with()
	if a.project {
		need = columnSet{}
	}
	a.copied = nil
	if after != nil {
		a.copied = columnSet{}
		for k := range after {
			a.copied[k] = true
		}
	}
	for i := len(a.assigns) - 1; i >= 0; i-- {
		as := &a.assigns[i]
		as.skip = true
		for _, col := range as.columns() {
			as.skip = as.skip && !after.has(col) && !a.readLater(i, col)
		}
		if as.skip {
			continue
		}
		if need != nil {
			for _, col := range as.columns() {
				delete(need, col)
			}
		}
		need = need.with(as.reads()...)
		// An extend's later assignments read its earlier ones and the row's columns: keep those.
		a.copied = a.copied.with(as.reads()...)
	}
	return need
}

// readLater tells whether an assignment after the i-th of an extend reads column.
func (a *assignStage) readLater(i int, column string) bool {
	if a.project {
		return false
	}
	for _, later := range a.assigns[i+1:] {
		if later.skip {
			continue
		}
		for _, r := range later.reads() {
			if r == column {
				return true
			}
		}
	}
	return false
}

// follow keeps the columns that are another column as it is; an extend passes the others on too.
func (a *assignStage) follow(origin map[string]string) (map[string]string, bool) {
	if a.project {
		kept := map[string]string{}
		for _, as := range a.assigns {
			if from, ok := origin[as.copyOf]; ok && as.copyOf != "" {
				kept[as.column] = from
			}
		}
		return kept, true
	}
	for _, as := range a.assigns {
		if from, ok := origin[as.copyOf]; ok && as.copyOf != "" {
			origin[as.column] = from
		} else {
			for _, col := range as.columns() {
				delete(origin, col)
			}
		}
	}
	return origin, true
}

func (a *assignStage) filter() *kqlexpr.Program { return nil }
func (a *assignStage) keepsOrder(in bool) bool  { return in }

// rowWise: a window function reads other rows than the one it computes.
func (a *assignStage) rowWise() bool { return !a.window() }

func (a *assignStage) window() bool {
	for _, as := range a.assigns {
		if as.prog != nil && as.prog.Window {
			return true
		}
	}
	return false
}

// splittable: the programs read no toscalar value, which the runner binds lazily, once.
func (a *assignStage) splittable() bool {
	for _, as := range a.assigns {
		if as.prog != nil && (len(as.prog.Scalars) > 0 || as.prog.Window) {
			return false
		}
	}
	return true
}

// run computes and keeps only the columns read later.
func (a *assignStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	out := make([]record.Row, len(rows))
	win := r.windowOver(rows, a.window())
	var values record.Builder
	// An extend's later columns may read its earlier ones; a project's read only its input.
	var set *record.Builder
	if !a.project {
		set = &values
	}
	for i, row := range rows {
		win.at(i)
		switch {
		case a.project:
		case a.copied == nil:
			values.CopyRow(row)
		default:
			for k, v := range row.All() {
				if a.copied.has(k) {
					values.Add(k, v)
				}
			}
		}
		for _, as := range a.assigns {
			if as.skip {
				continue
			}
			v, err := r.valueOver(as, row, set)
			if err != nil {
				values.Reset()
				return nil, r.fail(s, row, err)
			}
			if as.tuple != nil {
				parts, _ := v.([]any)
				for i, col := range as.tuple {
					var part any
					if i < len(parts) {
						part = normalise(parts[i])
					}
					values.Set(col, part)
				}
				continue
			}
			values.Set(as.column, v)
		}
		out[i] = values.Row(row.Sources)
	}
	return out, nil
}
