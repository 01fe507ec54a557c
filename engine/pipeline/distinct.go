package pipeline

import (
	"strings"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// distinctStage keeps one row per combination of its columns' values, with only those columns.
// https://learn.microsoft.com/kusto/query/distinct-operator
type distinctStage struct {
	columns []Column
}

// planDistinct plans a distinct: its columns, or every column for *, which lets the columns flow
// on whole.
func planDistinct(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	all := len(s.Columns) == 1 && kqlexpr.IsStar(s.Columns[0].Expr.Source)
	d := &distinctStage{columns: c.distinct(s, f.cols)}
	if !all {
		f.wide = nil
	}
	f.cols = d.columns
	return d, f
}

func (c *compiler) distinct(s *rule.Stage, in []Column) []Column {
	var out []Column
	for _, item := range s.Columns {
		if kqlexpr.IsStar(item.Expr.Source) {
			return append(out, in...)
		}
		name, ok := kqlexpr.ColumnName(item.Expr.Source)
		if !ok {
			name = strings.TrimSpace(item.Expr.Source)
		}
		i := indexOf(in, name)
		switch {
		case i < 0:
			c.errs.Add(item.Pos, "distinct: no column %s here%s", name, hint(name, in))
		case indexOf(out, name) >= 0:
			c.errs.Add(item.Pos, "distinct names %s twice", name)
		default:
			c.used[name] = true
			out = append(out, in[i])
		}
	}
	return out
}

// distinct runs a distinct: one row for each combination of the columns' values (nulls equal to
// each other), in the order first met, made from every row that has it.
// https://learn.microsoft.com/kusto/query/distinct-operator
func (d *distinctStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	index := map[string]int{}
	var out []record.Row
	var sources []sourceSet
	values := make([]any, len(d.columns))
	var kept record.Builder
	for _, row := range rows {
		for i, col := range d.columns {
			values[i] = row.Get(col.Name)
		}
		key := groupKey(values)
		i, ok := index[key]
		if !ok {
			if limit := r.plan.budget.Groups; limit > 0 && len(out) >= limit {
				return nil, &BudgetError{Stage: s, What: "groups", Flag: "--max-groups", Limit: limit, Made: limit + 1,
					Hottest: describeKey(columnNamesOf(d.columns), row), Count: "the row that made one too many, from " + sourcesText(row.Sources)}
			}
			i = len(out)
			index[key] = i
			for _, col := range d.columns {
				kept.Set(col.Name, row.Get(col.Name))
			}
			out = append(out, kept.Row(nil))
			sources = append(sources, sourceSet{})
		}
		sources[i].add(row.Sources)
	}
	for i := range out {
		out[i].Sources = sources[i].list
	}
	return out, nil
}

func (d *distinctStage) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (d *distinctStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (d *distinctStage) filter() *kqlexpr.Program { return nil }
func (d *distinctStage) rowWise() bool            { return false }
func (d *distinctStage) splittable() bool         { return false }
