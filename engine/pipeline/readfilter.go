package pipeline

import (
	"maps"
	"slices"
	"sort"
)

// A rule's first stages usually drop most records (V2 keeps the FOCI apps' sign-ins, and of those
// the first logins and the refresh-token logins to a handful of apps), yet a reader would make a
// row of every record for them to drop. ReadFilter gives the reader those filters, so that it reads
// a record's few filtered columns first and makes a row only of the records some stage can use.

// ReadFilter is the test a record of a table must pass for a plan to use its row: the wheres every
// row passes on each way the plan reads the table (its stages from the start, and each join's right
// side), as far as they read the table's columns as they are. A record that fails it on every way
// would be dropped by the plan anyway.
type ReadFilter struct {
	// Columns lists the table's columns the test reads, sorted.
	Columns []string
	// ways holds, for each way a row can take into the plan, the conditions it must meet there, as
	// indexes into conds; ways share their first stages, and a condition met on one way is not
	// tested again on the next.
	ways  [][]int
	conds conditions
}

// ReadFilter is the filter for the plan's table, or nil when the plan may use any of its rows (it
// reads several tables, a let, or has a way in without a filter). The wheres that read the clock
// stay out of it: a lookback counts what it drops, for the report that tells a user their now
// misses the input (and with --now latest, now is not known before the input is read).
func (p *Plan) ReadFilter() *ReadFilter {
	src := p.source
	if len(p.lets) > 0 || len(src.tables) != 1 || src.tables[0].rename != nil || src.tables[0].missing != nil || hasUnion(p.Stages) {
		return nil
	}
	identity := map[string]string{}
	for _, col := range src.tables[0].table.Columns {
		identity[col.Name] = col.Name
	}
	// The rows from the start go through the rule's stages up to the first that makes new rows;
	// when that is a join, they must also meet what it asks of its left rows.
	main, _ := walkWay(identity, p.Stages)
	if n := len(main.stages); n < len(p.Stages) {
		if j, ok := p.Stages[n].op.(*join); ok {
			main.conds = append(main.conds, j.leftFilter.through(main.origin)...)
		}
	}
	ways := []conditions{main.conds}
	for _, s := range p.Stages {
		j, ok := s.op.(*join)
		if !ok {
			continue
		}
		if j.source != nil && j.source.stage == "" {
			return nil // a let or other tables
		}
		for _, rs := range j.right {
			if _, ok := rs.op.(*join); ok {
				return nil // a join inside a join: its right side reads what this one does not say
			}
		}
		start := way{origin: identity}
		if j.source != nil {
			k := stageIndex(p.Stages, j.source.stage)
			var ok bool
			if start, ok = walkWay(identity, p.Stages[:k+1]); !ok {
				return nil
			}
		}
		right, ok := walkWay(start.origin, j.right)
		conds := append(append(conditions(nil), start.conds...), right.conds...)
		if ok {
			conds = append(conds, j.rightFilter.through(right.origin)...)
		}
		ways = append(ways, conds)
	}
	f := &ReadFilter{}
	for _, conds := range ways {
		if len(conds) == 0 {
			return nil
		}
		f.add(conds)
	}
	return f
}

// add adds a way in, and the columns its conditions read.
func (f *ReadFilter) add(conds conditions) {
	var way []int
	for _, c := range conds {
		at := -1
		for i, known := range f.conds {
			if known.prog == c.prog && maps.Equal(known.names, c.names) {
				at = i
			}
		}
		if at < 0 {
			at = len(f.conds)
			f.conds = append(f.conds, c)
			for _, col := range c.prog.Columns {
				if name := c.column(col); !slices.Contains(f.Columns, name) {
					f.Columns = append(f.Columns, name)
				}
			}
		}
		way = append(way, at)
	}
	f.ways = append(f.ways, way)
	sort.Strings(f.Columns)
}

// AnyOf is the filter a record passes when it passes any of filters: nil (every record passes)
// when one of them is nil.
func AnyOf(filters ...*ReadFilter) *ReadFilter {
	out := &ReadFilter{}
	for _, f := range filters {
		if f == nil {
			return nil
		}
		for _, way := range f.ways {
			conds := make(conditions, len(way))
			for i, c := range way {
				conds[i] = f.conds[c]
			}
			out.add(conds)
		}
	}
	return out
}

// NewTest returns the filter's test over a row of the table's columns (at least Columns), for one
// goroutine.
func (f *ReadFilter) NewTest() func(values map[string]any) bool {
	r := &runner{}
	const unknown, met, failed = 0, 1, 2
	known := make([]int8, len(f.conds))
	return func(values map[string]any) bool {
		clear(known)
	ways:
		for _, way := range f.ways {
			for _, c := range way {
				if known[c] == unknown {
					known[c] = failed
					if r.holds(f.conds[c], values) {
						known[c] = met
					}
				}
				if known[c] == failed {
					continue ways
				}
			}
			return true
		}
		return false
	}
}

// way is how rows of a table reach a stage: the table columns each column there is a copy of, the
// conditions met on the way (over the table's columns), and the stages walked.
type way struct {
	origin map[string]string
	conds  conditions
	stages []*Stage
}

// walkWay follows a table's rows from origin through stages, collecting the wheres whose every
// column is a table column as it is, up to the first stage that makes new rows (a join, summarize,
// mv-expand or distinct); it tells whether it walked every stage.
func walkWay(origin map[string]string, stages []*Stage) (way, bool) {
	w := way{origin: maps.Clone(origin)}
	for _, s := range stages {
		if p := s.op.filter(); pushable(p) {
			c := condition{prog: p}
			if c = c.renamedTo(w.origin); c.prog != nil {
				w.conds = append(w.conds, c)
			}
		}
		next, ok := s.op.follow(w.origin)
		if !ok {
			return w, false
		}
		w.origin = next
		w.stages = append(w.stages, s)
	}
	return w, true
}

// through gives each condition the table's column names, by origin, dropping those that read a
// column that is not a table column as it is.
func (cs conditions) through(origin map[string]string) conditions {
	var out conditions
	for _, c := range cs {
		if c = c.renamedTo(origin); c.prog != nil {
			out = append(out, c)
		}
	}
	return out
}

// column is the name the condition reads col under.
func (c condition) column(col string) string {
	if to, ok := c.names[col]; ok {
		return to
	}
	return col
}

// renamedTo is c reading its columns under the names origin gives them; zero when one has none.
func (c condition) renamedTo(origin map[string]string) condition {
	names := map[string]string{}
	for _, col := range c.prog.Columns {
		to, ok := origin[c.column(col)]
		if !ok {
			return condition{}
		}
		names[col] = to
	}
	return newCondition(c.prog, names)
}

// stageIndex is the place of the stage called name in stages, or -1.
func stageIndex(stages []*Stage, name string) int {
	for i, s := range stages {
		if s.Rule.Name == name {
			return i
		}
	}
	return -1
}

// hasUnion tells whether a union reads tables anywhere in stages (or their joins' right sides): its
// legs read them on ways of their own, which no filter says.
func hasUnion(stages []*Stage) bool {
	for _, s := range stages {
		switch op := s.op.(type) {
		case *unionStage:
			return true
		case *join:
			if hasUnion(op.right) {
				return true
			}
		}
	}
	return false
}
