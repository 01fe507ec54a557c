package kqlexpr

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
)

// UserFunction is a scalar function a rule defines (KQL's let f = (x:string) { expression };):
// a call f(arg) is its body with each param read as the argument's expression, as KQL expands a
// user-defined function where it is called.
// https://learn.microsoft.com/kusto/query/functions/user-defined-functions
type UserFunction struct {
	Params []string
	Body   string
}

// maxExpansion bounds functions calling functions, so that a function that calls itself is an
// error, not a loop.
const maxExpansion = 16

// expander replaces each call of a user function by its body, before the KQL patcher sees the
// tree, so that the body is rewritten to KQL semantics as if it were written in place.
type expander struct {
	functions map[string]UserFunction
	source    string
	depth     int
	err       *Error
}

func (x *expander) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || x.err != nil {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	fn, ok := x.functions[id.Value]
	if !ok {
		return
	}
	line, column := position(x.source, call.Location().From)
	fail := func(format string, args ...any) {
		x.err = &Error{Line: line, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
	if len(call.Arguments) != len(fn.Params) {
		fail("%s takes %d arguments, not %d", id.Value, len(fn.Params), len(call.Arguments))
		return
	}
	if x.depth >= maxExpansion {
		fail("%s calls itself, or functions nest more than %d deep", id.Value, maxExpansion)
		return
	}
	body, err := parseKQL(fn.Body)
	if err != nil {
		fail("function %s: %v", id.Value, err)
		return
	}
	args := map[string]string{}
	for i, a := range call.Arguments {
		args[fn.Params[i]] = "(" + a.String() + ")"
	}
	sub := &substituter{args: args}
	ast.Walk(&body.Node, sub)
	if sub.err != nil {
		fail("%s: %v", id.Value, sub.err)
		return
	}
	x.depth++
	ast.Walk(&body.Node, x)
	x.depth--
	ast.Patch(node, body.Node)
}

// substituter puts each argument's expression (parsed anew for each use, so that no node is
// shared) where the body reads its param.
type substituter struct {
	args map[string]string
	err  error
}

func (s *substituter) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	if src, ok := s.args[id.Value]; ok {
		tree, err := parseKQL(src)
		if err != nil {
			s.err = err
			return
		}
		ast.Patch(node, tree.Node)
	}
}

// parseKQL parses as Compile does: expr's builtins are names like any other (split, trim, ...),
// which the KQL patcher then reads as KQL's functions.
func parseKQL(source string) (*parser.Tree, error) {
	c := conf.CreateNew()
	for name := range c.Builtins {
		c.Disabled[name] = true
	}
	return parser.ParseWithConfig(source, c)
}
