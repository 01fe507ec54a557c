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
// row passes on each way the plan reads the table (its stages from the start, a let's stages, each
// join's right side), as far as they read the table's columns as they are. A record that fails it
// on every way would be dropped by the plan anyway.
type ReadFilter struct {
	// Columns lists the table's columns the test reads, sorted.
	Columns []string
	// ways holds, for each way a row can take into the plan, the conditions it must meet there, as
	// indexes into conds; ways share their first stages, and a condition met on one way is not
	// tested again on the next.
	ways  [][]int
	conds conditions
}

// ReadFilters is the filter of each table the plan reads, nil for a table whose every record the
// plan may use (a way in without a filter, or one no filter says: a union's legs).
//
// With lookbacks (a run whose now is fixed), a where that reads the clock and starts a pipeline
// over the table (where TimeGenerated > ago(1d), the first stage) is part of the filter; it is
// marked (Lookback) so that the rows it drops while reading can still be counted for the lookback
// report. Otherwise the wheres that read the clock stay out: with --now latest, now is not known
// before the input is read, and a stream's now moves.
func (p *Plan) ReadFilters(lookbacks bool) map[string]*ReadFilter {
	c := &wayCollector{lookbacks: lookbacks, ways: map[string][]conditions{}}
	if p.source.union != nil || hasUnion(p.Stages) {
		c.open = true
	}
	for _, l := range p.lets {
		if hasUnion(l.stages) {
			c.open = true
		}
	}
	if !c.open {
		start := c.entries(p.source, nil, nil)
		c.visit(start, p.Stages, nil)
		for _, l := range p.lets {
			c.visit(c.entries(l.source, nil, nil), l.stages, nil)
		}
	}
	out := map[string]*ReadFilter{}
	for _, in := range p.Inputs {
		name := in.Table.Name
		ways := c.ways[name]
		if c.open || len(ways) == 0 || slices.ContainsFunc(ways, func(w conditions) bool { return len(w) == 0 }) {
			out[name] = nil
			continue
		}
		f := &ReadFilter{}
		for _, w := range ways {
			f.add(w)
		}
		out[name] = f
	}
	return out
}

// wayCollector finds the ways a plan's rows take from their tables: the conditions a record of a
// table must meet on each (ways), or that some way could not be followed (open).
type wayCollector struct {
	lookbacks bool
	ways      map[string][]conditions
	open      bool
}

// entry is how the rows of a table reach the start of a pipeline; fresh tells they are the rows as
// read, no stage between.
type entry struct {
	table string
	way
	fresh bool
}

// entries are the ways into a pipeline that starts at src; enclosing are the entries of the
// pipeline src is read in (a join's right side without a source starts where it does), stages its
// stages (for a source that is a stage's rows).
func (c *wayCollector) entries(src *source, enclosing []entry, stages []*Stage) []entry {
	switch {
	case src == nil:
		return enclosing
	case src.let != nil:
		// A let's rows come from its own source through its stages; the conditions of its stages
		// are met by every row it gives.
		return c.through(c.entries(src.let.source, nil, nil), src.let.stages)
	case src.stage != "":
		k := stageIndex(stages, src.stage)
		if k < 0 {
			c.open = true
			return nil
		}
		return c.through(enclosing, stages[:k+1])
	case src.union != nil:
		c.open = true
		return nil
	}
	var out []entry
	for _, in := range src.tables {
		origin := map[string]string{}
		for _, col := range in.table.Columns {
			name := col.Name
			if to, ok := in.rename[col.Name]; ok {
				name = to
			}
			origin[name] = col.Name
		}
		out = append(out, entry{table: in.table.Name, way: way{origin: origin}, fresh: true})
	}
	return out
}

// through is entries after stages: the conditions met on the way added, the columns that are still
// a table column as it is (none past a stage that makes new rows).
func (c *wayCollector) through(entries []entry, stages []*Stage) []entry {
	var out []entry
	for _, e := range entries {
		w, ok := c.walk(e, stages)
		if !ok {
			w.origin = map[string]string{}
		}
		out = append(out, entry{table: e.table, way: w})
	}
	return out
}

// walk is walkWay from an entry, a lookback that starts a pipeline over the fresh rows of a table
// included when the collector takes lookbacks.
func (c *wayCollector) walk(e entry, stages []*Stage) (way, bool) {
	var first conditions
	if c.lookbacks && e.fresh && len(stages) > 0 && stages[0].Lookback() && len(stages[0].op.filter().Scalars) == 0 {
		if l := (condition{prog: stages[0].op.filter(), lookback: stages[0]}).renamedTo(e.origin); l.prog != nil {
			first = conditions{l}
		}
	}
	w, ok := walkWay(e.origin, stages)
	w.conds = append(append(append(conditions(nil), e.conds...), first...), w.conds...)
	return w, ok
}

// visit adds the ways of the rows of entries through a pipeline's stages, and of its joins' right
// sides; after are conditions (over the pipeline's last columns) its rows meet past its stages.
func (c *wayCollector) visit(entries []entry, stages []*Stage, after conditions) {
	for _, e := range entries {
		w, ok := c.walk(e, stages)
		conds := w.conds
		if n := len(w.stages); !ok && n < len(stages) {
			// The rows go through the stages up to the first that makes new rows; when that is a
			// join, they must also meet what it asks of its left rows.
			if j, isJoin := stages[n].op.(*join); isJoin {
				conds = append(conds, j.leftFilter.through(w.origin)...)
			}
		} else if ok {
			conds = append(conds, after.through(w.origin)...)
		}
		c.ways[e.table] = append(c.ways[e.table], conds)
	}
	for _, s := range stages {
		if j, isJoin := s.op.(*join); isJoin {
			c.visit(c.entries(j.source, entries, stages), j.right, j.rightFilter)
		}
	}
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

// Ways lists, for each way a record can take into the plan, the conditions it must meet there (as
// indexes of Condition): a record the plan may use meets every condition of one of them.
func (f *ReadFilter) Ways() [][]int { return f.ways }

// Conditions is how many conditions the ways name.
func (f *ReadFilter) Conditions() int { return len(f.conds) }

// ConditionColumns lists the table's columns condition i reads.
func (f *ReadFilter) ConditionColumns(i int) []string {
	c := f.conds[i]
	cols := make([]string, len(c.prog.Columns))
	for k, col := range c.prog.Columns {
		cols[k] = c.column(col)
	}
	return cols
}

// Lookback is the stage whose where condition i is, when it reads the clock (see ReadFilters).
func (f *ReadFilter) Lookback(i int) *Stage { return f.conds[i].lookback }

// NewConditionTest returns condition i's test over a row of the table's columns (at least
// ConditionColumns(i)), for one goroutine. A condition that fails to evaluate holds: the where it
// comes from, still in its place, reports the failure.
func (f *ReadFilter) NewConditionTest(i int) func(values map[string]any) bool {
	r := &runner{}
	c := f.conds[i]
	return func(values map[string]any) bool { return r.holds(c, values) }
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
	renamed := newCondition(c.prog, names)
	renamed.lookback = c.lookback
	return renamed
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
