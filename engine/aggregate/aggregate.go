// Package aggregate is the registry of KQL's aggregation functions, as summarize uses them: each
// is one record (name, arity, result type, KQL's default column name, Learn page, doc) with its
// accumulator. Nulls are ignored by every aggregate (arg_min and arg_max pick a row whose value
// is null only when all are).
// https://learn.microsoft.com/kusto/query/aggregation-functions
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
package aggregate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// Aggregate is one aggregation function.
type Aggregate struct {
	Name    string
	Aliases []string
	// Usage is how a call is written, for errors and the documentation.
	Usage string
	// MinArgs and MaxArgs bound the number of arguments; MaxArgs -1 is any number (the columns
	// arg_min returns).
	MinArgs, MaxArgs int
	// Prefix is KQL's name for the aggregate written without one: Prefix followed by the name of
	// the column aggregated (dcount_UserPrincipalName), or Prefix alone without an argument
	// (count_). arg_min and arg_max have none: their value keeps the column's name.
	Prefix string
	// NameSuffix is set when KQL's name for the aggregate written without one also ends with its
	// Constant arguments: percentile(Duration, 95) is percentile_Duration_95 (a point written _).
	NameSuffix bool
	// Picks is set for the aggregates that pick a row (arg_min, arg_max, take_any): their
	// Returned arguments are the columns returned from it (or *).
	Picks bool
	// Args says how summarize reads each argument, by position; the last kind repeats for the
	// arguments past it. Nil is one Value (the aggregated value) followed by Returned columns.
	Args []ArgKind
	// Result is the result's type given the type of the aggregated value (its first argument); an
	// error saying what the aggregate takes ("adds numbers") when that type cannot be aggregated.
	Result func(arg kql.Type) (kql.Type, error)
	// New makes the accumulator of one group, given the type of the aggregated value and the
	// values of its Constant arguments in order (those a call leaves out are not there).
	New        func(arg kql.Type, consts ...any) State
	Learn, Doc string
}

// ArgKind is how summarize reads one argument of an aggregate.
type ArgKind int

const (
	// Value is the expression aggregated, evaluated on each row (at most one per aggregate).
	Value ArgKind = iota
	// Returned is a column (or *) returned from the row the aggregate picks.
	Returned
	// Predicate is a bool expression evaluated on each row: the row is aggregated only where it
	// is true, as the _if forms do (countif, dcountif, make_set_if, ...).
	Predicate
	// Constant is a value fixed for the whole query, a literal or a param: make_set's MaxSize,
	// dcount's accuracy.
	Constant
)

// ArgKind is how summarize reads argument i of a call of a.
func (a *Aggregate) ArgKind(i int) ArgKind {
	if len(a.Args) == 0 {
		if i == 0 {
			return Value
		}
		return Returned
	}
	if i >= len(a.Args) {
		return a.Args[len(a.Args)-1]
	}
	return a.Args[i]
}

// State accumulates one aggregate over the rows of one group.
type State interface {
	// Add takes one row's value and the row. Summarize leaves out the rows whose value is null
	// (KQL's aggregates ignore nulls), except for aggregates that pick a row, and the rows whose
	// Predicate is not true; an aggregate without a Value argument (count()) gets nil for each row.
	Add(v any, row *record.Row)
	// Value is the aggregate's value over the rows added.
	Value() any
	// Picked is the row an aggregate that picks one (arg_min, arg_max) picked, nil otherwise.
	Picked() *record.Row
}

var (
	registry []*Aggregate
	byName   = map[string]*Aggregate{}
)

func register(aggs ...*Aggregate) {
	for _, a := range aggs {
		if a.New == nil || a.Result == nil || a.Learn == "" || a.Doc == "" || a.Usage == "" {
			panic("aggregate: " + a.Name + " needs New, Result, Usage, Learn and Doc")
		}
		for _, name := range append([]string{a.Name}, a.Aliases...) {
			if _, taken := byName[name]; taken {
				panic("aggregate: " + name + " registered twice")
			}
			byName[name] = a
		}
		registry = append(registry, a)
	}
}

// Lookup finds an aggregate by its name or an alias.
func Lookup(name string) (*Aggregate, bool) {
	a, ok := byName[name]
	return a, ok
}

// All lists the registered aggregates, by name.
func All() []*Aggregate {
	out := append([]*Aggregate(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the registered aggregates' names, for "unknown aggregation" errors.
func Names() []string {
	var out []string
	for _, a := range All() {
		out = append(out, a.Name)
	}
	return out
}

// CheckArity tells whether n arguments suit a, and if not, why.
func (a *Aggregate) CheckArity(n int) error {
	if n < a.MinArgs || a.MaxArgs >= 0 && n > a.MaxArgs {
		return fmt.Errorf("%s", a.Usage)
	}
	return nil
}

// same is the Result of aggregates whose value has the type of what they aggregate.
func same(t kql.Type) (kql.Type, error) { return t, nil }

func always(t kql.Type) func(kql.Type) (kql.Type, error) {
	return func(kql.Type) (kql.Type, error) { return t, nil }
}

// MarkdownTable is the README's table of aggregates, one row per registered aggregate. A test
// keeps the README's copy equal to it.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| aggregate | unnamed, it is named | semantics (Microsoft Learn) |\n| --- | --- | --- |\n")
	for _, a := range All() {
		name := "`" + a.Prefix + "X`"
		if a.NameSuffix {
			name = "`" + a.Prefix + "X_P`"
		}
		switch {
		case a.MaxArgs == 0 || a.ArgKind(0) == Predicate:
			name = "`" + a.Prefix + "`"
		case a.MinArgs == 0:
			name = "`" + a.Prefix + "`, or `" + a.Prefix + "X` of X"
		case a.Picks && a.Prefix == "":
			name = "`X` (the column)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s. [%s](%s) |\n", strings.SplitN(a.Usage, " takes", 2)[0], name, a.Doc, a.Name, a.Learn)
	}
	return b.String()
}
