package pipeline

import (
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// renameStage is a project-rename: columns renamed in place, the others as they are.
// https://learn.microsoft.com/kusto/query/project-rename-operator
type renameStage struct {
	renames map[string]string // old name -> new name
}

func planProjectRename(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	in := f.cols
	out := append([]Column(nil), in...)
	rs := &renameStage{renames: map[string]string{}}
	for _, r := range s.Renames {
		i := indexOf(out, r.Old)
		switch {
		case i < 0:
			c.errs.Add(r.Pos, "project-rename %s = %s: no column %s here%s", r.New, r.Old, r.Old, hint(r.Old, in))
			continue
		case r.New != r.Old && indexOf(out, r.New) >= 0:
			c.errs.Add(r.Pos, "project-rename %s = %s: a column %s exists already", r.New, r.Old, r.New)
			continue
		}
		c.used[r.Old] = true
		rs.renames[r.Old] = r.New
		out[i].Name = r.New
	}
	f.cols = out
	return rs, f
}

func (rs *renameStage) live(_ *Stage, after columnSet) columnSet {
	if after == nil {
		return nil
	}
	before := columnSet{}
	for name := range after {
		before[name] = true
	}
	for old, renamed := range rs.renames {
		delete(before, renamed)
		if after[renamed] {
			before[old] = true
		}
	}
	return before
}

func (rs *renameStage) follow(origin map[string]string) (map[string]string, bool) {
	renamed := map[string]string{}
	for col, from := range origin {
		if to, ok := rs.renames[col]; ok {
			col = to
		}
		renamed[col] = from
	}
	return renamed, true
}

func (rs *renameStage) filter() *kqlexpr.Program { return nil }
func (rs *renameStage) keepsOrder(in bool) bool  { return in }
func (rs *renameStage) rowWise() bool            { return true }
func (rs *renameStage) splittable() bool         { return false }

func (rs *renameStage) run(_ *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	out := make([]record.Row, len(rows))
	var shape renamedLayout
	for i, row := range rows {
		if row.Layout() != shape.in || shape.in == nil {
			shape = rs.layoutOf(row.Layout(), s.live)
		}
		if shape.all {
			// Every column kept, in its slot: the row's values are shared, not copied.
			out[i] = shape.out.Row(row.Slots(), row.Sources)
			continue
		}
		slots := make([]any, len(shape.keep))
		for k, from := range shape.keep {
			slots[k] = row.Slots()[from]
		}
		out[i] = shape.out.Row(slots, row.Sources)
	}
	return out, nil
}

// renamedLayout is the layout of the rows a rename makes of rows of layout in: out's slot k holds
// the value of in's slot keep[k]; all when that is every slot in order.
type renamedLayout struct {
	in, out *record.Layout
	keep    []int
	all     bool
}

func (rs *renameStage) layoutOf(in *record.Layout, live columnSet) renamedLayout {
	shape := renamedLayout{in: in}
	var names []string
	for from, name := range in.Names() {
		if n, ok := rs.renames[name]; ok {
			name = n
		}
		if live.has(name) {
			names = append(names, name)
			shape.keep = append(shape.keep, from)
		}
	}
	shape.out = record.NewLayout(names...)
	if len(shape.out.Names()) < len(names) {
		// A column renamed to the name of one kept: the later value wins, as a map's would.
		kept := make([]int, len(shape.out.Names()))
		for k, name := range names {
			slot, _ := shape.out.Slot(name)
			kept[slot] = shape.keep[k]
		}
		shape.keep = kept
	}
	shape.all = len(shape.keep) == len(in.Names())
	for k, from := range shape.keep {
		shape.all = shape.all && k == from
	}
	return shape
}
