package kqlexpr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kql"
)

// String functions. Strings are never null in KQL: a null argument reads as "".
func init() {
	register(
		&Function{Name: "tolower", Params: []Param{{Name: "source", Type: Any}}, Result: kql.String,
			Eval:  func(_ *Context, a []any) (any, error) { return strings.ToLower(kql.ToString(a[0])), nil },
			Learn: "https://learn.microsoft.com/kusto/query/tolower-function", Doc: "lower case"},
		&Function{Name: "toupper", Params: []Param{{Name: "source", Type: Any}}, Result: kql.String,
			Eval:  func(_ *Context, a []any) (any, error) { return strings.ToUpper(kql.ToString(a[0])), nil },
			Learn: "https://learn.microsoft.com/kusto/query/toupper-function", Doc: "upper case"},
		&Function{Name: "strlen", Params: []Param{{Name: "source", Type: kql.String}}, Result: kql.Long,
			Eval: func(_ *Context, a []any) (any, error) {
				return int64(utf8.RuneCountInString(kql.ToString(a[0]))), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/strlen-function", Doc: "the number of characters (Unicode code points) of source"},
		&Function{Name: "strcat", Params: []Param{{Name: "argument", Type: Any, Variadic: true}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				var b strings.Builder
				for _, v := range a {
					b.WriteString(kql.ToString(v))
				}
				return b.String(), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/strcat-function", Doc: "the arguments as text, joined (1 to 64 of them)"},
		&Function{Name: "substring", Params: []Param{{Name: "source", Type: kql.String}, {Name: "startingIndex", Type: kql.Long},
			{Name: "length", Type: kql.Long, Optional: true}}, Result: kql.String,
			Eval:  substring,
			Learn: "https://learn.microsoft.com/kusto/query/substring-function", Doc: "the characters from startingIndex (from the end when negative), to the end or length of them"},
		&Function{Name: "split", Params: []Param{{Name: "source", Type: kql.String}, {Name: "delimiter", Type: kql.String},
			{Name: "requestedIndex", Type: kql.Long, Optional: true}}, Result: kql.Dynamic,
			Eval:  split,
			Learn: "https://learn.microsoft.com/kusto/query/split-function", Doc: `a dynamic array of the parts of source between delimiters (split("a@b", "@")[0] is "a"); with requestedIndex, an array of that part only`},
		&Function{Name: "extract", Params: []Param{{Name: "regex", Type: kql.String}, {Name: "captureGroup", Type: kql.Long}, {Name: "source", Type: Any}},
			Result: kql.String,
			Check: func(lit Literals) (int, error) {
				pattern, ok := lit.String(0)
				if !ok {
					return -1, nil
				}
				re, err := kql.CompileRegex(pattern)
				if err != nil {
					return 0, fmt.Errorf("extract: bad regular expression: %v", err)
				}
				if group, ok := lit.Int(1); ok && (group < 0 || group > re.NumSubexp()) {
					return 1, fmt.Errorf("extract: capture group %d does not exist in %q (it has %d)", group, pattern, re.NumSubexp())
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				group, ok := kql.ToLong(a[1])
				if !ok {
					return nil, fmt.Errorf("extract: capture group must be a whole number, got %s", kql.TypeOf(a[1]))
				}
				return kql.Extract(kql.ToString(a[0]), int(group), a[2])
			},
			Learn: "https://learn.microsoft.com/kusto/query/extract-function", Doc: "capture group of the leftmost RE2 match (greedy) in source read as text; `\"\"` when nothing matches"},
		trimFunction("trim", "https://learn.microsoft.com/kusto/query/trim-function", "source without the matches of regex at its start and its end", true, true),
		trimFunction("trim_start", "https://learn.microsoft.com/kusto/query/trim-start-function", "source without the matches of regex at its start", true, false),
		trimFunction("trim_end", "https://learn.microsoft.com/kusto/query/trim-end-function", "source without the matches of regex at its end", false, true),
		&Function{Name: "has", Params: []Param{{Name: "text", Type: Any}, {Name: "term", Type: kql.String}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.Has(a[0], a[1]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/datatypes-string-operators", Doc: "KQL's `text has term`: term is a whole term of text (terms are the runs of ASCII letters and digits; a term with spaces or punctuation must start and end on term boundaries), ignoring case; `not has(...)` is `!has`"},
		&Function{Name: "has_cs", Params: []Param{{Name: "text", Type: Any}, {Name: "term", Type: kql.String}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.HasCS(a[0], a[1]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/datatypes-string-operators", Doc: "KQL's `has_cs`: has, minding case"},
		&Function{Name: "equals_ci", Params: []Param{{Name: "a", Type: Any}, {Name: "b", Type: Any}}, Result: kql.Bool,
			Eval:  func(_ *Context, a []any) (any, error) { return kql.EqualFold(a[0], a[1]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/datatypes-string-operators", Doc: "KQL's `a =~ b`: equal ignoring case; `not equals_ci(a, b)` is `a !~ b`"},
	)
}

// substring counts characters, not bytes; a start before the beginning or an end past the end is
// cut to the string.
func substring(_ *Context, a []any) (any, error) {
	text := []rune(kql.ToString(a[0]))
	start, ok := kql.ToLong(a[1])
	if !ok {
		return nil, nil
	}
	n := int64(len(text))
	if start < 0 {
		start += n
	}
	start = max(0, min(start, n))
	end := n
	if len(a) > 2 {
		length, ok := kql.ToLong(a[2])
		if !ok {
			return nil, nil
		}
		if length < 0 {
			return "", nil
		}
		end = min(n, start+length)
	}
	return string(text[start:end]), nil
}

func split(_ *Context, a []any) (any, error) {
	parts := strings.Split(kql.ToString(a[0]), kql.ToString(a[1]))
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	if len(a) < 3 {
		return out, nil
	}
	i, ok := kql.ToLong(a[2])
	if !ok {
		return nil, nil
	}
	if i < 0 || i >= int64(len(out)) {
		return []any{}, nil
	}
	return []any{out[i]}, nil
}

// trimFunction makes trim, trim_start and trim_end: KQL's trims take a regex (not a set of
// characters) and remove its matches repeated at the start and/or end.
func trimFunction(name, learn, doc string, start, end bool) *Function {
	return &Function{Name: name, Params: []Param{{Name: "regex", Type: kql.String}, {Name: "source", Type: Any}}, Result: kql.String,
		Check: func(lit Literals) (int, error) {
			if pattern, ok := lit.String(0); ok {
				if _, err := kql.CompileRegex(pattern); err != nil {
					return 0, fmt.Errorf("%s: bad regular expression: %v", name, err)
				}
			}
			return -1, nil
		},
		Eval: func(_ *Context, a []any) (any, error) {
			return kql.Trim(kql.ToString(a[0]), kql.ToString(a[1]), start, end)
		},
		Learn: learn, Doc: doc}
}
