package pipeline

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// StageStats counts what one stage did. For a join, In is the left rows, Right the right rows,
// Keys the distinct keys found on both sides, and Out the pairs emitted.
type StageStats struct {
	Stage       *Stage
	In, Out     int
	Right, Keys int
	RightStages []StageStats
}

// Run runs the plan over the rows of its input tables (keyed by table name) and returns the
// result rows and what each stage did.
func (p *Plan) Run(tables map[string][]record.Row) ([]record.Row, []StageStats, error) {
	r := &runner{plan: p, snapshots: map[string][]record.Row{}}
	rows := tables[p.Inputs[0].Table.Name]
	return r.stages(p.Stages, rows, rows)
}

type runner struct {
	plan      *Plan
	machine   vm.VM
	snapshots map[string][]record.Row
	tracer    Tracer // nil unless the run is explained
}

func (r *runner) stages(stages []*Stage, rows, input []record.Row) ([]record.Row, []StageStats, error) {
	stats := make([]StageStats, 0, len(stages))
	for _, s := range stages {
		st := StageStats{Stage: s, In: len(rows)}
		var err error
		rows, err = r.stage(s, rows, input, &st)
		if err != nil {
			return nil, stats, err
		}
		st.Out = len(rows)
		stats = append(stats, st)
		if r.plan.snapshots[s.Rule.Name] {
			r.snapshots[s.Rule.Name] = rows
		}
	}
	return rows, stats, nil
}

func (r *runner) fail(s *Stage, row record.Row, err error) error {
	var from []string
	for _, src := range row.Sources {
		from = append(from, src.String())
	}
	return fmt.Errorf("%s: stage %s failed on the row from %s: %w", s.Rule.Pos, s.Rule.Label(), strings.Join(from, " and "), err)
}

func (r *runner) stage(s *Stage, rows, input []record.Row, st *StageStats) ([]record.Row, error) {
	switch s.Rule.Kind {
	case rule.Where:
		out := rows[:0:0]
		for _, row := range rows {
			v, err := s.where.Run(&r.machine, row.Values)
			if err != nil {
				return nil, r.fail(s, row, err)
			}
			if keep, _ := v.(bool); keep {
				out = append(out, row)
			} else if r.tracer != nil {
				r.tracer.Dropped(s, row)
			}
		}
		return out, nil
	case rule.Extend, rule.Project:
		return r.assign(s, rows)
	case rule.ProjectRename:
		out := make([]record.Row, len(rows))
		for i, row := range rows {
			values := make(map[string]any, len(row.Values))
			for k, v := range row.Values {
				if n, ok := s.renames[k]; ok {
					k = n
				}
				values[k] = v
			}
			out[i] = record.Row{Values: values, Sources: row.Sources}
		}
		return out, nil
	case rule.Join:
		return r.join(s, rows, input, st)
	}
	return rows, nil
}

// assign runs an extend (the row's columns plus the new ones) or a project (only the listed ones).
func (r *runner) assign(s *Stage, rows []record.Row) ([]record.Row, error) {
	project := s.Rule.Kind == rule.Project
	out := make([]record.Row, len(rows))
	for i, row := range rows {
		values := make(map[string]any, len(s.Out))
		if !project {
			for k, v := range row.Values {
				values[k] = v
			}
		}
		// An extend's later columns may read its earlier ones; a project's read only its input.
		env := values
		if project {
			env = row.Values
		}
		for _, a := range s.assigns {
			if a.copyOf != "" {
				values[a.column] = env[a.copyOf]
				continue
			}
			v, err := a.prog.Run(&r.machine, env)
			if err != nil {
				return nil, r.fail(s, row, err)
			}
			values[a.column] = normalise(v)
		}
		out[i] = record.Row{Values: values, Sources: row.Sources}
	}
	return out, nil
}

// normalise gives expression results the value types rows hold: expr computes whole numbers as
// int, KQL's are long.
func normalise(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

// join runs a join kind=inner: every pair of a left row and a right row whose keys are equal,
// duplicates included, in left order and then right order. Keys compare as == does, so strings
// case-sensitively; empty strings match each other, nulls match nothing.
// https://learn.microsoft.com/kusto/query/join-operator
func (r *runner) join(s *Stage, left, input []record.Row, st *StageStats) ([]record.Row, error) {
	j := s.join
	start := input
	if j.from != "" {
		start = r.snapshots[j.from]
	}
	right, rightStats, err := r.stages(j.right, start, input)
	st.RightStages = rightStats
	if err != nil {
		return nil, err
	}
	st.Right = len(right)
	index := map[string][]int{}
	for i, row := range right {
		if key, ok := joinKey(row.Values, j.rightKeys); ok {
			index[key] = append(index[key], i)
		}
	}
	var out []record.Row
	matched := map[string]bool{}
	for _, l := range left {
		key, ok := joinKey(l.Values, j.leftKeys)
		if !ok {
			if r.tracer != nil {
				r.tracer.Unpaired(s, l)
			}
			continue
		}
		partners := index[key]
		if len(partners) > 0 {
			matched[key] = true
		} else if r.tracer != nil {
			r.tracer.Unpaired(s, l)
		}
		for _, ri := range partners {
			rr := right[ri]
			values := make(map[string]any, len(s.Out))
			for k, v := range l.Values {
				values[k] = v
			}
			for k, v := range rr.Values {
				if name, ok := j.rightNames[k]; ok {
					values[name] = v
				}
			}
			sources := make([]record.Source, 0, len(l.Sources)+len(rr.Sources))
			pair := record.Row{Values: values, Sources: append(append(sources, l.Sources...), rr.Sources...)}
			out = append(out, pair)
			if r.tracer != nil {
				r.tracer.Paired(s, pair)
			}
		}
	}
	st.Keys = len(matched)
	return out, nil
}

// joinKey encodes the key columns of a row; ok is false when one is null.
func joinKey(values map[string]any, keys []string) (string, bool) {
	var b strings.Builder
	for _, k := range keys {
		v := values[k]
		if v == nil {
			return "", false
		}
		s := kql.ToString(v)
		// Length-prefix each part so that ("a|b", "c") and ("a", "b|c") differ; the type letter
		// keeps the string "1" apart from the long 1.
		fmt.Fprintf(&b, "%d%c%s", len(s), kql.TypeOf(v).String()[0], s)
	}
	return b.String(), true
}
