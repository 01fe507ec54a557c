package pipeline

import (
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// whereStage keeps the rows for which its predicate is true; null counts as false.
// https://learn.microsoft.com/kusto/query/where-operator
type whereStage struct {
	prog *kqlexpr.Program
	// env is what the predicate was compiled against, for explaining why a row was dropped.
	env kqlexpr.Env
}

func planWhere(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	w := &whereStage{env: c.env}
	w.env.Columns = typesOf(f.cols)
	w.prog = c.compile(s.Where, f.cols)
	if w.prog != nil && w.prog.Type != kql.Bool && w.prog.Type != kql.Dynamic {
		c.errs.Add(s.Where.Pos, "where needs a true/false predicate; this expression gives a %s", w.prog.Type)
	}
	return w, f
}

func (w *whereStage) live(_ *Stage, after columnSet) columnSet { return after.with(w.prog.Columns...) }
func (w *whereStage) follow(origin map[string]string) (map[string]string, bool) {
	return asIs(origin)
}
func (w *whereStage) filter() *kqlexpr.Program { return w.prog }
func (w *whereStage) keepsOrder(in bool) bool  { return in }
func (w *whereStage) rowWise() bool            { return !w.prog.Window }
func (w *whereStage) splittable() bool         { return len(w.prog.Scalars) == 0 && !w.prog.Window }

func (w *whereStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	// The rows kept are marked first and then copied into a slice of their number: grown row by
	// row, the slice cost more than the where's expressions (fresh memory each time).
	keep := make([]bool, len(rows))
	kept := 0
	win := r.windowOver(rows, w.prog.Window)
	for i, row := range rows {
		win.at(i)
		v, err := r.eval(w.prog, row)
		if err != nil {
			return nil, r.fail(s, row, err)
		}
		if b, _ := v.(bool); b {
			keep[i] = true
			kept++
		} else if r.tracer != nil {
			r.tracer.Dropped(s, row)
		}
	}
	out := make([]record.Row, 0, kept)
	for i, row := range rows {
		if keep[i] {
			out = append(out, row)
		}
	}
	return out, nil
}
