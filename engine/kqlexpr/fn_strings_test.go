package kqlexpr

import (
	"reflect"
	"testing"
)

func TestStringFunctionsFollowLearn(t *testing.T) {
	row := map[string]any{"AppId": "alice@contoso.com", "AppDisplayName": "  Azure CLI ", "ResultType": "0"}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/split-function: an array, indexable.
		{`split(AppId, "@")[0]`, "alice"},
		{`split(AppId, "@")[1]`, "contoso.com"},
		{`split(AppId, "@")[2]`, nil},
		{`split("aa_bb", "_")`, []any{"aa", "bb"}},
		{`split("aaa_bbb_ccc", "_", 1)`, []any{"bbb"}},
		{`split("", "_")`, []any{""}},
		{`split("a__b", "_")`, []any{"a", "", "b"}},
		{`split("aabbcc", "bb")`, []any{"aa", "cc"}},
		{`split("a_b", "_", 5)`, []any{}},
		// https://learn.microsoft.com/kusto/query/trim-function: trim(regex, source).
		{`trim(" ", AppDisplayName)`, "Azure CLI"},
		{`trim("--|=", "--=a=--")`, "a"},
		// https://learn.microsoft.com/kusto/query/trim-start-function, trim-end-function
		{`trim_start(" ", AppDisplayName)`, "Azure CLI "},
		{`trim_end(" ", AppDisplayName)`, "  Azure CLI"},
		// https://learn.microsoft.com/kusto/query/strcat-function
		{`strcat(AppId, "/", ResultType, 1)`, "alice@contoso.com/01"},
		// https://learn.microsoft.com/kusto/query/strlen-function: characters, not bytes.
		{`strlen("⒦⒰⒮⒯⒪")`, int64(5)},
		{`strlen(AppId)`, int64(17)},
		// https://learn.microsoft.com/kusto/query/substring-function
		{`substring("123456", 1)`, "23456"},
		{`substring("123456", 2, 2)`, "34"},
		{`substring("ABCD", 0, 2)`, "AB"},
		{`substring("123456", -2, 2)`, "56"},
		{`substring("123456", 10)`, ""},
		{`tolower("ABC")`, "abc"},
		{`toupper("abc")`, "ABC"},
		{`extract("@(.*)$", 1, AppId)`, "contoso.com"},
		{`has("North America", "america")`, true},
		{`has_cs("North America", "america")`, false},
		{`equals_ci("ABC", "abc")`, true},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}
