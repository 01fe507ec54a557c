package aggregate

import (
	"flag"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/internal/readmetable"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

var update = flag.Bool("update", false, "rewrite the README's aggregate table from the registry")

func run(t *testing.T, name string, argType kql.Type, values ...any) (any, *record.Row) {
	t.Helper()
	a, ok := Lookup(name)
	if !ok {
		t.Fatalf("no aggregate %s", name)
	}
	s := a.New(argType)
	for i, v := range values {
		row := record.NewRow(map[string]any{"i": i}, nil)
		s.Add(v, &row)
	}
	return s.Value(), s.Picked()
}

// https://learn.microsoft.com/kusto/query/make-set-aggregation-function ("set from array column"):
// an array value adds its elements to the set; make_list keeps an array as one element
// (https://learn.microsoft.com/kusto/query/make-list-aggregation-function).
func TestMakeSetSpreadsArraysAndMakeListKeepsThem(t *testing.T) {
	policies := []any{[]any{"MFA", "Block legacy"}, []any{"MFA"}, nil, "Device"}
	if got, _ := run(t, "make_set", kql.Dynamic, policies...); !reflect.DeepEqual(got, []any{"MFA", "Block legacy", "Device"}) {
		t.Errorf("make_set = %#v", got)
	}
	if got, _ := run(t, "make_list", kql.Dynamic, policies...); !reflect.DeepEqual(got, []any{[]any{"MFA", "Block legacy"}, []any{"MFA"}, "Device"}) {
		t.Errorf("make_list = %#v", got)
	}
}

// Nulls are ignored by every aggregate; over no values count, dcount and sum give 0, make_set and
// make_list [], the rest null.
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func TestAggregatesIgnoreNulls(t *testing.T) {
	cases := []struct {
		name   string
		typ    kql.Type
		values []any
		want   any
	}{
		{"count", kql.Dynamic, []any{nil, nil, nil}, int64(3)},
		{"dcount", kql.String, []any{"a", nil, "b", "a"}, int64(2)},
		{"dcount", kql.Dynamic, []any{int64(1), "1"}, int64(2)},
		{"sum", kql.Long, []any{int64(2), nil, int64(3)}, int64(5)},
		{"sum", kql.Real, []any{int64(2)}, 2.0},
		{"sum", kql.Long, nil, int64(0)},
		{"sum", kql.Timespan, []any{time.Minute, time.Second}, time.Minute + time.Second},
		{"min", kql.Long, []any{nil, int64(3), int64(2)}, int64(2)},
		{"max", kql.Long, []any{int64(3), nil, int64(7)}, int64(7)},
		{"max", kql.Long, nil, nil},
		{"make_set", kql.String, nil, []any{}},
		{"make_list", kql.String, []any{"a", nil, "a"}, []any{"a", "a"}},
	}
	for _, c := range cases {
		if got, _ := run(t, c.name, c.typ, c.values...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%v) = %#v, want %#v", c.name, c.values, got, c.want)
		}
	}
}

// arg_min and arg_max pick the row of the smallest / largest value, the first on a tie, and a row
// with a null value only when every value is null.
// https://learn.microsoft.com/kusto/query/arg-min-aggregation-function
// https://learn.microsoft.com/kusto/query/arg-max-aggregation-function
func TestArgMinArgMaxPickARow(t *testing.T) {
	v, row := run(t, "arg_min", kql.Long, nil, int64(5), int64(2), int64(2))
	if v != int64(2) || row.Get("i") != 2 {
		t.Errorf("arg_min = %v from row %v", v, row.Map())
	}
	v, row = run(t, "arg_max", kql.Long, int64(5), int64(9), nil)
	if v != int64(9) || row.Get("i") != 1 {
		t.Errorf("arg_max = %v from row %v", v, row.Map())
	}
	v, row = run(t, "arg_max", kql.Long, nil, nil)
	if v != nil || row.Get("i") != 0 {
		t.Errorf("arg_max of nulls = %v from row %v", v, row.Map())
	}
}

// runWith is run with the values of the aggregate's Constant arguments.
func runWith(t *testing.T, name string, consts []any, values ...any) any {
	t.Helper()
	a, ok := Lookup(name)
	if !ok {
		t.Fatalf("no aggregate %s", name)
	}
	s := a.New(kql.Dynamic, consts...)
	for i, v := range values {
		row := record.NewRow(map[string]any{"i": i}, nil)
		s.Add(v, &row)
	}
	return s.Value()
}

// Each aggregate's state over the values summarize gives it (summarize leaves out nulls and the
// rows whose predicate is not true: engine/pipeline's aggregates_test.go); maxSize bounds the
// arrays and the bag, 1048576 by default and 128 for the deprecated makeset and makelist.
// https://learn.microsoft.com/kusto/query/make-set-aggregation-function ("the deprecated version
// has a default maxSize limit of 128"), make-list-aggregation-function, make-bag-aggregation-function,
// countif-aggregation-function, dcountif-aggregation-function, sumif-aggregation-function,
// avg-aggregation-function, avgif-aggregation-function, minif-aggregation-function,
// maxif-aggregation-function, take-any-aggregation-function
func TestAggregateStates(t *testing.T) {
	many := make([]any, 200)
	for i := range many {
		many[i] = int64(i)
	}
	bag := func(kv ...any) *kql.Object {
		o := kql.NewObject()
		for i := 0; i < len(kv); i += 2 {
			o.Set(kv[i].(string), kv[i+1])
		}
		return o
	}
	cases := []struct {
		name   string
		consts []any
		values []any
		want   any
	}{
		{"countif", nil, []any{nil, nil}, int64(2)},
		{"dcountif", nil, []any{"a", "b", "a"}, int64(2)},
		{"dcount", []any{int64(4)}, []any{"a", "A"}, int64(2)},
		{"sumif", nil, []any{int64(2), 1.5}, 3.5},
		{"avg", nil, []any{int64(1), int64(2)}, 1.5},
		{"avgif", nil, nil, nil},
		{"minif", nil, []any{int64(3), int64(1)}, int64(1)},
		{"maxif", nil, []any{int64(3), int64(1)}, int64(3)},
		{"make_set", []any{int64(2)}, []any{"a", "a", "b", "c"}, []any{"a", "b"}},
		{"make_set_if", []any{1}, []any{[]any{"x", "y"}}, []any{"x"}},
		{"make_list", []any{int64(3)}, []any{"a", "a", "b", "c"}, []any{"a", "a", "b"}},
		{"make_list_if", nil, []any{"a"}, []any{"a"}},
		{"makeset", nil, many, many[:128]},
		{"makelist", nil, many, many[:128]},
		{"makeset", []any{int64(150)}, many, many[:150]},
		{"make_bag", nil, []any{bag("a", int64(1)), "not a bag", bag("b", int64(2), "a", int64(3))}, bag("a", int64(1), "b", int64(2))},
		{"make_bag_if", []any{int64(1)}, []any{bag("a", int64(1), "b", int64(2))}, bag("a", int64(1))},
		{"any", nil, []any{"", "x", "y"}, "x"},
		{"take_any", nil, []any{nil, "", "z"}, "z"},
		{"take_any", nil, []any{nil, ""}, nil},
	}
	for _, c := range cases {
		if got := runWith(t, c.name, c.consts, c.values...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%v) with %v = %#v, want %#v", c.name, c.values, c.consts, got, c.want)
		}
	}
	// https://learn.microsoft.com/kusto/query/stdev-aggregation-function, stdevp-aggregation-function,
	// variance-aggregation-function, variancep-aggregation-function: Learn's example, 1 to 5.
	oneToFive := []any{int64(1), int64(2), int64(3), int64(4), int64(5)}
	for name, want := range map[string]float64{"stdev": 1.58113883008419, "stdevp": 1.4142135623731, "variance": 2.5, "variancep": 2} {
		got, _ := run(t, name, kql.Long, oneToFive...)
		if f, ok := got.(float64); !ok || math.Abs(f-want) > 1e-12 {
			t.Errorf("%s(1..5) = %v, want %v", name, got, want)
		}
	}
	if got, _ := run(t, "stdev", kql.Long, int64(7)); got != 0.0 {
		t.Errorf("stdev of one value = %v", got)
	}
	if got, _ := run(t, "variancep", kql.Long); got != nil {
		t.Errorf("variancep of none = %v", got)
	}
	// The deprecated argmin and argmax are arg_min and arg_max.
	if v, row := run(t, "argmin", kql.Long, int64(5), int64(2)); v != int64(2) || row.Get("i") != 1 {
		t.Errorf("argmin = %v from row %v", v, row.Map())
	}
	if v, row := run(t, "argmax", kql.Long, int64(5), int64(2)); v != int64(5) || row.Get("i") != 0 {
		t.Errorf("argmax = %v from row %v", v, row.Map())
	}
}

// Every aggregate has its facts, a test that runs it (by name, in this file) and its row in the
// README, which is the registry's table exactly (go test ./engine/aggregate -update rewrites it).
// percentile is the nearest-rank percentile (Learn, percentiles-aggregation-function: "the
// specified nearest-rank percentile of the population"): of n values in ascending order, the one
// of rank ceil(P / 100 * n), rank 1 for P = 0. Of 15, 20, 35, 40, 50: P 40 is rank 2 exactly (20),
// a tick more is rank 3 (35); P 100 the largest. Nulls are ignored; the value keeps its type.
// https://learn.microsoft.com/kusto/query/percentiles-aggregation-function
func TestPercentileIsTheNearestRank(t *testing.T) {
	percentile := func(name string, typ kql.Type, p any, values ...any) any {
		a, _ := Lookup(name)
		s := a.New(typ, p)
		for _, v := range values {
			s.Add(v, nil)
		}
		return s.Value()
	}
	values := []any{int64(50), int64(15), nil, int64(35), int64(20), int64(40)}
	for _, c := range []struct {
		p    any
		want any
	}{{int64(0), int64(15)}, {int64(30), int64(20)}, {int64(40), int64(20)}, {40.1, int64(35)}, {int64(50), int64(35)}, {99.9, int64(50)}, {int64(100), int64(50)}} {
		if got := percentile("percentile", kql.Long, c.p, values...); got != c.want {
			t.Errorf("percentile(x, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile("percentiles", kql.Timespan, int64(50), time.Minute, time.Second, time.Hour); got != time.Minute {
		t.Errorf("percentiles(timespans, 50) = %v, want 1m", got)
	}
	if got := percentile("percentile", kql.Real, int64(50)); got != nil {
		t.Errorf("percentile over no values = %v, want null", got)
	}
	if got := percentile("percentile", kql.Real, int64(101), 1.0); got != nil {
		t.Errorf("percentile 101 = %v, want null", got)
	}
}

func TestEveryAggregateHasItsDocsAndTests(t *testing.T) {
	self, err := os.ReadFile("aggregate_test.go")
	if err != nil {
		t.Fatal(err)
	}
	tests := strings.SplitN(string(self), "func TestEveryAggregateHasItsDocsAndTests", 2)[0]
	for _, a := range All() {
		if !strings.HasPrefix(a.Learn, "https://learn.microsoft.com/kusto/query/") || strings.TrimSpace(a.Doc) == "" {
			t.Errorf("%s: needs a Learn link and a doc", a.Name)
		}
		for _, name := range append([]string{a.Name}, a.Aliases...) {
			if !strings.Contains(tests, `"`+name+`"`) {
				t.Errorf("%s: no test above runs %q", a.Name, name)
			}
		}
	}
	const readme = "../../README.md"
	readmetable.Check(t, readme, "<!-- aggregates: generated from engine/aggregate's registry -->\n",
		"<!-- end of aggregates -->", MarkdownTable(), *update, "run go test ./engine/aggregate -update")
}
