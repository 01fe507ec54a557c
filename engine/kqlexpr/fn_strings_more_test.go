package kqlexpr

import (
	"reflect"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/kql"
)

// jsonText is an expected dynamic value, written as KQL's tostring() prints it (so that a bag's
// key order is checked too).
type jsonText string

type functionCase struct {
	source string
	want   any
}

func checkCases(t *testing.T, row map[string]any, cases []functionCase) {
	t.Helper()
	for _, c := range cases {
		got := eval(t, c.source, row)
		if j, ok := c.want.(jsonText); ok {
			if got == nil || kql.TypeOf(got) != kql.Dynamic || kql.ToString(got) != string(j) {
				t.Errorf("%s = %#v (%s), want %s", c.source, got, kql.ToString(got), j)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

func TestMoreStringFunctionsFollowLearn(t *testing.T) {
	row := map[string]any{"AppId": "alice@contoso.com", "AppDisplayName": "Azure CLI", "DurationMs": int64(1234567),
		"ResultType": "50126", "AuthenticationProcessingDetails": "Legacy TLS (client: Outlook) IMAP4"}
	checkCases(t, row, []functionCase{
		// https://learn.microsoft.com/kusto/query/split-function, with [i] on its array
		// (https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic): a negative index
		// counts from the end, one out of range is null; requestedIndex gives a one-element array.
		{`split(AppId, "@")[-1]`, "contoso.com"},
		{`split(AppId, "@")[-3]`, nil},
		{`tostring(split(AppId, "@", 1)[0])`, "contoso.com"},
		{`tostring(split(AppId, "@", 2)[0])`, ""},
		{`array_length(split(AppId, "@", 2))`, int64(0)},
		// https://learn.microsoft.com/kusto/query/strcat-delim-function: nulls and numbers as text.
		{`strcat_delim("-", 1, "2", "A", totimespan("1s"))`, "1-2-A-00:00:01"},
		{`strcat_delim(",", AppDisplayName, todynamic("{}").nosuch)`, "Azure CLI,"},
		// https://learn.microsoft.com/kusto/query/strcat-array-function
		{`strcat_array(dynamic([1, 2, 3]), "->")`, "1->2->3"},
		{`strcat_array(split(AppId, "@"), "|")`, "alice|contoso.com"},
		{`strcat_array(AppId, "|")`, ""},
		// https://learn.microsoft.com/kusto/query/indexof-function: the page's examples.
		{`indexof("abcdefg", "cde")`, int64(2)},
		{`indexof("abcdefg", "cde", 1, 4)`, int64(2)},
		{`indexof("abcdefg", "cde", 1, 2)`, int64(-1)},
		{`indexof("abcdefg", "cde", 3, 4)`, int64(-1)},
		{`indexof("abcdefg", "cde", -5)`, int64(2)},
		{`indexof(1234567, 5, 1, 4)`, int64(4)},
		{`indexof(DurationMs, 5, 1, 4)`, int64(4)},
		{`indexof("abcdefg", "cde", 2, -1)`, int64(2)},
		{`indexof("abcdefgabcdefg", "cde", 1, 10, 2)`, int64(9)},
		{`indexof("abcdefgabcdefg", "cde", 1, -1, 3)`, int64(-1)},
		{`indexof("abcdefg", "cde", 1, -2)`, nil},
		{`indexof("abcdefg", "cde", 1, -1, -1)`, nil},
		{`indexof("abc", "c", -10)`, nil},
		{`indexof("⒦⒰⒮⒯⒪", "⒯")`, int64(3)},
		{`indexof(AppId, "CONTOSO")`, int64(-1)},
		// https://learn.microsoft.com/kusto/query/replace-string-function
		{`replace_string("A magic trick can turn a cat into a dog", "cat", "hamster")`, "A magic trick can turn a hamster into a dog"},
		{`replace_string(AppId, "@", " at ")`, "alice at contoso.com"},
		{`replace_string("aaa", "aa", "b")`, "ba"},
		{`replace_string("Cat cat", "cat", "dog")`, "Cat dog"},
		{`replace_string("abc", "", "x")`, "abc"},
		// https://learn.microsoft.com/kusto/query/replace-regex-function: \1 is a capture group.
		{"replace_regex(\"Number is 5\", `is (\\w*)`, `was: \\1`)", "Number was: 5"},
		{"replace_regex(AppId, `^([^@]*)@(.*)$`, `\\2/\\1 $1`)", `contoso.com/alice $1`},
		{"replace_regex(\"aaa\", `a`, `\\0\\0`)", "aaaaaa"},
		// https://learn.microsoft.com/kusto/query/extract-all-function: one group, several, a subset.
		{"extract_all(`(\\d+)`, \"a set of numbers: 123, 567 and 789\")", jsonText(`["123","567","789"]`)},
		{"extract_all(`([\\da-f]{2})`, \"82b8be2d\")", jsonText(`["82","b8","be","2d"]`)},
		{"extract_all(`(\\w)(\\w+)(\\w)`, \"82b8be2d-dfa7\")", jsonText(`[["8","2b8be2","d"],["d","fa","7"]]`)},
		{"extract_all(`(\\w)(\\w+)(\\w)`, dynamic([1, 3]), \"82b8be2d-dfa7\")", jsonText(`[["8","d"],["d","7"]]`)},
		{"extract_all(`(?P<first>\\w)(\\w+)(?P<last>\\w)`, dynamic([\"last\"]), \"82b8be2d-dfa7\")", jsonText(`["d","7"]`)},
		{"extract_all(`(\\d+)`, AppDisplayName)", nil},
		{"extractall(`(a)(b)?`, \"a ab\")", jsonText(`[["a",""],["a","b"]]`)},
		// https://learn.microsoft.com/kusto/query/countof-function: the page's table.
		{`countof("aaa", "a")`, int64(3)},
		{`countof("aaaa", "aa")`, int64(3)},
		{`countof("ababa", "ab", "normal")`, int64(2)},
		{`countof("ababa", "aba")`, int64(2)},
		{`countof("ababa", "aba", "regex")`, int64(1)},
		{`countof("abcabc", "a.c", "regex")`, int64(2)},
		{`countof("abc", "")`, int64(0)},
		{`countof(AppId, "O")`, int64(0)},
		// https://learn.microsoft.com/kusto/query/reverse-function
		{`reverse("ABCDEF")`, "FEDCBA"},
		{`reverse(123)`, "321"},
		{`reverse("⒦⒰⒮")`, "⒮⒰⒦"},
		{`reverse(todynamic("{}").nosuch)`, ""},
		// https://learn.microsoft.com/kusto/query/contains-cs-operator, startswith-cs, endswith-cs:
		// the _cs functions mind case; the operators contains, startsWith, endsWith do not.
		{`contains_cs(AppDisplayName, "CLI")`, true},
		{`contains_cs(AppDisplayName, "cli")`, false},
		{`AppDisplayName contains "cli"`, true},
		{`not contains_cs(AppDisplayName, "cli")`, true},
		{`contains_cs(AppDisplayName, "")`, true},
		{`startswith_cs(AppDisplayName, "Azure")`, true},
		{`startswith_cs(AppDisplayName, "azure")`, false},
		{`endswith_cs(AppDisplayName, "CLI")`, true},
		{`endswith_cs(AppDisplayName, "cli")`, false},
		{`endswith_cs(DurationMs, 67)`, true},
		// https://learn.microsoft.com/kusto/query/has-anyoperator, has-all-operator: terms, ignoring case.
		{`has_any(ResultType, "50055", "50126")`, true},
		{`has_any(ResultType, ["50055", "5012"])`, false},
		{`has_any(AuthenticationProcessingDetails, apps)`, false},
		{`has_any(AuthenticationProcessingDetails, "imap4", "smtp")`, true},
		{`has_any(AuthenticationProcessingDetails, dynamic([]))`, false},
		{`has_all(AuthenticationProcessingDetails, "legacy", "outlook")`, true},
		{`has_all(AuthenticationProcessingDetails, ["legacy", "pop3"])`, false},
		{`not has_any(ResultType, "0")`, true},
	})
}

// A regex or kind known to be wrong when the rule is checked is an error at its place.
func TestMoreStringFunctionsCheckTheirLiterals(t *testing.T) {
	for source, want := range map[string]string{
		"extract_all(`\\d+`, AppId)":           "needs 1 to 16 capture groups",
		"extract_all(`(`, AppId)":              "bad regular expression",
		"replace_regex(AppId, `(`, \"x\")":     "bad regular expression",
		`countof(AppId, "a", "fuzzy")`:         `kind is "normal" or "regex"`,
		"countof(AppId, `(`, \"regex\")":       "bad regular expression",
		`strcat_delim("-", AppId)`:             "takes 3 or more arguments",
		`extractjson("a.b", AppId)`:            "starts with $",
		`extractjson("$.a[x]", AppId)`:         "an index is a whole number",
		`extractjson("$.a", AppId, typeof(x))`: "typeof takes a KQL type name",
		`bag_pack("a", 1, "b")`:                "in pairs",
		`column_ifexists(AppId, "")`:           "column name is a string literal",
	} {
		_, err := Compile(source, env())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", source, err, want)
		}
	}
}
