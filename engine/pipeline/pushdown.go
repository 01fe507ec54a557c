package pipeline

import (
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
)

// A rule often filters a join's pairs on columns of one side only (V2 keeps the pairs whose second
// app is Azure CLI, which only the right row tells). Pairing every row first and then dropping
// nearly all pairs costs time and holds memory for nothing, so the planner also runs such a filter
// on that side's rows before they pair, as a query optimiser pushes a predicate below a join. The
// where stays where it was written too: the copy only drops rows whose every pair the where would
// drop, so the result is the same rows in the same order.

// condition is a where's predicate run over other rows than the ones it was written for: names maps
// each column it reads to that column's name in those rows, when the two differ.
type condition struct {
	prog  *kqlexpr.Program
	names map[string]string
	// lookback is the stage of a where that reads the clock, in a read filter (see ReadFilters).
	lookback *Stage
}

// conditions hold for a row when each of them does.
type conditions []condition

// pushable tells whether a predicate gives the same answer wherever it runs: it reads no toscalar
// let, and no clock (a stream's now moves between the two places).
func pushable(p *kqlexpr.Program) bool {
	return p != nil && len(p.Scalars) == 0 && !p.ReadsClock
}

// pushDown finds, for each join of stages (and of the joins' right sides, recursively), the wheres
// after it that read only one side's columns as the join made them, and gives the join a copy of
// each to run over that side's rows. The rows a where reads pass through the stages between the
// join and it only as copies: wheres, project-renames, and project or extend columns that are
// another column as it is (each kind's follow says); any other stage ends the search.
func pushDown(stages []*Stage) {
	for i, s := range stages {
		j, ok := s.op.(*join)
		if !ok {
			continue
		}
		pushDown(j.right)
		pushDownJoin(s, j, stages[i+1:])
	}
}

func pushDownJoin(s *Stage, j *join, after []*Stage) {
	// A left row's columns keep their names in the pairs; the right row's may be renamed.
	side := map[string]bool{}
	rightName := map[string]string{}
	for right, joined := range j.rightNames {
		rightName[joined] = right
		side[joined] = true
	}
	// origin maps each column that is a join column as it is to that join column's name.
	origin := map[string]string{}
	for _, col := range s.Out {
		origin[col.Name] = col.Name
	}
	// Which side may be filtered early is the join kind's (rule.JoinKind's FilterLeft and
	// FilterRight).
	for _, next := range after {
		if p := next.op.filter(); pushable(p) {
			names, right, ok := sideNames(p.Columns, origin, side)
			switch {
			case !ok:
			case right && j.kind.FilterRight:
				for col, joined := range names {
					names[col] = rightName[joined]
				}
				j.rightFilter = append(j.rightFilter, newCondition(p, names))
			case !right && j.kind.FilterLeft:
				j.leftFilter = append(j.leftFilter, newCondition(p, names))
			}
		}
		var ok bool
		if origin, ok = next.op.follow(origin); !ok {
			return
		}
	}
}

// sideNames maps the columns a predicate reads to the join columns they are, if they all are and
// all come from one side; right tells which.
func sideNames(cols []string, origin map[string]string, rightSide map[string]bool) (names map[string]string, right, ok bool) {
	if len(cols) == 0 {
		return nil, false, false
	}
	names = map[string]string{}
	for i, col := range cols {
		joined, found := origin[col]
		if !found || (i > 0 && rightSide[joined] != right) {
			return nil, false, false
		}
		right = rightSide[joined]
		names[col] = joined
	}
	return names, right, true
}

// newCondition keeps only the names that differ.
func newCondition(p *kqlexpr.Program, names map[string]string) condition {
	c := condition{prog: p}
	for col, to := range names {
		if col != to {
			if c.names == nil {
				c.names = map[string]string{}
			}
			c.names[col] = to
		}
	}
	return c
}

// hold tells whether every condition holds for a row.
func (r *runner) hold(cs conditions, row record.Row) bool {
	for _, c := range cs {
		if !r.holdsFor(c, row) {
			return false
		}
	}
	return true
}

// holdsFor tells whether a condition holds for a row.
func (r *runner) holdsFor(c condition, row record.Row) bool {
	env := r.freshEnv()
	for _, col := range c.prog.Columns {
		if v, ok := row.Lookup(c.column(col)); ok {
			env[col] = v
		}
	}
	return r.holdsIn(c, env)
}

// holds tells whether a condition holds for values, a row's columns under their names in the row
// (a reader's record).
func (r *runner) holds(c condition, values map[string]any) bool {
	env := values
	if c.names != nil {
		env = r.freshEnv()
		for _, col := range c.prog.Columns {
			if v, ok := values[c.column(col)]; ok {
				env[col] = v
			}
		}
	}
	return r.holdsIn(c, env)
}

// holdsIn tells whether a condition holds for env, the columns its program reads under the
// program's names. A condition that fails to evaluate keeps the row: the where it was copied
// from, still in its place, will report the failure.
func (r *runner) holdsIn(c condition, env map[string]any) bool {
	v, err := c.prog.Run(&r.machine, env)
	keep, _ := v.(bool)
	return err != nil || keep
}

// filterRows keeps the rows for which every condition holds: rows itself when they all do, else
// a slice made at its size (as a where does).
func (r *runner) filterRows(cs conditions, rows []record.Row) []record.Row {
	if len(cs) == 0 {
		return rows
	}
	keep := make([]bool, len(rows))
	_ = r.inParts(len(rows), r.parts(len(rows)), func(w *runner, _, lo, hi int) error {
		for i := lo; i < hi; i++ {
			keep[i] = w.hold(cs, rows[i])
		}
		return nil
	})
	return keptRows(rows, keep)
}

// keptRows are the rows whose keep is set, in order: rows itself when every one is.
func keptRows(rows []record.Row, keep []bool) []record.Row {
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	if kept == len(rows) {
		return rows
	}
	out := make([]record.Row, 0, kept)
	for i, row := range rows {
		if keep[i] {
			out = append(out, row)
		}
	}
	return out
}
