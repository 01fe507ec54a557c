package kqlexpr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
)

// lex is source's tokens, and whether it lexed: when it does not, the parser reports why, at its
// place, and the tokens are those before.
func lex(source string) ([]lexer.Token, bool) {
	tokens, err := lexer.Lex(file.NewSource(source))
	return tokens, err == nil
}

// checkCalls finds, before the expression is parsed, every name called in source (lexed into
// tokens) that is not a registered KQL function, and every method call: expr would parse some of
// them as its own builtins (len, all, map, ...) or fail on them with a message about expr, not KQL.
func checkCalls(source string, tokens []lexer.Token, functions map[string]UserFunction) *Error {
	for i, t := range tokens {
		if t.Kind != lexer.Identifier || i+1 >= len(tokens) || !tokens[i+1].Is(lexer.Bracket, "(") {
			continue
		}
		line, column := position(source, t.From)
		if i > 0 && tokens[i-1].Is(lexer.Operator, ".", "?.") {
			return &Error{Line: line, Column: column, Msg: fmt.Sprintf(
				"%s(...) is a method call, which KQL does not have; call a KQL function on the value instead", t.Value)}
		}
		if _, user := functions[t.Value]; user {
			continue
		}
		if _, ok := Lookup(t.Value); !ok {
			return &Error{Line: line, Column: column, Msg: fmt.Sprintf("%s is not a KQL function%s", t.Value, hint(t.Value))}
		}
	}
	return nil
}

// namesIn are the names an expression (its tokens) and the bodies of the user functions it may
// call are written with, and objectLiteralFunction: the KQL functions among them are all an expression can call,
// since the patcher's other calls are of the operator functions or of a typed variant of a
// function called by name. Only
// those are registered with expr: registering all of them took most of a compile, and a run
// compiles every expression of every rule twice (--now latest).
func namesIn(tokens []lexer.Token, functions map[string]UserFunction) map[string]bool {
	names := map[string]bool{objectLiteralFunction: true}
	add := func(tokens []lexer.Token) {
		for _, t := range tokens {
			if t.Kind == lexer.Identifier {
				names[t.Value] = true
			}
		}
	}
	add(tokens)
	for _, fn := range functions {
		body, _ := lex(fn.Body)
		add(body)
	}
	return names
}

// habits are names people reach for from other languages (and expr's own builtins), with the KQL
// function that does what they mean.
var habits = map[string]string{
	"int": "toint(x)", "long": "tolong(x)", "float": "todouble(x)", "double": "todouble(x)", "real": "todouble(x)",
	"string": "tostring(x)", "str": "tostring(x)", "bool": "tobool(x)", "len": "strlen(x) for a string, array_length(x) for an array",
	"length": "strlen(x) for a string, array_length(x) for an array", "lower": "tolower(x)", "upper": "toupper(x)",
	"lowercase": "tolower(x)", "uppercase": "toupper(x)", "toJSON": "tostring(x)", "fromJSON": "parse_json(x)",
	"json": "parse_json(x)", "duration": "totimespan(x)", "date": "todatetime(x)", "datetime": "todatetime(x)",
	"timespan": "totimespan(x)", "dynamic": "parse_json(x)", "concat": "strcat(a, b, ...)", "if": "iff(condition, then, else)",
	"ifelse": "iff(condition, then, else)", "nvl": "coalesce(a, b)", "ifnull": "coalesce(a, b)", "isEmpty": "isempty(x)",
	"trimSpace": `trim(@"\s", x), written trim("\\s", x)`, "regexp": "extract(regex, group, text)", "now": "now()",
	"count": "count() is an aggregate: use it in summarize", "sum": "sum() is an aggregate: use it in summarize",
	"min": "min() is an aggregate: use it in summarize", "max": "max() is an aggregate: use it in summarize",
	"avg": "avg() is an aggregate: use it in summarize", "all": "mv-expand, then where", "any": "mv-expand, then where",
	"none": "mv-expand, then where", "one": "mv-expand, then where", "filter": "mv-expand, then where",
	"map": "mv-expand, then extend", "hasPrefix": "the operator x startsWith y", "hasSuffix": "the operator x endsWith y",
	"startswith": "the operator x startsWith y", "endswith": "the operator x endsWith y",
}

// hint is a " (did you mean ...?)" for an unknown function name: the KQL function a habit points
// to, else the registered names within a small edit distance.
func hint(name string) string {
	if h, ok := habits[name]; ok {
		return " (did you mean " + h + "?)"
	}
	var near []string
	for _, f := range registry {
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			limit := 2
			if len(name) <= 4 {
				limit = 1
			}
			if strings.EqualFold(n, name) || editDistance(strings.ToLower(n), strings.ToLower(name)) <= limit {
				near = append(near, n+"(...)")
			}
		}
	}
	if len(near) == 0 {
		return " (`detect --help` lists the functions)"
	}
	sort.Strings(near)
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
