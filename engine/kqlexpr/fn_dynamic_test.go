package kqlexpr

import (
	"reflect"
	"testing"
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
