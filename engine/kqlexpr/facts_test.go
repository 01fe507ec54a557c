package kqlexpr

import (
	"reflect"
	"testing"
	"time"
)

// An aggregation call is split at its top-level commas by expr's lexer: strings, brackets and
// nested calls hold their commas; a lone * is an argument of its own; each argument keeps its place
// in runes, for errors at its column.
func TestParseCall(t *testing.T) {
	cases := []struct {
		source string
		want   Call
	}{
		{"count()", Call{Name: "count"}},
		{" arg_min(TimeGenerated, *)", Call{Name: "arg_min", Args: []Arg{{"TimeGenerated", 9, 13, false}, {"*", 24, 1, true}}}},
		{`make_set(extract("a,(b)", 1, X))`, Call{Name: "make_set", Args: []Arg{{`extract("a,(b)", 1, X)`, 9, 22, false}}}},
		{`arg_max(T, A, B)`, Call{Name: "arg_max", Args: []Arg{{"T", 8, 1, false}, {"A", 11, 1, false}, {"B", 14, 1, false}}}},
		{`dcount(["é,x"][0])`, Call{Name: "dcount", Args: []Arg{{`["é,x"][0]`, 7, 10, false}}}},
	}
	for _, c := range cases {
		got, err := ParseCall(c.source)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseCall(%q) = %+v, %v; want %+v", c.source, got, err, c.want)
		}
	}
	for source, want := range map[string]string{
		"Quoted: count()": "write an aggregation call such as count(), make_set(Column) or arg_min(Column, *) (to name it, write - Name: call, unquoted)",
		"X":               "write an aggregation call such as count(), make_set(Column) or arg_min(Column, *)",
		"sum(X) + 1":      `unexpected "+ 1" after the call; an aggregate is one call (compute on its result with a later extend)`,
		"sum(X,, Y)":      "an argument is empty",
		"sum(X":           "the call has no closing )",
		"sum(X]":          "unbalanced ]",
	} {
		if _, err := ParseCall(source); err == nil || err.Error() != want {
			t.Errorf("ParseCall(%q): %v, want %q", source, err, want)
		}
	}
}

func TestExpressionFacts(t *testing.T) {
	if col, ok := BinColumn(` bin( TimeGenerated , "1h")`); !ok || col != "TimeGenerated" {
		t.Errorf("bin of a column: %q %v", col, ok)
	}
	for _, source := range []string{`bin(todatetime(X), "1h")`, `bin(T)`, `floor(T, "1h")`, `bin(T, "1h") + 1`, `"bin(T, 1h)"`} {
		if col, ok := BinColumn(source); ok {
			t.Errorf("%s is no bin of a column, got %s", source, col)
		}
	}
	if col, ok := ColumnName(" SessionId "); !ok || col != "SessionId" {
		t.Errorf("a bare column: %q %v", col, ok)
	}
	for _, source := range []string{"A.b", "f(A)", `"A"`, "*", "A + B"} {
		if _, ok := ColumnName(source); ok {
			t.Errorf("%s is no bare column", source)
		}
	}
	if !IsStar(" * ") || IsStar("A * B") || IsStar("'*'") {
		t.Error("IsStar")
	}
	env := Env{Columns: nil, Now: time.Now()}
	for source, want := range map[string]bool{`ago("1h") < now()`: true, `tolower("A") == "a"`: false, `now()`: true} {
		p, err := Compile(source, env)
		if err != nil {
			t.Fatal(err)
		}
		if p.ReadsClock != want {
			t.Errorf("%s reads the clock: %v, want %v", source, p.ReadsClock, want)
		}
	}
}
