package aggregate

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// maxSizeDefault is make_set's, make_list's and make_bag's MaxSize when a call gives none (also
// the most they take); the deprecated makeset and makelist default to 128.
// https://learn.microsoft.com/kusto/query/make-set-aggregation-function
const (
	maxSizeDefault = 1048576
	maxSizeLegacy  = 128
)

func init() {
	register(
		&Aggregate{Name: "count", Usage: "count() or count(expression) takes at most one argument", MinArgs: 0, MaxArgs: 1, Prefix: "count_",
			Args:   []ArgKind{Value},
			Result: always(kql.Long), New: func(kql.Type, ...any) State { return &countState{} },
			Learn: "https://learn.microsoft.com/kusto/query/count-aggregation-function", Doc: "the number of rows of the group; `count(x)`, the rows where x is not null (Learn: nulls are ignored; a string never is), named `count_x`"},
		&Aggregate{Name: "countif", Usage: "countif(predicate) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "countif_",
			Args:   []ArgKind{Predicate},
			Result: always(kql.Long), New: func(kql.Type, ...any) State { return &countState{} },
			Learn: "https://learn.microsoft.com/kusto/query/countif-aggregation-function", Doc: "the number of rows for which predicate is true (null is not)"},
		&Aggregate{Name: "dcount", Usage: "dcount(expression[, accuracy]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "dcount_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Long), New: func(kql.Type, ...any) State { return &setState{seen: map[string]bool{}, count: true} },
			Learn: "https://learn.microsoft.com/kusto/query/dcount-aggregation-function", Doc: "the number of distinct values, counted exactly whatever the accuracy (KQL's is an estimate)"},
		&Aggregate{Name: "dcountif", Usage: "dcountif(expression, predicate[, accuracy]) takes two or three arguments", MinArgs: 2, MaxArgs: 3, Prefix: "dcountif_",
			Args:   []ArgKind{Value, Predicate, Constant},
			Result: always(kql.Long), New: func(kql.Type, ...any) State { return &setState{seen: map[string]bool{}, count: true} },
			Learn: "https://learn.microsoft.com/kusto/query/dcountif-aggregation-function", Doc: "dcount over the rows for which predicate is true"},
		&Aggregate{Name: "sum", Usage: "sum(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "sum_",
			Result: addable, New: newSum,
			Learn: "https://learn.microsoft.com/kusto/query/sum-aggregation-function", Doc: "the sum; whole numbers give a long, any real a real; 0 over no values"},
		&Aggregate{Name: "sumif", Usage: "sumif(expression, predicate) takes two arguments", MinArgs: 2, MaxArgs: 2, Prefix: "sumif_",
			Args:   []ArgKind{Value, Predicate},
			Result: addable, New: newSum,
			Learn: "https://learn.microsoft.com/kusto/query/sumif-aggregation-function", Doc: "sum over the rows for which predicate is true"},
		&Aggregate{Name: "avg", Usage: "avg(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "avg_",
			Result: averageable, New: func(kql.Type, ...any) State { return &avgState{} },
			Learn: "https://learn.microsoft.com/kusto/query/avg-aggregation-function", Doc: "the mean of the values, a real; null over no values"},
		&Aggregate{Name: "avgif", Usage: "avgif(expression, predicate) takes two arguments", MinArgs: 2, MaxArgs: 2, Prefix: "avgif_",
			Args:   []ArgKind{Value, Predicate},
			Result: averageable, New: func(kql.Type, ...any) State { return &avgState{} },
			Learn: "https://learn.microsoft.com/kusto/query/avgif-aggregation-function", Doc: "avg over the rows for which predicate is true"},
		&Aggregate{Name: "stdev", Usage: "stdev(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "stdev_",
			Result: averageable, New: func(kql.Type, ...any) State { return &spreadState{sample: true, root: true} },
			Learn: "https://learn.microsoft.com/kusto/query/stdev-aggregation-function", Doc: "the sample standard deviation (Bessel's correction: over n - 1), a real; 0 over one value, null over none"},
		&Aggregate{Name: "stdevp", Usage: "stdevp(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "stdevp_",
			Result: averageable, New: func(kql.Type, ...any) State { return &spreadState{root: true} },
			Learn: "https://learn.microsoft.com/kusto/query/stdevp-aggregation-function", Doc: "the population standard deviation (over n), a real; null over no values"},
		&Aggregate{Name: "variance", Usage: "variance(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "variance_",
			Result: averageable, New: func(kql.Type, ...any) State { return &spreadState{sample: true} },
			Learn: "https://learn.microsoft.com/kusto/query/variance-aggregation-function", Doc: "the sample variance (over n - 1), a real; 0 over one value, null over none"},
		&Aggregate{Name: "variancep", Usage: "variancep(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "variancep_",
			Result: averageable, New: func(kql.Type, ...any) State { return &spreadState{} },
			Learn: "https://learn.microsoft.com/kusto/query/variancep-aggregation-function", Doc: "the population variance (over n), a real; null over no values"},
		&Aggregate{Name: "min", Usage: "min(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "min_",
			Result: same, New: func(kql.Type, ...any) State { return &pickState{min: true} },
			Learn: "https://learn.microsoft.com/kusto/query/min-aggregation-function", Doc: "the smallest value; null over no values"},
		&Aggregate{Name: "max", Usage: "max(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "max_",
			Result: same, New: func(kql.Type, ...any) State { return &pickState{} },
			Learn: "https://learn.microsoft.com/kusto/query/max-aggregation-function", Doc: "the largest value; null over no values"},
		&Aggregate{Name: "minif", Usage: "minif(expression, predicate) takes two arguments", MinArgs: 2, MaxArgs: 2, Prefix: "minif_",
			Args:   []ArgKind{Value, Predicate},
			Result: same, New: func(kql.Type, ...any) State { return &pickState{min: true} },
			Learn: "https://learn.microsoft.com/kusto/query/minif-aggregation-function", Doc: "min over the rows for which predicate is true"},
		&Aggregate{Name: "maxif", Usage: "maxif(expression, predicate) takes two arguments", MinArgs: 2, MaxArgs: 2, Prefix: "maxif_",
			Args:   []ArgKind{Value, Predicate},
			Result: same, New: func(kql.Type, ...any) State { return &pickState{} },
			Learn: "https://learn.microsoft.com/kusto/query/maxif-aggregation-function", Doc: "max over the rows for which predicate is true"},
		&Aggregate{Name: "make_set", Usage: "make_set(expression[, maxSize]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "set_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Dynamic), New: newSet(maxSizeDefault),
			Learn: "https://learn.microsoft.com/kusto/query/make-set-aggregation-function", Doc: "the distinct values in the order met, as a dynamic array of at most maxSize (1048576); an array value adds its elements"},
		&Aggregate{Name: "makeset", Usage: "makeset(expression[, maxSize]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "set_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Dynamic), New: newSet(maxSizeLegacy),
			Learn: "https://learn.microsoft.com/kusto/query/make-set-aggregation-function", Doc: "make_set's deprecated name, whose maxSize is 128 unless given"},
		&Aggregate{Name: "make_set_if", Usage: "make_set_if(expression, predicate[, maxSize]) takes two or three arguments", MinArgs: 2, MaxArgs: 3, Prefix: "set_",
			Args:   []ArgKind{Value, Predicate, Constant},
			Result: always(kql.Dynamic), New: newSet(maxSizeDefault),
			Learn: "https://learn.microsoft.com/kusto/query/make-set-if-aggregation-function", Doc: "make_set over the rows for which predicate is true"},
		&Aggregate{Name: "make_list", Usage: "make_list(expression[, maxSize]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "list_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Dynamic), New: newList(maxSizeDefault),
			Learn: "https://learn.microsoft.com/kusto/query/make-list-aggregation-function", Doc: "every value in the order met, as a dynamic array of at most maxSize (1048576); an array value is one element"},
		&Aggregate{Name: "makelist", Usage: "makelist(expression[, maxSize]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "list_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Dynamic), New: newList(maxSizeLegacy),
			Learn: "https://learn.microsoft.com/kusto/query/make-list-aggregation-function", Doc: "make_list's deprecated name, whose maxSize is 128 unless given"},
		&Aggregate{Name: "make_list_if", Usage: "make_list_if(expression, predicate[, maxSize]) takes two or three arguments", MinArgs: 2, MaxArgs: 3, Prefix: "list_",
			Args:   []ArgKind{Value, Predicate, Constant},
			Result: always(kql.Dynamic), New: newList(maxSizeDefault),
			Learn: "https://learn.microsoft.com/kusto/query/make-list-if-aggregation-function", Doc: "make_list over the rows for which predicate is true"},
		&Aggregate{Name: "make_bag", Usage: "make_bag(expression[, maxSize]) takes one or two arguments", MinArgs: 1, MaxArgs: 2, Prefix: "bag_",
			Args:   []ArgKind{Value, Constant},
			Result: always(kql.Dynamic), New: newBag,
			Learn: "https://learn.microsoft.com/kusto/query/make-bag-aggregation-function", Doc: "one property bag of the properties of the values that are bags (others are skipped), at most maxSize of them; a key met again keeps its first value (KQL keeps any one)"},
		&Aggregate{Name: "make_bag_if", Usage: "make_bag_if(expression, predicate[, maxSize]) takes two or three arguments", MinArgs: 2, MaxArgs: 3, Prefix: "bag_",
			Args:   []ArgKind{Value, Predicate, Constant},
			Result: always(kql.Dynamic), New: newBag,
			Learn: "https://learn.microsoft.com/kusto/query/make-bag-if-aggregation-function", Doc: "make_bag over the rows for which predicate is true"},
		&Aggregate{Name: "arg_min", Aliases: []string{"argmin"}, Usage: "arg_min(expression, * or columns) takes the expression to minimise and the columns to return",
			MinArgs: 2, MaxArgs: -1, Picks: true, Result: same, New: func(kql.Type, ...any) State { return &pickState{min: true, rows: true} },
			Learn: "https://learn.microsoft.com/kusto/query/arg-min-aggregation-function", Doc: "the row with the smallest value: the value, then the columns asked for; on a tie the first row met (KQL picks any one)"},
		&Aggregate{Name: "arg_max", Aliases: []string{"argmax"}, Usage: "arg_max(expression, * or columns) takes the expression to maximise and the columns to return",
			MinArgs: 2, MaxArgs: -1, Picks: true, Result: same, New: func(kql.Type, ...any) State { return &pickState{rows: true} },
			Learn: "https://learn.microsoft.com/kusto/query/arg-max-aggregation-function", Doc: "the row with the largest value: the value, then the columns asked for; on a tie the first row met (KQL picks any one)"},
		&Aggregate{Name: "take_any", Usage: "take_any(expression, ...) or take_any(*) takes the columns to return", MinArgs: 1, MaxArgs: -1, Picks: true,
			Result: same, New: func(kql.Type, ...any) State { return &anyState{rows: true} },
			Learn: "https://learn.microsoft.com/kusto/query/take-any-aggregation-function", Doc: "the values of one row of the group, each column keeping its name: the first row met whose first value is neither null nor empty, else the first row (KQL picks any one)"},
		&Aggregate{Name: "any", Usage: "any(expression) takes one argument", MinArgs: 1, MaxArgs: 1, Prefix: "any_",
			Result: same, New: func(kql.Type, ...any) State { return &anyState{} },
			Learn: "https://learn.microsoft.com/kusto/query/take-any-aggregation-function", Doc: "take_any's deprecated name, which names its column `any_X`"},
	)
}

func addable(t kql.Type) (kql.Type, error) {
	switch t {
	case kql.Long, kql.Int, kql.Real, kql.Dynamic, kql.Timespan:
		return t, nil
	}
	return t, errors.New("adds numbers")
}

func averageable(t kql.Type) (kql.Type, error) {
	switch t {
	case kql.Long, kql.Int, kql.Real, kql.Dynamic:
		return kql.Real, nil
	}
	return t, errors.New("averages numbers")
}

func newSum(t kql.Type, _ ...any) State { return &sumState{real: t == kql.Real} }

// maxSize reads the MaxSize constant of make_set, make_list and make_bag: def when the call has
// none, and never more than maxSizeDefault.
func maxSize(def int, consts []any) int {
	if len(consts) == 0 {
		return def
	}
	n, ok := kql.ToLong(consts[0])
	if !ok || n < 0 || n > maxSizeDefault {
		return maxSizeDefault
	}
	return int(n)
}

func newSet(def int) func(kql.Type, ...any) State {
	return func(_ kql.Type, consts ...any) State {
		return &setState{seen: map[string]bool{}, spread: true, max: maxSize(def, consts)}
	}
}

func newList(def int) func(kql.Type, ...any) State {
	return func(_ kql.Type, consts ...any) State { return &setState{max: maxSize(def, consts)} }
}

func newBag(_ kql.Type, consts ...any) State {
	return &bagState{bag: kql.NewObject(), max: maxSize(maxSizeDefault, consts)}
}

// countState is count() and countif(): the rows it is given.
type countState struct{ n int64 }

func (s *countState) Add(any, *record.Row) { s.n++ }
func (s *countState) Value() any           { return s.n }
func (s *countState) Picked() *record.Row  { return nil }

// setState is make_set() (distinct values, in the order first met; an array's elements are added
// one by one, as Learn's "set from array column" shows), make_list() (every value, an array as
// one element), both up to max elements, and dcount() (how many distinct values; KQL estimates
// it, this counts exactly).
type setState struct {
	seen   map[string]bool // nil for make_list
	spread bool
	items  []any
	max    int
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
	if v == nil || !s.count && len(s.items) >= s.max {
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

// bagState is make_bag(): the properties of the property bags it is given, the first value of a
// key kept, up to max properties; values that are not bags are skipped.
type bagState struct {
	bag *kql.Object
	max int
}

func (s *bagState) Add(v any, _ *record.Row) {
	o, ok := v.(*kql.Object)
	if !ok {
		return
	}
	for _, k := range o.Keys() {
		if _, taken := s.bag.Get(k); taken || s.bag.Len() >= s.max {
			continue
		}
		p, _ := o.Get(k)
		s.bag.Set(k, p)
	}
}

func (s *bagState) Value() any          { return s.bag }
func (s *bagState) Picked() *record.Row { return nil }

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

// avgState is avg(): the mean of the numbers, a real; null when there are none.
type avgState struct {
	sum float64
	n   int64
}

func (s *avgState) Add(v any, _ *record.Row) {
	if f, ok := kql.ToReal(v); ok && kql.TypeOf(v) != kql.String {
		s.sum += f
		s.n++
	}
}

func (s *avgState) Value() any {
	if s.n == 0 {
		return nil
	}
	return s.sum / float64(s.n)
}

func (s *avgState) Picked() *record.Row { return nil }

// spreadState is variance() and variancep(), and with root their square roots stdev() and
// stdevp(): the sum of squared distances from the mean (Welford's running form, which does not
// lose precision to large means) over n - 1 for a sample, n for a population.
type spreadState struct {
	sample, root bool
	n            int64
	mean, m2     float64
}

func (s *spreadState) Add(v any, _ *record.Row) {
	f, ok := kql.ToReal(v)
	if !ok || kql.TypeOf(v) == kql.String {
		return
	}
	s.n++
	delta := f - s.mean
	s.mean += delta / float64(s.n)
	s.m2 += delta * (f - s.mean)
}

func (s *spreadState) Value() any {
	if s.n == 0 {
		return nil
	}
	over := float64(s.n)
	if s.sample {
		if s.n == 1 {
			return 0.0
		}
		over--
	}
	v := s.m2 / over
	if s.root {
		return math.Sqrt(v)
	}
	return v
}

func (s *spreadState) Picked() *record.Row { return nil }

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

// anyState is take_any() and any(): KQL picks any row, trying for a value that is neither null
// nor empty; this keeps the first such row met, else the first row.
type anyState struct {
	rows  bool
	value any
	row   *record.Row
	found bool
}

func (s *anyState) Add(v any, row *record.Row) {
	if s.found {
		return
	}
	if s.row == nil {
		s.value, s.row = v, row
	}
	if v != nil && v != "" {
		s.value, s.row, s.found = v, row, true
	}
}

func (s *anyState) Value() any { return s.value }

func (s *anyState) Picked() *record.Row {
	if !s.rows {
		return nil
	}
	return s.row
}
