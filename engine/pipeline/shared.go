package pipeline

import (
	"slices"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
)

// Several rules often begin alike: a rule's variants (extends) start with the same lookback and
// the same wheres over the same table. ShareStarts runs such leading wheres once for all the plans
// that begin with them, over the rows any of those plans can use, and each plan starts its run
// after them (RunFrom) with the rows of those that it can use, its own statistics for them, and the
// snapshots its joins read; what a plan gives is what it gives run alone.
//
// The leading wheres of plans that start from the same table form a tree: a node is a where, its
// children the different wheres that follow it in the plans that reach it. A node that two plans
// or more reach runs once, over its parent's rows (as indexes into the table's rows); a node that
// one plan reaches is left to that plan. Each where runs as a copy of its program, whose null count
// tells whether it gave any null: a plan counts the nulls its own expressions give (the run's
// summary reports them), so a node that gave one is run by each plan itself, and the nodes after it
// too.

// Start is where a plan's run begins after wheres run once for several plans (see ShareStarts).
type Start struct {
	// all are the rows of table, the plan's, and reach tells which of them the plan can use (nil:
	// every one).
	table string
	all   []record.Row
	reach func(k int) bool
	// base are the indexes of all the shared wheres ran over; kept, for each shared where in turn,
	// those it kept.
	base []int
	kept [][]int
	// rights are the plan's joins whose right sides begin with wheres run once too.
	rights map[*join]*rightStart
	// mine marks the rows the plan can use (nil: every one), once RunFrom has made it.
	mine []bool
}

// sharedWhere is a node of the tree of leading wheres.
type sharedWhere struct {
	stage    *Stage
	plans    []int
	children []*sharedWhere
	// rights are the trees of the wheres that joins' right sides begin with when they start from
	// this where's rows (from: its stage); their plans are rightWays.
	rights []*sharedWhere
	// kept are the indexes of the rows it kept; ran tells it ran (without a null).
	kept []int
	ran  bool
}

// rightWay is a join of a plan whose right side starts from the rows of one of the plan's leading
// wheres (node), and the wheres that right side begins with.
type rightWay struct {
	plan   int
	join   *join
	node   *sharedWhere
	wheres []*Stage
}

// ShareStarts runs once the leading wheres that plans have in common (see Start): tables are each
// table's rows, and reach(i, table) tells which of them plan i can use (nil: every one). It
// returns a Start for each plan (nil for a plan that shares no where), to give RunFrom.
func ShareStarts(plans []*Plan, tables map[string][]record.Row, reach func(i int, table string) func(k int) bool) []*Start {
	starts := make([]*Start, len(plans))
	roots := map[string]*sharedWhere{}
	var order []string
	var rights []rightWay
	// paths holds each plan's shared wheres, in order.
	paths := make([][]*sharedWhere, len(plans))
	for i, p := range plans {
		table, wheres := p.leadingWheres()
		if len(wheres) == 0 {
			continue
		}
		root := roots[table]
		if root == nil {
			root = &sharedWhere{}
			roots[table] = root
			order = append(order, table)
		}
		root.plans = append(root.plans, i)
		node := root
		nodes := map[string]*sharedWhere{}
		for _, s := range wheres {
			node = node.child(&node.children, s)
			node.plans = append(node.plans, i)
			if s.Rule.Name != "" {
				nodes[s.Rule.Name] = node
			}
		}
		// The wheres a join's right side begins with, over the rows of one of these wheres,
		// are a tree under it.
		for _, s := range p.Stages[len(wheres):] {
			j, ok := s.op.(*join)
			if !ok || j.source == nil || nodes[j.source.stage] == nil {
				continue
			}
			way := rightWay{plan: i, join: j, node: nodes[j.source.stage], wheres: leadingOf(j.right)}
			id := len(rights)
			rights = append(rights, way)
			node := way.node
			for _, w := range way.wheres {
				node = node.child(&node.rights, w)
				node.plans = append(node.plans, id)
			}
		}
	}
	for _, table := range order {
		root := roots[table]
		if !root.sharesAny() {
			continue
		}
		all := tables[table]
		// The shared wheres run over the rows some plan that shares one can use; a plan whose
		// first where is its own runs it itself.
		var sharing []int
		reaches := make([]func(int) bool, len(plans))
		for _, i := range root.plans {
			if len(root.childOf(i).plans) > 1 {
				sharing = append(sharing, i)
				reaches[i] = reach(i, table)
			}
		}
		base := make([]int, 0, len(all))
		for k := range all {
			for _, i := range sharing {
				if reaches[i] == nil || reaches[i](k) {
					base = append(base, k)
					break
				}
			}
		}
		r := &runner{plan: plans[sharing[0]], tables: tables}
		root.kept, root.ran = base, true
		root.run(r, all)
		for _, i := range root.plans {
			var kept [][]int
			for node := root.childOf(i); node != nil && node.ran; node = node.childOf(i) {
				kept = append(kept, node.kept)
				paths[i] = append(paths[i], node)
			}
			if len(kept) > 0 {
				starts[i] = &Start{table: table, all: all, reach: reaches[i], base: base, kept: kept, rights: map[*join]*rightStart{}}
			}
		}
	}
	for id, way := range rights {
		if !slices.Contains(paths[way.plan], way.node) {
			continue
		}
		var kept [][]int
		for node := way.node.rightOf(id); node != nil && node.ran; node = node.rightOf(id) {
			kept = append(kept, node.kept)
		}
		if len(kept) > 0 {
			starts[way.plan].rights[way.join] = &rightStart{from: way.node.kept, kept: kept}
		}
	}
	return starts
}

// rightStart is how far a join's right side got with the wheres it begins with run once for
// several plans: the indexes of the rows it started from and those each of its wheres kept.
type rightStart struct {
	from []int
	kept [][]int
}

// leadingWheres are the wheres a plan begins with when it starts from one table's rows as they
// are read (not a union, a let or a stage's rows), and that table; a where that reads a toscalar
// let or a window of rows ends them.
func (p *Plan) leadingWheres() (string, []*Stage) {
	src := p.source
	if len(src.tables) != 1 || src.tables[0].rename != nil || src.tables[0].missing != nil {
		return "", nil
	}
	return src.tables[0].table.Name, leadingOf(p.Stages)
}

// leadingOf are the wheres stages begin with, up to one that reads a toscalar let or a window of
// rows, or another stage.
func leadingOf(stages []*Stage) []*Stage {
	var wheres []*Stage
	for _, s := range stages {
		if s.op.filter() == nil || !s.op.splittable() || !s.op.rowWise() {
			break
		}
		wheres = append(wheres, s)
	}
	return wheres
}

// child is the node of the where s among nodes (n's children or rights), made when none is the
// same where.
func (n *sharedWhere) child(nodes *[]*sharedWhere, s *Stage) *sharedWhere {
	for _, c := range *nodes {
		if c.stage.op.filter().Same(s.op.filter()) {
			return c
		}
	}
	c := &sharedWhere{stage: s}
	*nodes = append(*nodes, c)
	return c
}

// sharesAny tells whether a where under n is reached by two plans or more.
func (n *sharedWhere) sharesAny() bool {
	for _, c := range n.children {
		if len(c.plans) > 1 {
			return true
		}
	}
	return false
}

// run runs the children and rights of n that several plans reach over the rows n kept, and theirs
// in turn.
func (n *sharedWhere) run(r *runner, all []record.Row) {
	for _, c := range slices.Concat(n.children, n.rights) {
		if len(c.plans) < 2 {
			continue
		}
		prog, err := c.stage.op.filter().Copy()
		if err != nil {
			continue
		}
		kept, ok := r.keptBy(prog, all, n.kept)
		if !ok || prog.RuntimeNulls() > 0 {
			continue
		}
		c.kept, c.ran = kept, true
		c.run(r, all)
	}
}

// keptBy are the indexes of rows, among in, for which prog is true, on parts of them at once;
// false when it failed on one.
func (r *runner) keptBy(prog *kqlexpr.Program, all []record.Row, in []int) ([]int, bool) {
	keep := make([]bool, len(in))
	err := r.inParts(len(in), r.parts(len(in)), func(w *runner, _, lo, hi int) error {
		for j := lo; j < hi; j++ {
			v, err := w.eval(prog, all[in[j]])
			if err != nil {
				return err
			}
			keep[j], _ = v.(bool)
		}
		return nil
	})
	if err != nil {
		return nil, false
	}
	var kept []int
	for j, k := range in {
		if keep[j] {
			kept = append(kept, k)
		}
	}
	return kept, true
}

// childOf is the child of n on plan i's way, nil when i's wheres end at n.
func (n *sharedWhere) childOf(i int) *sharedWhere { return wayFrom(n.children, i) }

// rightOf is the right-side where under n on the right way id, nil when its wheres end at n.
func (n *sharedWhere) rightOf(id int) *sharedWhere { return wayFrom(n.rights, id) }

func wayFrom(nodes []*sharedWhere, id int) *sharedWhere {
	for _, c := range nodes {
		if slices.Contains(c.plans, id) {
			return c
		}
	}
	return nil
}

// Table is the table the plan starts from ("" for a nil start).
func (s *Start) Table() string {
	if s == nil {
		return ""
	}
	return s.table
}

// RunFrom is Run, starting after the wheres start says ran (nil: Run): the plan's rows after them
// are those of the shared rows it can use, and so are their statistics. tables may leave out the
// start's table: the plan's rows of it are then made of the start's, and only if a stage reads
// them (a join's right side, a let).
func (p *Plan) RunFrom(tables map[string][]record.Row, start *Start) ([]record.Row, []StageStats, error) {
	if start == nil {
		return p.Run(tables)
	}
	r := &runner{plan: p, tables: tables, start: start, snapshots: map[string][]record.Row{},
		lets: map[string][]record.Row{}, bound: map[*kqlexpr.Program]*kqlexpr.Program{}}
	start.marks()
	stats := make([]StageStats, 0, len(p.Stages))
	in := start.base
	n := start.count(in)
	for j, kept := range start.kept {
		s := p.Stages[j]
		out := start.count(kept)
		stats = append(stats, StageStats{Stage: s, In: n, Out: out})
		in, n = kept, out
		r.keepSnapshot(s, kept)
	}
	rows := start.rows(in)
	rest := p.Stages[len(start.kept):]
	var input []record.Row
	if slices.ContainsFunc(rest, startsFromInput) {
		input = r.table(start.table)
	}
	out, restStats, err := r.stages(rest, rows, input)
	return out, append(stats, restStats...), err
}

// keepSnapshot keeps, for a stage whose rows a join's right side starts from, the indexes of the
// shared rows it kept: the plan's rows of them are made when the join reads them (see snapshot),
// unless its right side begins with wheres run once too.
func (r *runner) keepSnapshot(s *Stage, kept []int) {
	if r.plan.snapshots[s.Rule.Name] {
		if r.sharedSnapshots == nil {
			r.sharedSnapshots = map[string][]int{}
		}
		r.sharedSnapshots[s.Rule.Name] = kept
	}
}

// snapshot is the rows of the stage name, which a join's right side starts from.
func (r *runner) snapshot(name string) []record.Row {
	if rows, ok := r.snapshots[name]; ok {
		return rows
	}
	if kept, ok := r.sharedSnapshots[name]; ok {
		rows := r.start.rows(kept)
		r.snapshots[name] = rows
		return rows
	}
	return nil
}

// rightOf is how far join j's right side got with shared wheres (nil: not at all).
func (s *Start) rightOf(j *join) *rightStart {
	if s == nil {
		return nil
	}
	return s.rights[j]
}

// sharedRight runs the right side of j after the wheres it begins with, which ran once for
// several plans (rs): their statistics are counted over the rows the plan can use.
func (r *runner) sharedRight(j *join, rs *rightStart) ([]record.Row, []StageStats, error) {
	stats := make([]StageStats, 0, len(j.right))
	in := rs.from
	n := r.start.count(in)
	for k, kept := range rs.kept {
		out := r.start.count(kept)
		stats = append(stats, StageStats{Stage: j.right[k], In: n, Out: out})
		in, n = kept, out
		r.keepSnapshot(j.right[k], kept)
	}
	rest := j.right[len(rs.kept):]
	var start []record.Row
	if slices.ContainsFunc(rest, startsFromInput) {
		var err error
		if start, err = r.rows(j.source); err != nil {
			return nil, stats, err
		}
	}
	out, restStats, err := r.stages(rest, r.start.rows(in), start)
	return out, append(stats, restStats...), err
}

// startsFromInput tells whether s is a join whose right side starts from the rows its pipeline
// started from.
func startsFromInput(s *Stage) bool {
	j, ok := s.op.(*join)
	return ok && j.source == nil
}

// table is the plan's rows of a table: those given, or, for the table of the run's start when
// they are not given, the rows of it the plan can use, made the first time a stage reads them.
func (r *runner) table(name string) []record.Row {
	if rows, ok := r.tables[name]; ok || r.start == nil || name != r.start.table {
		return rows
	}
	if r.startRows == nil {
		r.startRows = r.start.rows(r.start.base)
	}
	return r.startRows
}

// marks marks, once, the rows the plan can use, so that counting and gathering them reads a
// slice in order rather than each row's reach.
func (s *Start) marks() {
	if s.reach == nil || s.mine != nil {
		return
	}
	s.mine = make([]bool, len(s.all))
	for _, k := range s.base {
		s.mine[k] = s.reach(k)
	}
}

// count is how many of the rows at indexes the plan can use.
func (s *Start) count(indexes []int) int {
	if s.mine == nil {
		return len(indexes)
	}
	n := 0
	for _, k := range indexes {
		if s.mine[k] {
			n++
		}
	}
	return n
}

// rows are the rows at indexes the plan can use.
func (s *Start) rows(indexes []int) []record.Row {
	out := make([]record.Row, 0, s.count(indexes))
	for _, k := range indexes {
		if s.mine == nil || s.mine[k] {
			out = append(out, s.all[k])
		}
	}
	return out
}
