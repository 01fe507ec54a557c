package kqlexpr

import (
	"reflect"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

func TestDynamicFunctions(t *testing.T) {
	row := map[string]any{"DeviceDetail": `{"isCompliant":true,"tags":["a","b"]}`}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/parse-json-function
		{`parse_json(DeviceDetail).isCompliant`, true},
		{`todynamic(DeviceDetail).nosuch`, nil},
		{`todynamic("not json")`, "not json"},
		// https://learn.microsoft.com/kusto/query/array-length-function
		{`array_length(todynamic(DeviceDetail).tags)`, int64(2)},
		{`array_length(split("a,b,c", ","))`, int64(3)},
		{`array_length(DeviceDetail)`, nil},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

// A program Bind makes (a toscalar's value given) counts its runtime nulls into the program it
// was made from, which is the one a plan holds.
func TestBoundProgramsCountIntoTheirSource(t *testing.T) {
	e := env()
	e.Scalars = map[string]kql.Type{"limit": kql.Long}
	p, err := Compile(`todynamic(DeviceDetail).n + limit`, e)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := p.Bind(map[string]any{"limit": int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	var machine vm.VM
	if v, _ := bound.Run(&machine, map[string]any{"DeviceDetail": `{"n":"x"}`}); v != nil {
		t.Errorf("got %#v", v)
	}
	if v, _ := bound.Run(&machine, map[string]any{"DeviceDetail": `{"n":2}`}); v != int64(3) {
		t.Errorf("got %#v", v)
	}
	if p.RuntimeNulls() != 1 {
		t.Errorf("the source program counted %d", p.RuntimeNulls())
	}
}
