package pipeline

import (
	"strings"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// distinct plans a distinct: its columns, or every column for *.
func (c *compiler) distinct(s *rule.Stage, in []Column) []Column {
	var out []Column
	for _, item := range s.Columns {
		name := strings.TrimSpace(item.Expr.Source)
		if name == "*" {
			return append(out, in...)
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
func (r *runner) distinct(s *Stage, rows []record.Row) []record.Row {
	index := map[string]int{}
	var out []record.Row
	var sources []sourceSet
	values := make([]any, len(s.distinct))
	for _, row := range rows {
		for i, col := range s.distinct {
			values[i] = row.Values[col.Name]
		}
		key := groupKey(values)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			kept := make(map[string]any, len(s.distinct))
			for _, col := range s.distinct {
				kept[col.Name] = row.Values[col.Name]
			}
			out = append(out, record.Row{Values: kept})
			sources = append(sources, sourceSet{})
		}
		sources[i].add(row.Sources)
	}
	for i := range out {
		out[i].Sources = sources[i].list
	}
	return out
}
