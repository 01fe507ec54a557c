package kqlexpr

import (
	"reflect"
	"testing"
	"time"
)

// Conversions give null for what does not convert and for values out of range, never an error
// and never a wrapped number.
func TestConversionsGiveNullForWhatDoesNotConvert(t *testing.T) {
	row := map[string]any{"AppId": "Mozilla/5.0", "ResultType": "50126"}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/tolong-function
		{`tolong(ResultType)`, int64(50126)},
		{`tolong(AppId)`, nil},
		{`tolong("1e20")`, nil},
		{`tolong(1e20)`, nil},
		{`tolong(-1.9)`, int64(-1)},
		{`tolong(true)`, int64(1)},
		// https://learn.microsoft.com/kusto/query/toint-function
		{`toint(ResultType)`, int64(50126)},
		{`toint("3000000000")`, nil},
		{`toint(AppId)`, nil},
		// https://learn.microsoft.com/kusto/query/todouble-function
		{`todouble("1.5")`, 1.5},
		{`todouble(AppId)`, nil},
		// https://learn.microsoft.com/kusto/query/tobool-function
		{`tobool("TRUE")`, true},
		{`tobool("false")`, false},
		{`tobool(0)`, false},
		{`toboolean("true")`, true},
		{`tobool(AppId)`, nil},
		// https://learn.microsoft.com/kusto/query/todatetime-function
		{`todatetime("2026-11-20T10:00:00Z")`, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)},
		{`todatetime(AppId)`, nil},
		// https://learn.microsoft.com/kusto/query/totimespan-function
		{`totimespan("1.5h")`, 90 * time.Minute},
		{`totimespan(AppId)`, nil},
		// https://learn.microsoft.com/kusto/query/tostring-function
		{`tostring(12)`, "12"},
		// A dynamic value prints as KQL prints it: keys in the source's order, < > & as they are.
		{"tostring(todynamic(`{\"z\":\"<a&b>\",\"a\":[{\"y\":1,\"b\":2.5}],\"m\":null}`))", `{"z":"<a&b>","a":[{"y":1,"b":2.5}],"m":null}`},
		{`tostring(todatetime("2026-11-20T10:00:00Z"))`, "2026-11-20T10:00:00.0000000Z"},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

// https://learn.microsoft.com/kusto/query/todecimal-function (a real here: detect has no decimal
// type), https://learn.microsoft.com/kusto/query/toguid-function: null when not a GUID.
func TestToDecimalAndToGuid(t *testing.T) {
	row := map[string]any{"AppId": "04B07795-8DDB-461A-BBEE-02F9E1BF7B46", "ResultType": "12.5"}
	cases := []struct {
		source string
		want   any
	}{
		{`todecimal(ResultType)`, 12.5},
		{`todecimal("x")`, nil},
		{`toguid(AppId)`, "04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
		{`toguid(ResultType)`, nil},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}
