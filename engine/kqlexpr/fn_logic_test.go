package kqlexpr

import (
	"reflect"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/kql"
)

func TestChoicesAndNullTests(t *testing.T) {
	row := map[string]any{"AppId": "", "ResultType": "0", "DurationMs": nil}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/iff-function: a null condition takes else.
		{`iff(ResultType == "0", "ok", "failed")`, "ok"},
		{`iff(tobool(AppId), 1, 2)`, int64(2)},
		// https://learn.microsoft.com/kusto/query/coalesce-function: the first not null, nor "".
		{`coalesce(DurationMs, 5)`, int64(5)},
		{`coalesce(AppId, "none")`, "none"},
		{`coalesce(DurationMs, tolong(AppId))`, nil},
		{`isempty(AppId)`, true},
		{`isnotempty(ResultType)`, true},
		{`isnull(DurationMs)`, true},
		{`isnotnull(DurationMs)`, false},
		{`notnull(DurationMs)`, false},
		{`notempty(AppId)`, false},
		{`in_ci("A", ["a", "b"])`, true},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
	// The type of iff and coalesce is known before running when their branches agree.
	for source, want := range map[string]kql.Type{`iff(AppId == "", 1, 2)`: kql.Long, `coalesce(AppId, "x")`: kql.String,
		`iff(AppId == "", 1, "x")`: kql.Dynamic} {
		p, err := Compile(source, env())
		if err != nil {
			t.Fatal(err)
		}
		if p.Type != want {
			t.Errorf("%s: type %s, want %s", source, p.Type, want)
		}
	}
}

// https://learn.microsoft.com/kusto/query/case-function: the value of the first predicate that is
// true (a null predicate is not), else the last argument; an even number of arguments is an error.
// https://learn.microsoft.com/kusto/query/not-function: KQL's not(x) is expr's not operator.
func TestCaseAndNot(t *testing.T) {
	row := map[string]any{"AppId": "", "ResultType": "50126", "DurationMs": nil}
	cases := []struct {
		source string
		want   any
	}{
		{`case(ResultType == "0", "success", ResultType == "50126", "bad password", "other")`, "bad password"},
		{`case(ResultType == "0", "success", "other")`, "other"},
		{`case(tobool(AppId), 1, DurationMs > 5, 2, 3)`, int64(3)},
		{`not(isempty(AppId))`, false},
		{`not(ResultType == "0")`, true},
		{`not (ResultType in ["0", "50140"])`, true},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
	if p, err := Compile(`case(ResultType == "0", 1, 2)`, env()); err != nil || p.Type != kql.Long {
		t.Errorf("case of longs: %v, %v", p, err)
	}
	if _, err := Compile(`case(ResultType == "0", 1, ResultType == "1", 2)`, env()); err == nil || !strings.Contains(err.Error(), "an odd number of arguments, not 4") {
		t.Errorf("case without else: %v", err)
	}
}
