package kqlexpr

import (
	"strings"
	"testing"
)

// Expressions are KQL and nothing else: expr-lang's builtins, methods on values and unknown
// names, at any depth, are compile errors at their place, with a hint when a KQL function is near.
func TestWhatIsNotKQLIsRejectedAtItsPlace(t *testing.T) {
	cases := []struct {
		source       string
		line, column int // column from 0, in runes
		want         string
	}{
		{`int(ResultType) == 0`, 1, 0, "int is not a KQL function (did you mean toint(x)?)"},
		{`tolower(nosuch(AppId)) == "a"`, 1, 8, "nosuch is not a KQL function"},
		{`len(AppId) > 3`, 1, 0, "did you mean strlen(x) for a string, array_length(x) for an array?"},
		{`upper(AppId) == "A"`, 1, 0, "did you mean toupper(x)?"},
		{`lower(AppId) == "a"`, 1, 0, "did you mean tolower(x)?"},
		{`toJSON(DeviceDetail) == ""`, 1, 0, "toJSON is not a KQL function (did you mean tostring(x)?)"},
		{`fromJSON(DeviceDetail) == ""`, 1, 0, "fromJSON is not a KQL function (did you mean parse_json(x)?)"},
		{`tolowr(AppId) == "a"`, 1, 0, "did you mean tolong(...) or tolower(...)?"},
		{"AppId == \"a\" and\n  all([1], {# > 0})", 2, 2, "all is not a KQL function"},
		{`TimeGenerated.Format("2006") == "2026"`, 1, 14, "Format(...) is a method call"},
		{`TimeGenerated.Year > 2000`, 1, 14, "TimeGenerated is a datetime: it has no property or method Year"},
		{`DeviceDetail.isCompliant == true`, 1, 13, "DeviceDetail is a string: it has no property isCompliant; parse its JSON first: todynamic(DeviceDetail).isCompliant"},
		{`AppId == "a" ? true : false`, 1, 13, "write iff(condition, then, else)"},
		{`AppId ?? "x"`, 1, 6, "write coalesce(a, b)"},
		{`AppId + "x" == ""`, 1, 6, "+ does not join strings in KQL; write strcat(a, b)"},
		{`kql_eq(AppId, "a")`, 1, 0, "kql_eq is not a KQL function"},
		{`substring(AppId)`, 1, 0, "substring takes 2 or 3 arguments: substring(source: string, startingIndex: long[, length: long]) string"},
		{`trim("[", AppId) == ""`, 1, 5, "trim: bad regular expression"},
		{`coalesce(AppId) == ""`, 1, 0, "coalesce takes 2 or more arguments: coalesce(value1: any, value2: any, ...) any"},
		{`strcat() == ""`, 1, 0, "strcat takes 1 or more arguments"},
		{`strlen(AppId[1:2]) > 0`, 1, 12, "x[from:to] is not KQL"},
	}
	for _, c := range cases {
		_, err := Compile(c.source, env())
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error %v (%T), want one at %d:%d", c.source, err, err, c.line, c.column)
			continue
		}
		if e.Line != c.line || e.Column != c.column || !strings.Contains(e.Msg, c.want) {
			t.Errorf("%q: got %d:%d %q, want %d:%d %q", c.source, e.Line, e.Column, e.Msg, c.line, c.column, c.want)
		}
	}
}

// A function's aliases are the same function: toreal is todouble, iif is iff.
func TestAliasesCallTheirFunction(t *testing.T) {
	row := map[string]any{"ResultType": "50126"}
	if got := eval(t, `toreal(ResultType)`, row); got != 50126.0 {
		t.Errorf("toreal = %#v", got)
	}
	if got := eval(t, `iif(ResultType == "0", "ok", "failed")`, row); got != "failed" {
		t.Errorf("iif = %#v", got)
	}
	p, err := Compile(`todynamic(DeviceDetail).isCompliant == true`, env())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Calls, ",") != "parse_json" {
		t.Errorf("calls = %v, want the registered name parse_json", p.Calls)
	}
}
