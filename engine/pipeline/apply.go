package pipeline

import (
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// applyStage is KQL's mv-apply: each row's arrays are expanded (as mv-expand does) into a subtable
// of the expanded columns alone, the subquery runs over that subtable, and each of its result rows
// gets the row's other columns; the results come row after row.
// https://learn.microsoft.com/kusto/query/mv-apply-operator
type applyStage struct {
	expand *expandStage
	// expanded are the subtable's columns; kept the row's columns added to each result row.
	expanded, kept []Column
	on             []*Stage
}

func planMvApply(c *compiler, s *rule.Stage, f, start flow) (operator, flow) {
	in := f.cols
	op, expandedFlow := planMvExpand(c, &rule.Stage{Kind: rule.MvExpand, Pos: s.Pos, Columns: s.Apply.Expand}, f, start)
	a := &applyStage{expand: op.(*expandStage)}
	made := map[string]bool{}
	for _, e := range a.expand.expand {
		made[e.column] = true
	}
	if a.expand.itemIndex != "" {
		made[a.expand.itemIndex] = true
	}
	for _, col := range expandedFlow.cols {
		if made[col.Name] {
			a.expanded = append(a.expanded, col)
		}
	}
	var sub flow
	a.on, sub = c.stages(s.Apply.On, flow{cols: a.expanded})
	var out []Column
	for _, col := range in {
		if !made[col.Name] && indexOf(sub.cols, col.Name) < 0 {
			a.kept = append(a.kept, col)
			out = append(out, col)
		}
	}
	return a, flow{cols: append(out, sub.cols...)}
}

func (a *applyStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	var out []record.Row
	var b record.Builder
	for _, row := range rows {
		expanded, err := a.expand.run(r, s, []record.Row{row}, nil, nil)
		if err != nil {
			return nil, err
		}
		subtable := make([]record.Row, len(expanded))
		for i, e := range expanded {
			for _, col := range a.expanded {
				b.Set(col.Name, e.Get(col.Name))
			}
			subtable[i] = b.Row(e.Sources)
		}
		results, _, err := r.stages(a.on, subtable, subtable)
		if err != nil {
			return nil, err
		}
		for _, res := range results {
			b.CopyRow(res)
			for _, col := range a.kept {
				b.Set(col.Name, row.Get(col.Name))
			}
			sources := res.Sources
			if len(sources) == 0 {
				sources = row.Sources
			}
			out = append(out, b.Row(sources))
		}
	}
	return out, nil
}

func (a *applyStage) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (a *applyStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (a *applyStage) filter() *kqlexpr.Program { return nil }
func (a *applyStage) rowWise() bool            { return false }
func (a *applyStage) splittable() bool         { return false }
