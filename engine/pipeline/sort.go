package pipeline

import (
	"math"
	"sort"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// sortStage orders the rows by its keys, each asc or desc (KQL's default: desc) with its nulls
// first or last (KQL's default: first when asc, last when desc); NaN goes with the nulls. Rows
// whose keys are equal keep the order they came in: Learn promises no order among them, and
// keeping theirs makes a rule's output repeatable.
// https://learn.microsoft.com/kusto/query/sort-operator
type sortStage struct {
	keys []sortKey
}

type sortKey struct {
	value      assignment
	desc       bool
	nullsFirst bool
}

func planSort(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return &sortStage{keys: c.sortKeys(s, f.cols)}, f
}

func (c *compiler) sortKeys(s *rule.Stage, cols []Column) []sortKey {
	var out []sortKey
	for _, k := range s.Sort {
		a := c.assignment(&rule.Assignment{Expr: k.Expr, Pos: k.Pos}, cols)
		if t := c.typeOf(a, cols); t == kql.Bool {
			c.errs.Add(k.Pos, "%s sorts by numbers, datetimes, timespans or strings; this key is a %s", s.Kind, t)
		}
		out = append(out, sortKey{value: a, desc: k.Desc, nullsFirst: k.NullsFirst})
	}
	return out
}

// ordered sorts rows by keys, stably; it returns them in their new order.
func (r *runner) ordered(s *Stage, keys []sortKey, rows []record.Row) ([]record.Row, error) {
	values := make([][]any, len(rows))
	for i, row := range rows {
		values[i] = make([]any, len(keys))
		for j, k := range keys {
			v, err := r.value(k.value, row)
			if err != nil {
				return nil, r.fail(s, row, err)
			}
			values[i][j] = v
		}
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		for j, k := range keys {
			if c := compareSortValues(values[order[a]][j], values[order[b]][j], k); c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := make([]record.Row, len(rows))
	for i, o := range order {
		out[i] = rows[o]
	}
	return out, nil
}

// compareSortValues orders two key values as the key sorts them: nulls (and NaN) first or last,
// the others ascending or descending.
func compareSortValues(a, b any, k sortKey) int {
	an, bn := isNullOrNaN(a), isNullOrNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		if k.nullsFirst {
			return -1
		}
		return 1
	case bn:
		if k.nullsFirst {
			return 1
		}
		return -1
	}
	c, ok := kql.Compare(a, b)
	if !ok {
		// Values of different types (a dynamic column's): order them by their text, so that the
		// order is at least the same on every run.
		c = compareStrings(kql.ToString(a), kql.ToString(b))
	}
	if k.desc {
		return -c
	}
	return c
}

func isNullOrNaN(v any) bool {
	if f, ok := v.(float64); ok {
		return math.IsNaN(f)
	}
	return v == nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (o *sortStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	return r.ordered(s, o.keys, rows)
}

func (o *sortStage) live(_ *Stage, after columnSet) columnSet {
	for _, k := range o.keys {
		after = after.with(k.value.reads()...)
	}
	return after
}

// follow: a filter after a sort keeps the same rows when it runs before it.
func (o *sortStage) follow(origin map[string]string) (map[string]string, bool) {
	return asIs(origin)
}
func (o *sortStage) filter() *kqlexpr.Program { return nil }
func (o *sortStage) keepsOrder(bool) bool     { return true }
func (o *sortStage) rowWise() bool            { return false }
func (o *sortStage) splittable() bool         { return false }
