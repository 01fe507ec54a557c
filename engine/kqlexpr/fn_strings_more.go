package kqlexpr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kql"
)

// More string functions: joining, searching, replacing, the case-sensitive forms of the string
// operators and has_any/has_all. Strings are never null in KQL: a null argument reads as "".
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
func init() {
	register(
		&Function{Name: "strcat_delim", Params: []Param{{Name: "delimiter", Type: kql.String}, {Name: "argument1", Type: Any},
			{Name: "argument2", Type: Any, Variadic: true}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				parts := make([]string, len(a)-1)
				for i, v := range a[1:] {
					parts[i] = kql.ToString(v)
				}
				return strings.Join(parts, kql.ToString(a[0])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/strcat-delim-function", Doc: "the arguments (2 to 64) as text, joined with delimiter between them"},
		&Function{Name: "strcat_array", Params: []Param{{Name: "array", Type: kql.Dynamic}, {Name: "delimiter", Type: kql.String}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				arr, _ := a[0].([]any)
				parts := make([]string, len(arr))
				for i, v := range arr {
					parts[i] = kql.ToString(v)
				}
				return strings.Join(parts, kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/strcat-array-function", Doc: `the elements of a dynamic array as text, joined with delimiter; "" when it is not an array`},
		&Function{Name: "indexof", Params: []Param{{Name: "string", Type: Any}, {Name: "match", Type: Any},
			{Name: "start", Type: kql.Long, Optional: true}, {Name: "length", Type: kql.Long, Optional: true},
			{Name: "occurrence", Type: kql.Long, Optional: true}}, Result: kql.Long,
			Eval:  indexOf,
			Learn: "https://learn.microsoft.com/kusto/query/indexof-function", Doc: "the character index of the occurrence-th match in string from start (from the end when negative) within length characters (-1: to the end); -1 when absent; null when length < -1 or occurrence < 0"},
		&Function{Name: "replace_string", Params: []Param{{Name: "text", Type: kql.String}, {Name: "lookup", Type: kql.String},
			{Name: "rewrite", Type: kql.String}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				text, lookup := kql.ToString(a[0]), kql.ToString(a[1])
				if lookup == "" {
					return text, nil
				}
				return strings.ReplaceAll(text, lookup, kql.ToString(a[2])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/replace-string-function", Doc: "text with every (non-overlapping) occurrence of lookup replaced by rewrite, minding case"},
		&Function{Name: "replace_regex", Params: []Param{{Name: "source", Type: kql.String}, {Name: "lookup_regex", Type: kql.String},
			{Name: "rewrite_pattern", Type: kql.String}}, Result: kql.String,
			Check: regexAt(1, "replace_regex"),
			Eval: func(_ *Context, a []any) (any, error) {
				re, err := kql.CompileRegex(kql.ToString(a[1]))
				if err != nil {
					return nil, fmt.Errorf("replace_regex: bad regex: %w", err)
				}
				return re.ReplaceAllString(kql.ToString(a[0]), goRewrite(kql.ToString(a[2]))), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/replace-regex-function", Doc: `source with every match of the RE2 regex replaced by rewrite_pattern, in which \0 is the whole match and \1 ... \9 capture groups`},
		&Function{Name: "extract_all", Aliases: []string{"extractall"}, Params: []Param{{Name: "regex", Type: kql.String},
			{Name: "captureGroupsOrSource", Type: Any}, {Name: "source", Type: kql.String, Optional: true}}, Result: kql.Dynamic,
			Check: func(lit Literals) (int, error) {
				pattern, ok := lit.String(0)
				if !ok {
					return -1, nil
				}
				re, err := kql.CompileRegex(pattern)
				if err != nil {
					return 0, fmt.Errorf("extract_all: bad regular expression: %v", err)
				}
				if re.NumSubexp() < 1 || re.NumSubexp() > 16 {
					return 0, fmt.Errorf("extract_all: the regex needs 1 to 16 capture groups, %q has %d (wrap the pattern in ( ))", pattern, re.NumSubexp())
				}
				return -1, nil
			},
			Eval:  extractAll,
			Learn: "https://learn.microsoft.com/kusto/query/extract-all-function", Doc: "`extract_all(regex, source)` or `extract_all(regex, captureGroups, source)`: every match of regex (1 to 16 capture groups) in source: with one group wanted, an array of its texts; with several, an array of arrays; captureGroups (an array of numbers or names) picks groups; null when nothing matches"},
		&Function{Name: "countof", Params: []Param{{Name: "source", Type: kql.String}, {Name: "search", Type: kql.String},
			{Name: "kind", Type: kql.String, Optional: true}}, Result: kql.Long,
			Check: func(lit Literals) (int, error) {
				kind, ok := lit.String(2)
				if ok && kind != "normal" && kind != "regex" {
					return 2, fmt.Errorf(`countof: kind is "normal" or "regex", not %q`, kind)
				}
				if ok && kind == "regex" {
					return regexAt(1, "countof")(lit)
				}
				return -1, nil
			},
			Eval:  countOf,
			Learn: "https://learn.microsoft.com/kusto/query/countof-function", Doc: `how many times search occurs in source: plain matches may overlap (countof("aaaa", "aa") is 3), regex matches (kind "regex") do not`},
		&Function{Name: "reverse", Params: []Param{{Name: "value", Type: Any}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				r := []rune(kql.ToString(a[0]))
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
				return string(r), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/reverse-function", Doc: "value as text, its characters in reverse order"},
		&Function{Name: "contains_cs", Params: []Param{{Name: "text", Type: Any}, {Name: "substring", Type: Any}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return strings.Contains(kql.ToString(a[0]), kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/contains-cs-operator", Doc: "KQL's `text contains_cs substring`: contains, minding case; `not contains_cs(...)` is `!contains_cs`"},
		&Function{Name: "startswith_cs", Params: []Param{{Name: "text", Type: Any}, {Name: "prefix", Type: Any}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return strings.HasPrefix(kql.ToString(a[0]), kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/startswith-cs-operator", Doc: "KQL's `text startswith_cs prefix`: startsWith, minding case; `not startswith_cs(...)` is `!startswith_cs`"},
		&Function{Name: "endswith_cs", Params: []Param{{Name: "text", Type: Any}, {Name: "suffix", Type: Any}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				return strings.HasSuffix(kql.ToString(a[0]), kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/endswith-cs-operator", Doc: "KQL's `text endswith_cs suffix`: endsWith, minding case; `not endswith_cs(...)` is `!endswith_cs`"},
		&Function{Name: "has_any", Params: []Param{{Name: "text", Type: Any}, {Name: "terms", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				for _, term := range flatten(a[1:]) {
					if kql.Has(a[0], term) {
						return true, nil
					}
				}
				return false, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-anyoperator", Doc: "KQL's `text has_any (t1, t2, ...)`: text has (as `has`, ignoring case) at least one of the terms; a list argument gives its elements (`has_any(X, L)` for a param, lookup or dynamic array); `not has_any(...)` is `!has_any`"},
		&Function{Name: "has_all", Params: []Param{{Name: "text", Type: Any}, {Name: "terms", Type: Any, Variadic: true}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				for _, term := range flatten(a[1:]) {
					if !kql.Has(a[0], term) {
						return false, nil
					}
				}
				return true, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/has-all-operator", Doc: "KQL's `text has_all (t1, t2, ...)`: text has (as `has`, ignoring case) every one of the terms; a list argument gives its elements"},
	)
}

// regexAt is a Check that the literal argument i is a regex RE2 accepts.
func regexAt(i int, name string) func(Literals) (int, error) {
	return func(lit Literals) (int, error) {
		if pattern, ok := lit.String(i); ok {
			if _, err := kql.CompileRegex(pattern); err != nil {
				return i, fmt.Errorf("%s: bad regular expression: %v", name, err)
			}
		}
		return -1, nil
	}
}

// flatten is the values of arguments that may each be a value or a list of them (has_any's terms,
// ipv4_is_in_any_range's ranges): a list gives its elements.
func flatten(args []any) []any {
	var out []any
	for _, v := range args {
		switch l := v.(type) {
		case []any:
			out = append(out, l...)
		case []string:
			for _, s := range l {
				out = append(out, s)
			}
		default:
			out = append(out, v)
		}
	}
	return out
}

// searchWindow reads the optional start, length and occurrence arguments (a[2:]) of indexof and
// array_index_of over n elements: a negative start counts from the end; ok is false, for a null
// result, when an argument is not a number or out of range.
func searchWindow(a []any, n int64) (start, length, occurrence int64, ok bool) {
	start, length, occurrence = 0, -1, 1
	for i, p := range []*int64{&start, &length, &occurrence} {
		if len(a) > 2+i {
			v, isLong := kql.ToLong(a[2+i])
			if !isLong {
				return 0, 0, 0, false
			}
			*p = v
		}
	}
	if length < -1 || occurrence < 0 {
		return 0, 0, 0, false
	}
	if start < 0 {
		start += n
	}
	if start < 0 || start > n {
		return 0, 0, 0, false
	}
	return start, length, occurrence, true
}

// indexOf counts characters, as KQL's string indexes do.
func indexOf(_ *Context, a []any) (any, error) {
	text, match := []rune(kql.ToString(a[0])), []rune(kql.ToString(a[1]))
	n := int64(len(text))
	start, length, occurrence, ok := searchWindow(a, n)
	if !ok {
		return nil, nil
	}
	// Learn's examples fix where the window ends: indexof("abcdefg", "cde", 1, 2) is -1, and
	// indexof("abcdefgabcdefg", "cde", 1, 10, 2) finds the match that ends at index 11, so a
	// match may end at index start+length but not after it.
	end := n
	if length >= 0 {
		end = min(n, start+length+1)
	}
	window := string(text[start:end])
	from := 0
	for k := int64(1); ; k++ {
		i := strings.Index(window[from:], string(match))
		if i < 0 || occurrence == 0 {
			return int64(-1), nil
		}
		at := from + i
		if k == occurrence {
			return start + int64(utf8.RuneCountInString(window[:at])), nil
		}
		_, size := utf8.DecodeRuneInString(window[at:])
		from = at + max(size, 1)
		if from > len(window) {
			return int64(-1), nil
		}
	}
}

// goRewrite turns KQL's rewrite pattern (\0 ... \9) into Go's ($0 ... $9), with Go's $ escaped.
func goRewrite(rewrite string) string {
	var b strings.Builder
	for i := 0; i < len(rewrite); i++ {
		c := rewrite[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(rewrite) && rewrite[i+1] >= '0' && rewrite[i+1] <= '9':
			b.WriteString("${" + string(rewrite[i+1]) + "}")
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func extractAll(_ *Context, a []any) (any, error) {
	source, groupsArg := a[1], any(nil)
	if len(a) == 3 {
		source, groupsArg = a[2], a[1]
	}
	re, err := kql.CompileRegex(kql.ToString(a[0]))
	if err != nil {
		return nil, fmt.Errorf("extract_all: bad regex: %w", err)
	}
	if re.NumSubexp() < 1 {
		return nil, fmt.Errorf("extract_all: the regex %q has no capture group", re.String())
	}
	var groups []int
	if groupsArg == nil {
		for g := 1; g <= re.NumSubexp(); g++ {
			groups = append(groups, g)
		}
	} else {
		list, ok := groupsArg.([]any)
		if !ok {
			return nil, fmt.Errorf("extract_all: captureGroups is an array, got %s", kql.ToString(groupsArg))
		}
		for _, g := range list {
			i, isNumber := kql.ToLong(g)
			if _, isName := g.(string); isName {
				i, isNumber = int64(re.SubexpIndex(g.(string))), true
			}
			if !isNumber || i < 1 || i > int64(re.NumSubexp()) {
				return nil, fmt.Errorf("extract_all: capture group %s is not in %q", kql.ToString(g), re.String())
			}
			groups = append(groups, int(i))
		}
	}
	text := kql.ToString(source)
	matches := re.FindAllStringSubmatchIndex(text, -1)
	if len(matches) == 0 {
		return nil, nil
	}
	out := make([]any, len(matches))
	for m, idx := range matches {
		values := make([]any, len(groups))
		for j, g := range groups {
			if idx[2*g] >= 0 {
				values[j] = text[idx[2*g]:idx[2*g+1]]
			} else {
				values[j] = ""
			}
		}
		if len(groups) == 1 {
			out[m] = values[0]
		} else {
			out[m] = values
		}
	}
	return out, nil
}

func countOf(_ *Context, a []any) (any, error) {
	source, search := kql.ToString(a[0]), kql.ToString(a[1])
	if len(a) > 2 && kql.ToString(a[2]) == "regex" {
		re, err := kql.CompileRegex(search)
		if err != nil {
			return nil, fmt.Errorf("countof: bad regex: %w", err)
		}
		return int64(len(re.FindAllStringIndex(source, -1))), nil
	}
	if len(a) > 2 && kql.ToString(a[2]) != "normal" {
		return nil, fmt.Errorf(`countof: kind is "normal" or "regex", not %q`, kql.ToString(a[2]))
	}
	if search == "" {
		return int64(0), nil
	}
	var n int64
	for from := 0; ; {
		i := strings.Index(source[from:], search)
		if i < 0 {
			return n, nil
		}
		n++
		from += i + 1
	}
}
