package pipeline

import (
	"runtime"
	"sync"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// splitRows is how many rows a row-wise stage needs before it is shared among the cores.
const splitRows = 8192

// splittable tells whether a stage may run on parts of its rows at once: a where, extend or
// project (each row alone), not explained row by row, whose programs read no toscalar value
// (bound lazily, once, by the runner).
func (r *runner) splittable(s *Stage, rows []record.Row) bool {
	if r.part || r.tracer != nil || len(rows) < splitRows || runtime.GOMAXPROCS(0) < 2 {
		return false
	}
	switch s.Rule.Kind {
	case rule.Where:
		return len(s.where.Scalars) == 0
	case rule.Extend, rule.Project:
		for _, a := range s.assigns {
			if a.prog != nil && len(a.prog.Scalars) > 0 {
				return false
			}
		}
		return true
	}
	return false
}

// split runs a row-wise stage on as many parts of rows as there are cores, each with a runner of
// its own (an expression VM is not shared), and joins the parts' results in order.
func (r *runner) split(s *Stage, rows []record.Row) ([]record.Row, error) {
	parts := runtime.GOMAXPROCS(0)
	size := (len(rows) + parts - 1) / parts
	results := make([][]record.Row, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		lo, hi := p*size, min((p+1)*size, len(rows))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker := &runner{plan: r.plan, tables: r.tables, snapshots: r.snapshots, lets: r.lets, bound: r.bound, part: true}
			results[p], errs[p] = worker.stage(s, rows[lo:hi:hi], nil, &StageStats{})
		}()
	}
	wg.Wait()
	total := 0
	for p := range results {
		if errs[p] != nil {
			return nil, errs[p]
		}
		total += len(results[p])
	}
	out := make([]record.Row, 0, total)
	for _, part := range results {
		out = append(out, part...)
	}
	return out, nil
}
