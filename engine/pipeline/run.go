package pipeline

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
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
// result rows and what each of the rule's stages did.
func (p *Plan) Run(tables map[string][]record.Row) ([]record.Row, []StageStats, error) {
	return p.run(tables, nil)
}

// RunTraced is Run, telling tracer what happens to every row.
func (p *Plan) RunTraced(tables map[string][]record.Row, tracer Tracer) ([]record.Row, []StageStats, error) {
	return p.run(tables, tracer)
}

func (p *Plan) run(tables map[string][]record.Row, tracer Tracer) ([]record.Row, []StageStats, error) {
	r := &runner{plan: p, tables: tables, snapshots: map[string][]record.Row{}, tracer: tracer,
		lets: map[string][]record.Row{}, bound: map[*kqlexpr.Program]*kqlexpr.Program{}}
	rows, err := r.rows(p.source)
	if err != nil {
		return nil, nil, err
	}
	return r.stages(p.Stages, rows, rows)
}

// runner is one run of a plan.
type runner struct {
	plan      *Plan
	machine   vm.VM
	tables    map[string][]record.Row
	snapshots map[string][]record.Row
	tracer    Tracer // nil unless the run is explained
	// part is set on the runners that run a part of a stage's rows (see split).
	part bool
	// lets holds each let's rows once computed; bound each program that reads toscalar lets, with
	// their values.
	lets  map[string][]record.Row
	bound map[*kqlexpr.Program]*kqlexpr.Program
	// window is the serialized row set the stage running reads with window functions.
	window *rowWindow
	// env is room for the columns a program reads of a row (see envOf).
	env map[string]any
	// start is where the run began, when wheres shared with other plans ran first (see RunFrom),
	// and startRows the plan's rows of its table, once a stage read them.
	start     *Start
	startRows []record.Row
	// sharedSnapshots holds, for the stages among those a shared start ran whose rows a join's
	// right side starts from, the indexes of the shared rows they kept.
	sharedSnapshots map[string][]int
}

// stages runs a pipeline over rows; input is the rows it started from (a join's right side
// without a source of its own starts from them).
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
	return fmt.Errorf("%s: stage %s failed on the row from %s: %w", s.Rule.Pos, s.Rule.Label(), sourcesText(row.Sources), err)
}

func sourcesText(sources []record.Source) string {
	var from []string
	for _, src := range sources {
		from = append(from, src.String())
	}
	return strings.Join(from, " and ")
}

// eval runs a program over a row, first binding the toscalar lets it reads.
func (r *runner) eval(p *kqlexpr.Program, row record.Row) (any, error) {
	return r.evalWith(p, func(p *kqlexpr.Program) map[string]any { return r.envOf(p, row, nil) })
}

// envOf is the environment of p over row: the columns p reads, of set when set there (the columns
// an extend computed so far), else of row. The map is the runner's, refilled on each call: expr's
// fast path reads a map, and filling only the few columns a program reads costs less than a map
// per row.
func (r *runner) envOf(p *kqlexpr.Program, row record.Row, set *record.Builder) map[string]any {
	env := r.freshEnv()
	for _, name := range p.Columns {
		if set != nil {
			if v, ok := set.Lookup(name); ok {
				env[name] = v
				continue
			}
		}
		if v, ok := row.Lookup(name); ok {
			env[name] = v
		}
	}
	return env
}

// freshEnv is the runner's environment, emptied for an evaluation.
func (r *runner) freshEnv() map[string]any {
	if r.env == nil {
		r.env = map[string]any{}
	}
	clear(r.env)
	return r.env
}

// evalWith runs a program over the environment env gives it, first binding the toscalar lets it
// reads.
func (r *runner) evalWith(p *kqlexpr.Program, env func(*kqlexpr.Program) map[string]any) (any, error) {
	if len(p.Scalars) > 0 {
		bound, ok := r.bound[p]
		if !ok {
			scalars := make(map[string]any, len(p.Scalars))
			for _, name := range p.Scalars {
				v, err := r.scalar(name)
				if err != nil {
					return nil, err
				}
				scalars[name] = v
			}
			var err error
			if bound, err = p.Bind(scalars); err != nil {
				return nil, fmt.Errorf("binding %s: %w", strings.Join(p.Scalars, ", "), err)
			}
			r.bound[p] = bound
		}
		p = bound
	}
	values := env(p)
	if p.Window {
		return p.RunIn(&r.machine, values, r.window)
	}
	return p.Run(&r.machine, values)
}

// value is an assignment's value over values: a copied column, or its program's result.
// groupKeys are the values of a grouping stage's keys (summarize, make-series) for row.
func (r *runner) groupKeys(s *Stage, keys []assignment, row *record.Row) ([]any, error) {
	out := make([]any, len(keys))
	for k, key := range keys {
		v, err := r.value(key, *row)
		if err != nil {
			return nil, r.fail(s, *row, err)
		}
		out[k] = v
	}
	return out, nil
}

func (r *runner) value(a assignment, row record.Row) (any, error) {
	return r.valueOver(a, row, nil)
}

// valueOver is value over row with the columns of set (when not nil) in place of row's.
func (r *runner) valueOver(a assignment, row record.Row, set *record.Builder) (any, error) {
	if a.copyOf != "" {
		if set != nil {
			if v, ok := set.Lookup(a.copyOf); ok {
				return v, nil
			}
		}
		return row.Get(a.copyOf), nil
	}
	v, err := r.evalWith(a.prog, func(p *kqlexpr.Program) map[string]any { return r.envOf(p, row, set) })
	return normalise(v), err
}

// normalise gives expression results the value types rows hold: expr computes whole numbers as
// int, KQL's are long.
func normalise(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}
