package aggregate

import (
	"errors"
	"math"
	"sort"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// percentile(x, P): Learn gives "the specified nearest-rank percentile of the population", the
// smallest value that at least P percent of the values are at or below: the value of rank
// ceil(P / 100 * n) of the n values in ascending order (rank 1 for P = 0). Kusto estimates it;
// detect computes it exactly. Unnamed, it is named percentile_X_P (percentile(Duration, 95) is
// percentile_Duration_95, a fractional P's point written _: 99.5 is 99_5). percentiles with one
// percentile is the same; several percentiles make several columns, which a summarize aggregate
// here does not, so write one percentile per P.
// https://learn.microsoft.com/kusto/query/percentiles-aggregation-function
func init() {
	for _, name := range []string{"percentile", "percentiles"} {
		register(&Aggregate{Name: name, Usage: name + "(expression, percentile) takes two arguments (for several percentiles, one percentile(expression, P) each)",
			MinArgs: 2, MaxArgs: 2, Prefix: "percentile_", NameSuffix: true,
			Args:   []ArgKind{Value, Constant},
			Result: rankable, New: newPercentile,
			Learn: "https://learn.microsoft.com/kusto/query/percentiles-aggregation-function",
			Doc:   "the nearest-rank percentile: the value of rank ceil(P / 100 * n) of the n values in ascending order (rank 1 for P = 0), of the expression's type; computed exactly (KQL estimates); null over no values. Unnamed it is percentile_X_P (99.5 as 99_5); " + name + " takes one percentile"})
	}
}

// rankable is the Result of percentile: numbers, datetimes and timespans keep their type.
func rankable(t kql.Type) (kql.Type, error) {
	switch t {
	case kql.Long, kql.Int, kql.Real, kql.Datetime, kql.Timespan, kql.Dynamic:
		return t, nil
	}
	return t, errors.New("ranks numbers, datetimes and timespans")
}

func newPercentile(_ kql.Type, consts ...any) State {
	p := math.NaN()
	if len(consts) > 0 {
		if f, ok := kql.ToReal(consts[0]); ok {
			p = f
		}
	}
	return &percentileState{percent: p}
}

type percentileState struct {
	percent float64
	values  []any
}

func (s *percentileState) Add(v any, _ *record.Row) {
	if _, ok := kql.Compare(v, v); ok {
		s.values = append(s.values, v)
	}
}

func (s *percentileState) Value() any {
	n := len(s.values)
	if n == 0 || math.IsNaN(s.percent) || s.percent < 0 || s.percent > 100 {
		return nil
	}
	sort.SliceStable(s.values, func(i, j int) bool {
		c, _ := kql.Compare(s.values[i], s.values[j])
		return c < 0
	})
	rank := max(int(math.Ceil(s.percent/100*float64(n))), 1)
	return s.values[rank-1]
}

func (s *percentileState) Picked() *record.Row { return nil }
