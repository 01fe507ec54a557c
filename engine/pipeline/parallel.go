package pipeline

import (
	"runtime"
	"slices"
	"sync"

	"github.com/signin-detect/detect/engine/record"
)

// splitRows is how many rows a row-wise stage needs before it is shared among the cores (a
// variable, for tests to share small inputs).
var splitRows = 8192

// parts is how many parts n rows are shared among: as many as there are cores, or one when the
// rows are few, the run is explained row by row (in order), or r already runs a part.
func (r *runner) parts(n int) int {
	if r.part || r.tracer != nil || n < splitRows {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// inParts runs work over the rows [0, n) cut into parts ranges at once, each with a runner of its
// own (an expression VM is not shared); with one part, r runs it. It returns the first part's
// error, in order.
func (r *runner) inParts(n, parts int, work func(w *runner, part, lo, hi int) error) error {
	if parts < 2 {
		return work(r, 0, 0, n)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p, part := range cut(n, parts) {
		lo, hi := part.lo, part.hi
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &runner{plan: r.plan, tables: r.tables, snapshots: r.snapshots, lets: r.lets, bound: r.bound, part: true}
			errs[p] = work(w, p, lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// rowRange is the rows [lo, hi).
type rowRange struct{ lo, hi int }

// cut is how inParts cuts n rows into at most parts ranges, in order, none empty.
func cut(n, parts int) []rowRange {
	size := (n + parts - 1) / parts
	var out []rowRange
	for lo := 0; lo < n; lo += size {
		out = append(out, rowRange{lo, min(lo+size, n)})
	}
	return out
}

// split runs a row-wise stage on parts of rows at once, and joins the parts' results in order.
func (r *runner) split(s *Stage, rows []record.Row) ([]record.Row, error) {
	parts := r.parts(len(rows))
	results := make([][]record.Row, parts)
	err := r.inParts(len(rows), parts, func(w *runner, p, lo, hi int) error {
		var err error
		results[p], err = w.stage(s, rows[lo:hi:hi], nil, &StageStats{})
		return err
	})
	if err != nil {
		return nil, err
	}
	asRead := true
	for p, part := range cut(len(rows), parts) {
		asRead = asRead && sameRows(results[p], rows[part.lo:part.hi])
	}
	if asRead {
		return rows, nil // each part gave its rows as they were (a where that kept them all)
	}
	return slices.Concat(results...), nil
}

// sameRows tells whether a and b are the same rows of the same slice.
func sameRows(a, b []record.Row) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
