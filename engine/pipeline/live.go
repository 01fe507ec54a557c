package pipeline

import "github.com/signin-detect/detect/engine/rule"

// columnSet is a set of column names; nil stands for every column.
type columnSet map[string]bool

func (s columnSet) has(name string) bool { return s == nil || s[name] }

func (s columnSet) with(names ...string) columnSet {
	if s == nil {
		return nil
	}
	out := make(columnSet, len(s)+len(names))
	for k := range s {
		out[k] = true
	}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func setOf(cols []Column) columnSet {
	out := make(columnSet, len(cols))
	for _, c := range cols {
		out[c.Name] = true
	}
	return out
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

// markLive records in each stage of a pipeline the columns still read after it (by later stages,
// or as the pipeline's result: after), so that the stages that make new rows copy only those and
// an extend computes only the columns that will be read; it returns the columns read before the
// first stage. Join state then holds only what later stages use.
func markLive(stages []*Stage, after columnSet) columnSet {
	need := after
	for i := len(stages) - 1; i >= 0; i-- {
		s := stages[i]
		s.live = need
		switch s.Rule.Kind {
		case rule.Where:
			need = need.with(s.where.Columns...)
		case rule.Extend:
			need = markAssignments(s, need, need)
		case rule.Project:
			need = markAssignments(s, need, columnSet{})
		case rule.ProjectRename:
			if need != nil {
				before := columnSet{}
				for name := range need {
					before[name] = true
				}
				for old, renamed := range s.renames {
					delete(before, renamed)
					if need[renamed] {
						before[old] = true
					}
				}
				need = before
			}
		case rule.Join:
			need = markJoin(s, need)
		default:
			// summarize, mv-expand and distinct read their input whole.
			need = setOf(s.In)
		}
	}
	return need
}

// markAssignments marks which assignments of an extend or project are read later, and returns
// what the stage reads: rest (the columns it passes on) with the assignments it computes replaced
// by what they read.
func markAssignments(s *Stage, after, rest columnSet) columnSet {
	need := rest.with()
	s.copied = nil
	if after != nil {
		s.copied = columnSet{}
		for k := range after {
			s.copied[k] = true
		}
	}
	for i := len(s.assigns) - 1; i >= 0; i-- {
		a := &s.assigns[i]
		a.skip = !after.has(a.column) && !s.readLater(i, a.column)
		if a.skip {
			continue
		}
		if need != nil {
			delete(need, a.column)
		}
		need = need.with(a.reads()...)
		// An extend's later assignments read its earlier ones and the row's columns: keep those.
		s.copied = s.copied.with(a.reads()...)
	}
	return need
}

// readLater tells whether an assignment after the i-th of the stage reads column.
func (s *Stage) readLater(i int, column string) bool {
	if s.Rule.Kind != rule.Extend {
		return false
	}
	for _, a := range s.assigns[i+1:] {
		if a.skip {
			continue
		}
		for _, r := range a.reads() {
			if r == column {
				return true
			}
		}
	}
	return false
}

func markJoin(s *Stage, after columnSet) columnSet {
	j := s.join
	if leftOnly(j.kind) {
		return after.with(j.leftKeys...)
	}
	var rightNeed columnSet
	if after != nil {
		rightNeed = columnSet{}
		for orig, name := range j.rightNames {
			if after[name] {
				rightNeed[orig] = true
			}
		}
	}
	markLive(j.right, rightNeed.with(j.rightKeys...))
	return after.with(j.leftKeys...)
}

// markFresh records which stages get rows that no other stage holds, which an extend may then
// change in place: rows a stage made, and passed on by filters, until a join, a let or the rule's
// input shares them.
func markFresh(stages []*Stage, snapshots map[string]bool) {
	fresh := false // a pipeline starts from rows its source shares
	for _, s := range stages {
		s.freshIn = fresh
		switch s.Rule.Kind {
		case rule.Where, rule.Distinct:
		case rule.Join:
			fresh = !leftOnly(s.join.kind) || fresh
			markFresh(s.join.right, snapshots)
		default:
			fresh = true
		}
		if snapshots[s.Rule.Name] {
			fresh = false
		}
	}
}
