package pipeline

import (
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
}

func planExtend(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	a := &assignStage{}
	out := append([]Column(nil), f.cols...)
	for _, col := range s.Columns {
		// KQL lets an extend use the columns it made before, in the same extend.
		as := c.assignment(col, out)
		a.assigns = append(a.assigns, as)
		planned := Column{col.Column, c.typeOf(as, out)}
		if i := indexOf(out, col.Column); i >= 0 {
			out[i] = planned
		} else {
			out = append(out, planned)
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
		as.skip = !after.has(as.column) && !a.readLater(i, as.column)
		if as.skip {
			continue
		}
		if need != nil {
			delete(need, as.column)
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
			delete(origin, as.column)
		}
	}
	return origin, true
}

func (a *assignStage) filter() *kqlexpr.Program         { return nil }
func (a *assignStage) rowWise() bool                    { return true }
func (a *assignStage) fresh(bool, map[string]bool) bool { return true }

// splittable: the programs read no toscalar value, which the runner binds lazily, once.
func (a *assignStage) splittable() bool {
	for _, as := range a.assigns {
		if as.prog != nil && len(as.prog.Scalars) > 0 {
			return false
		}
	}
	return true
}

// run computes and keeps only the columns read later; an extend of rows no other stage holds adds
// its columns in place.
func (a *assignStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	out := make([]record.Row, len(rows))
	for i, row := range rows {
		var values map[string]any
		switch {
		case a.project:
			values = make(map[string]any, len(a.assigns))
		case s.freshIn:
			values = row.Values
		default:
			values = make(map[string]any, len(row.Values)+len(a.assigns))
			for k, v := range row.Values {
				if a.copied.has(k) {
					values[k] = v
				}
			}
		}
		// An extend's later columns may read its earlier ones; a project's read only its input.
		env := values
		if a.project {
			env = row.Values
		}
		for _, as := range a.assigns {
			if as.skip {
				continue
			}
			v, err := r.value(as, env)
			if err != nil {
				return nil, r.fail(s, row, err)
			}
			values[as.column] = v
		}
		out[i] = record.Row{Values: values, Sources: row.Sources}
	}
	return out, nil
}
