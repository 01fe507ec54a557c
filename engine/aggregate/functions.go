package aggregate

import (
	"errors"
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

func init() {
	register(
		&Aggregate{Name: "count", Usage: "count() takes no argument", MinArgs: 0, MaxArgs: 0, Prefix: "count_",
			Result: always(kql.Long), New: func(kql.Type) State { return &countState{} },
			Learn: "https://learn.microsoft.com/kusto/query/count-aggregation-function", Doc: "the number of rows of the group"},
		&Aggregate{Name: "dcount", Usage: "dcount(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "dcount_",
			Result: always(kql.Long), New: func(kql.Type) State { return &setState{seen: map[string]bool{}, count: true} },
			Learn: "https://learn.microsoft.com/kusto/query/dcount-aggregation-function", Doc: "the number of distinct values (exact; KQL's is an estimate)"},
		&Aggregate{Name: "sum", Usage: "sum(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "sum_",
			Result: func(t kql.Type) (kql.Type, error) {
				switch t {
				case kql.Long, kql.Int, kql.Real, kql.Dynamic, kql.Timespan:
					return t, nil
				}
				return t, errors.New("adds numbers")
			},
			New:   func(t kql.Type) State { return &sumState{real: t == kql.Real} },
			Learn: "https://learn.microsoft.com/kusto/query/sum-aggregation-function", Doc: "the sum; whole numbers give a long, any real a real; 0 over no values"},
		&Aggregate{Name: "min", Usage: "min(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "min_",
			Result: same, New: func(kql.Type) State { return &pickState{min: true} },
			Learn: "https://learn.microsoft.com/kusto/query/min-aggregation-function", Doc: "the smallest value; null over no values"},
		&Aggregate{Name: "max", Usage: "max(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "max_",
			Result: same, New: func(kql.Type) State { return &pickState{} },
			Learn: "https://learn.microsoft.com/kusto/query/max-aggregation-function", Doc: "the largest value; null over no values"},
		&Aggregate{Name: "make_set", Usage: "make_set(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "set_",
			Result: always(kql.Dynamic), New: func(kql.Type) State { return &setState{seen: map[string]bool{}, spread: true} },
			Learn: "https://learn.microsoft.com/kusto/query/make-set-aggregation-function", Doc: "the distinct values in the order met, as a dynamic array; an array value adds its elements"},
		&Aggregate{Name: "make_list", Usage: "make_list(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "list_",
			Result: always(kql.Dynamic), New: func(kql.Type) State { return &setState{} },
			Learn: "https://learn.microsoft.com/kusto/query/make-list-aggregation-function", Doc: "every value in the order met, as a dynamic array; an array value is one element"},
		&Aggregate{Name: "arg_min", Usage: "arg_min(expression, * or columns) takes the expression to minimise and the columns to return",
			MinArgs: 2, MaxArgs: -1, Picks: true, Result: same, New: func(kql.Type) State { return &pickState{min: true, rows: true} },
			Learn: "https://learn.microsoft.com/kusto/query/arg-min-aggregation-function", Doc: "the row with the smallest value: the value, then the columns asked for; on a tie the first row met"},
		&Aggregate{Name: "arg_max", Usage: "arg_max(expression, * or columns) takes the expression to maximise and the columns to return",
			MinArgs: 2, MaxArgs: -1, Picks: true, Result: same, New: func(kql.Type) State { return &pickState{rows: true} },
			Learn: "https://learn.microsoft.com/kusto/query/arg-max-aggregation-function", Doc: "the row with the largest value: the value, then the columns asked for; on a tie the first row met"},
	)
}

// countState is count(): the group's rows.
type countState struct{ n int64 }

func (s *countState) Add(any, *record.Row) { s.n++ }
func (s *countState) Value() any           { return s.n }
func (s *countState) Picked() *record.Row  { return nil }

// setState is make_set() (distinct values, in the order first met; an array's elements are added
// one by one, as Learn's "set from array column" shows), make_list() (every value, an array as
// one element) and dcount() (how many distinct values; KQL estimates it, this counts exactly).
type setState struct {
	seen   map[string]bool // nil for make_list
	spread bool
	items  []any
	count  bool
	n      int64
}

func (s *setState) Add(v any, _ *record.Row) {
	if arr, ok := v.([]any); ok && s.spread {
		for _, e := range arr {
			s.add(e)
		}
		return
	}
	s.add(v)
}

func (s *setState) add(v any) {
	if v == nil {
		return
	}
	if s.seen != nil {
		key := distinctKey(v)
		if s.seen[key] {
			return
		}
		s.seen[key] = true
	}
	if s.count {
		s.n++
		return
	}
	s.items = append(s.items, v)
}

func (s *setState) Value() any {
	if s.count {
		return s.n
	}
	if s.items == nil {
		return []any{}
	}
	return s.items
}

func (s *setState) Picked() *record.Row { return nil }

// distinctKey tells values apart for make_set and dcount: by type, then by their text.
func distinctKey(v any) string {
	return fmt.Sprintf("%d:%s", kql.TypeOf(v), kql.ToString(v))
}

// sumState is sum(): whole numbers add up as a long, any real makes the sum a real, timespans add
// as a timespan; 0 when there is nothing to add.
type sumState struct {
	i        int64
	f        float64
	real     bool
	timespan bool
}

func (s *sumState) Add(v any, _ *record.Row) {
	switch x := v.(type) {
	case int64:
		s.i += x
		s.f += float64(x)
	case int:
		s.i += int64(x)
		s.f += float64(x)
	case float64:
		s.f += x
		s.real = true
	case time.Duration:
		s.i += int64(x)
		s.timespan = true
	}
}

func (s *sumState) Value() any {
	switch {
	case s.timespan:
		return time.Duration(s.i)
	case s.real:
		return s.f
	}
	return s.i
}

func (s *sumState) Picked() *record.Row { return nil }

// pickState is min() and max() (the value; null when there is none), and arg_min() and
// arg_max() (the value and the row it comes from). On a tie the first row met is kept: KQL
// returns any one of them.
type pickState struct {
	min  bool
	rows bool
	best any
	row  *record.Row
}

func (s *pickState) Add(v any, row *record.Row) {
	if v == nil {
		// arg_min and arg_max pick a row whose value is null only when every value is null.
		if s.row == nil {
			s.row = row
		}
		return
	}
	if s.best == nil {
		s.best, s.row = v, row
		return
	}
	if c, ok := kql.Compare(v, s.best); ok && (s.min && c < 0 || !s.min && c > 0) {
		s.best, s.row = v, row
	}
}

func (s *pickState) Value() any { return s.best }

func (s *pickState) Picked() *record.Row {
	if !s.rows {
		return nil
	}
	return s.row
}
