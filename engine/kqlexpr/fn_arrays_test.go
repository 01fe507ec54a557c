package kqlexpr

import (
	"testing"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

func TestArrayAndBagFunctionsFollowLearn(t *testing.T) {
	row := map[string]any{"DeviceDetail": `{"browser":"Edge","os":"Windows","tags":["a","b","c","d","e"]}`,
		"AppDisplayName": "Azure CLI", "DurationMs": int64(3),
		"AuthenticationProcessingDetails": `[{"key":"Legacy TLS","value":"False"}]`}
	checkCases(t, row, []functionCase{
		// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic: literals. An object
		// keeps the order its keys are written in.
		{`dynamic(["0", "50125", 1])`, jsonText(`["0","50125",1]`)},
		{`dynamic({"AgentType": "Browser", "AgentName": "Edge"})`, jsonText(`{"AgentType":"Browser","AgentName":"Edge"}`)},
		{`{"b": 1, "a": [1, {"z": 0, "y": AppDisplayName}]}`, jsonText(`{"b":1,"a":[1,{"z":0,"y":"Azure CLI"}]}`)},
		{`dynamic({"AgentType": "Browser"}).AgentType`, "Browser"},
		{`dynamic(["x", "y"])[1]`, "y"},
		{`dynamic(null)`, nil},
		{`dynamic([1, 2])[0] == 1`, true},
		{`"50125" in dynamic(["0", "50125"])`, true},
		// https://learn.microsoft.com/kusto/query/pack-function: bag_pack and its old name pack.
		{`bag_pack("Operation", AppDisplayName, "Count", DurationMs)`, jsonText(`{"Operation":"Azure CLI","Count":3}`)},
		{`pack("z", 1, "a", todynamic(DeviceDetail).nosuch)`, jsonText(`{"z":1,"a":null}`)},
		{`pack(tostring(DurationMs), pack("Operation", "x"))`, jsonText(`{"3":{"Operation":"x"}}`)},
		// https://learn.microsoft.com/kusto/query/pack-array-function
		{`pack_array(AppDisplayName, DurationMs, todynamic(DeviceDetail).nosuch)`, jsonText(`["Azure CLI",3,null]`)},
		// https://learn.microsoft.com/kusto/query/bag-keys-function
		{`bag_keys(todynamic(DeviceDetail))`, jsonText(`["browser","os","tags"]`)},
		{`bag_keys(todynamic(DeviceDetail).tags)`, nil},
		// https://learn.microsoft.com/kusto/query/bag-merge-function: the leftmost bag wins.
		{`bag_merge(dynamic({"a": 1, "c": 3}), dynamic({"a": 2, "b": 2}))`, jsonText(`{"a":1,"c":3,"b":2}`)},
		{`bag_merge(dynamic({"a": 1}), dynamic([1]))`, nil},
		// https://learn.microsoft.com/kusto/query/array-index-of-function
		{`array_index_of(dynamic(["this", "is", "an", "example", "an"]), "an")`, int64(2)},
		{`array_index_of(dynamic(["this", "is", "an", "example", "an"]), "an", 1, -1, 2)`, int64(4)},
		{`array_index_of(dynamic(["this", "is", "an", "example"]), "example", 1, 2)`, int64(-1)},
		{`array_index_of(dynamic(["this", "is", "an", "example", "an"]), "an", -3)`, int64(2)},
		{`array_index_of(dynamic(["a"]), "A")`, int64(-1)},
		{`array_index_of(dynamic([1, 2]), 2)`, int64(1)},
		{`array_index_of(AppDisplayName, "A")`, nil},
		{`array_index_of(dynamic(["a"]), "a", 0, -2)`, nil},
		// https://learn.microsoft.com/kusto/query/array-concat-function
		{`array_concat(dynamic([1, 2]), dynamic(["a"]), todynamic(DeviceDetail).tags)`, jsonText(`[1,2,"a","a","b","c","d","e"]`)},
		{`array_concat(dynamic([1]), AppDisplayName)`, nil},
		// https://learn.microsoft.com/kusto/query/array-slice-function: both ends included.
		{`array_slice(dynamic([1, 2, 3]), 1, 2)`, jsonText(`[2,3]`)},
		{`array_slice(dynamic([1, 2, 3, 4, 5]), 2, -1)`, jsonText(`[3,4,5]`)},
		{`array_slice(dynamic([1, 2, 3, 4, 5]), -3, -2)`, jsonText(`[3,4]`)},
		{`array_slice(dynamic([1, 2, 3]), 1, 10)`, jsonText(`[2,3]`)},
		{`array_slice(dynamic([1, 2, 3]), -10, 0)`, jsonText(`[1]`)},
		{`array_slice(dynamic([1, 2, 3]), 2, 1)`, jsonText(`[]`)},
		{`array_slice(todynamic(DeviceDetail).tags, 1, 2)`, jsonText(`["b","c"]`)},
		{`array_slice(AppDisplayName, 0, 1)`, nil},
		// https://learn.microsoft.com/kusto/query/array-sort-asc-function, array-sort-desc-function
		{`array_sort_asc(dynamic([3, 1, null, 2]))`, jsonText(`[1,2,3,null]`)},
		{`array_sort_asc(dynamic([3, 1, null, 2]), false)`, jsonText(`[null,1,2,3]`)},
		{`array_sort_desc(dynamic(["b", "a", "c"]))`, jsonText(`["c","b","a"]`)},
		{`array_sort_desc(AppDisplayName)`, nil},
		// https://learn.microsoft.com/kusto/query/set-difference-function, set-union, set-intersect,
		// set-has-element: distinct values; 1 and "1" differ.
		{`set_difference(dynamic(["US", "GB", "US", "FR"]), dynamic(["GB"]))`, jsonText(`["US","FR"]`)},
		{`set_difference(dynamic([1, 2, 3]), dynamic([1]), dynamic([3, 4]))`, jsonText(`[2]`)},
		{`set_difference(dynamic([1, "1"]), dynamic(["1"]))`, jsonText(`[1]`)},
		{`set_difference(dynamic(["US"]), dynamic(["US"]))`, jsonText(`[]`)},
		{`set_difference(dynamic(["US"]), AppDisplayName)`, nil},
		{`set_union(dynamic([1, 2, 2]), dynamic([3, 1]), dynamic(["1"]))`, jsonText(`[1,2,3,"1"]`)},
		{`set_intersect(dynamic([1, 2, 3, 3]), dynamic([3, 2, 5]), dynamic([2, 3]))`, jsonText(`[2,3]`)},
		{`set_intersect(dynamic([1]), dynamic([]))`, jsonText(`[]`)},
		{`set_has_element(dynamic(["this", "is", "an", "example"]), "example")`, true},
		{`set_has_element(dynamic(["this"]), "This")`, false},
		{`set_has_element(dynamic([1]), "1")`, false},
		{`set_has_element(AppDisplayName, "A")`, nil},
		// https://learn.microsoft.com/kusto/query/range-function
		{`range(1, 8, 3)`, jsonText(`[1,4,7]`)},
		{`range(1, 3)`, jsonText(`[1,2,3]`)},
		{`range(5, 1, -2)`, jsonText(`[5,3,1]`)},
		{`range(1, 3, -1)`, jsonText(`[]`)},
		{`range(1, 3, 0)`, nil},
		{`range(1.5, 3, 0.5)`, jsonText(`[1.5,2,2.5,3]`)},
		{`array_length(range(todatetime("2026-01-01"), todatetime("2026-01-01T05:00:00Z"), totimespan("2h")))`, int64(3)},
		{`range(todatetime("2026-01-01"), todatetime("2026-01-01T01:00:00Z"))[1] == todatetime("2026-01-01T01:00:00Z")`, true},
		{`range(totimespan("1h"), totimespan("3h"), totimespan("1h"))[2] == totimespan("3h")`, true},
		{`range(AppDisplayName, 3)`, nil},
		// https://learn.microsoft.com/kusto/query/extract-json-function: a JSONPath subset.
		{`extractjson("$.os", DeviceDetail)`, "Windows"},
		{`extractjson("$['browser']", DeviceDetail)`, "Edge"},
		{`extractjson("$.tags[1]", DeviceDetail)`, "b"},
		{`extractjson("$.tags", DeviceDetail)`, `["a","b","c","d","e"]`},
		{`extractjson("$.nosuch.deeper", DeviceDetail)`, ""},
		{`extractjson("$[0].key", AuthenticationProcessingDetails, typeof(string))`, "Legacy TLS"},
		{`extract_json("$[0][\"value\"]", AuthenticationProcessingDetails, typeof(bool))`, false},
		{`extractjson("$.tags[-1]", DeviceDetail, typeof(long))`, nil},
		{`extractjson("$.os", AppDisplayName)`, ""},
		{`tolower(extractjson("$.os", DeviceDetail, typeof(string)))`, "windows"},
		// typeof is a type literal.
		{`typeof(long)`, "long"},
	})
}

// https://learn.microsoft.com/kusto/query/column-ifexists-function: decided from the columns
// the expression's rows have when the rule is compiled.
func TestColumnIfExistsReadsTheColumnOnlyWhenItExists(t *testing.T) {
	e := env()
	e.Columns["LocationDetails_dynamic"] = kql.Dynamic
	cases := []struct {
		source  string
		columns []string
		want    any
	}{
		{`column_ifexists("LocationDetails_dynamic", "")`, []string{"LocationDetails_dynamic"}, "{\"city\":\"Oslo\"}"},
		{`column_ifexists("DeviceDetail_dynamic", "")`, nil, ""},
		{`columnifexists("clientIP_s", "None")`, nil, "None"},
		{`column_ifexists("SrcUsername", AppDisplayName)`, []string{"AppDisplayName"}, "Azure CLI"},
		{`column_ifexists("AppDisplayName", 0)`, []string{"AppDisplayName"}, "Azure CLI"},
		{`tostring(column_ifexists("DurationMs", -1) + 1)`, []string{"DurationMs"}, "8"},
	}
	row := map[string]any{"LocationDetails_dynamic": `{"city":"Oslo"}`, "AppDisplayName": "Azure CLI", "DurationMs": int64(7)}
	for _, c := range cases {
		p, err := Compile(c.source, e)
		if err != nil {
			t.Fatalf("%s: %v", c.source, err)
		}
		if !equalStrings(p.Columns, c.columns) {
			t.Errorf("%s reads columns %v, want %v", c.source, p.Columns, c.columns)
		}
		var machine vm.VM
		if got, _ := p.Run(&machine, row); got != c.want {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The datetime range of the corpus' sign-in burst rule: bins from a window's start to its end.
func TestRangeOfDatetimes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := eval(t, `range(todatetime("2026-01-01"), todatetime("2026-01-01T00:20:00Z"), totimespan("10m"))`, nil)
	want := []any{start, start.Add(10 * time.Minute), start.Add(20 * time.Minute)}
	arr, ok := got.([]any)
	if !ok || len(arr) != len(want) {
		t.Fatalf("got %#v", got)
	}
	for i := range want {
		if !arr[i].(time.Time).Equal(want[i].(time.Time)) {
			t.Errorf("element %d = %v, want %v", i, arr[i], want[i])
		}
	}
}

// A constant dynamic([...]) list on the right of in or in_ci is hashed once, as a bare [...] is.
func TestInADynamicLiteralIsAHashedSet(t *testing.T) {
	for _, source := range []string{`AppId in dynamic(["a", "b"])`, `in_ci(AppId, dynamic(["A", "b"]))`} {
		p, err := Compile(source, env())
		if err != nil {
			t.Fatal(err)
		}
		if !hasSetConstant(p.prog.Node()) {
			t.Errorf("%s: the list is not a hashed set", source)
		}
		var machine vm.VM
		if got, _ := p.Run(&machine, map[string]any{"AppId": "a"}); got != true {
			t.Errorf("%s = %v for a", source, got)
		}
	}
}

func hasSetConstant(n ast.Node) bool {
	found := false
	ast.Walk(&n, visitorFunc(func(node *ast.Node) {
		if c, ok := (*node).(*ast.ConstantNode); ok {
			if _, ok := c.Value.(*kql.Set); ok {
				found = true
			}
		}
	}))
	return found
}

type visitorFunc func(*ast.Node)

func (f visitorFunc) Visit(n *ast.Node) { f(n) }
