package kqlexpr

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/lexer"
)

// The planner asks what an expression is (a bare column, bin(Column, size), an aggregation call)
// before it compiles it, or where it cannot compile it (arg_min(T, *) is no expression). These
// facts come from expr's lexer and parser, never from matching the source text.

// Call is an aggregation call as written: the function's name and its arguments, each with its
// place in the source in runes. An argument written as a lone * (arg_min(T, *)) is Star.
type Call struct {
	Name string
	Args []Arg
}

// Arg is one argument of a Call.
type Arg struct {
	Source         string
	Offset, Length int
	Star           bool
}

// ParseCall reads source as one call, name(arg, ...), at the top of the expression. The arguments
// are left for Compile, except a lone *, which no expression is.
func ParseCall(source string) (Call, error) {
	tokens, err := lexer.Lex(file.NewSource(source))
	if err != nil {
		return Call{}, fmt.Errorf("write an aggregation call such as count(), make_set(Column) or arg_min(Column, *)")
	}
	runes := []rune(source)
	if len(tokens) < 2 || tokens[0].Kind != lexer.Identifier || !tokens[1].Is(lexer.Bracket, "(") {
		err := "write an aggregation call such as count(), make_set(Column) or arg_min(Column, *)"
		if len(tokens) > 1 && tokens[1].Is(lexer.Operator, ":") {
			err += " (to name it, write - Name: call, unquoted)"
		}
		return Call{}, fmt.Errorf("%s", err)
	}
	call := Call{Name: tokens[0].Value}
	depth := 0
	argFrom := -1 // the index of the argument's first token
	addArg := func(from, to int) error {
		if from < 0 || from >= to {
			return fmt.Errorf("an argument is empty")
		}
		start, end := tokens[from].From, tokens[to-1].To
		text := string(runes[start:end])
		call.Args = append(call.Args, Arg{Source: text, Offset: start, Length: end - start,
			Star: to-from == 1 && tokens[from].Is(lexer.Operator, "*")})
		return nil
	}
	for i := 2; i < len(tokens); i++ {
		t := tokens[i]
		switch {
		case t.Kind == lexer.EOF:
		case t.Is(lexer.Bracket, "(", "[", "{"):
			depth++
		case t.Is(lexer.Bracket, ")", "]", "}") && depth > 0:
			depth--
		case t.Is(lexer.Bracket, ")"):
			if argFrom >= 0 || len(call.Args) > 0 {
				if err := addArg(argFrom, i); err != nil {
					return call, err
				}
			}
			if rest := tokens[i+1:]; len(rest) > 0 && rest[0].Kind != lexer.EOF {
				return call, fmt.Errorf("unexpected %q after the call; an aggregate is one call (compute on its result with a later extend)",
					strings.TrimSpace(string(runes[rest[0].From:])))
			}
			return call, nil
		case t.Kind == lexer.Bracket:
			return call, fmt.Errorf("unbalanced %s", t.Value)
		case t.Is(lexer.Operator, ",") && depth == 0:
			if err := addArg(argFrom, i); err != nil {
				return call, err
			}
			argFrom = -1
			continue
		}
		if argFrom < 0 && t.Kind != lexer.EOF {
			argFrom = i
		}
	}
	return call, fmt.Errorf("the call has no closing )")
}

// parse is the expression tree of source, or nil when it does not parse.
func parse(source string) ast.Node {
	tree, err := parser.Parse(source)
	if err != nil {
		return nil
	}
	return tree.Node
}

// ColumnName tells whether source is a bare name (a column, when the columns have it), and which.
func ColumnName(source string) (string, bool) {
	id, ok := parse(source).(*ast.IdentifierNode)
	if !ok {
		return "", false
	}
	return id.Value, true
}

// BinColumn tells whether source is bin(Column, size), which KQL names after Column as a
// summarize's group key.
// https://learn.microsoft.com/kusto/query/summarize-operator
func BinColumn(source string) (string, bool) {
	call, ok := parse(source).(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return "", false
	}
	if fn, ok := call.Callee.(*ast.IdentifierNode); !ok || fn.Value != "bin" {
		return "", false
	}
	col, ok := call.Arguments[0].(*ast.IdentifierNode)
	if !ok {
		return "", false
	}
	return col.Value, true
}

// IsStar tells whether source is a lone *, every column (distinct *, arg_min(T, *)).
func IsStar(source string) bool {
	tokens, err := lexer.Lex(file.NewSource(source))
	return err == nil && len(tokens) == 2 && tokens[0].Is(lexer.Operator, "*") && tokens[1].Kind == lexer.EOF
}
