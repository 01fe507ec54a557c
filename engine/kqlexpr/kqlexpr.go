// Package kqlexpr compiles the expressions in rule files (expr-lang/expr syntax) so that they
// behave as their KQL originals: ==, !=, <, in and contains follow KQL's rules (package kql), a
// property of a dynamic value is null rather than an error when it is missing, params and lookups
// are constants, and KQL's scalar functions (ago, datetime_diff, extract, todynamic, ...) are
// available under their KQL names.
package kqlexpr

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

// Env is what an expression can name: the columns of the rows it runs over, constants (a rule's
// params and lookups), and scalars: values known only once the rule runs (toscalar lets), given
// here by type and bound with Program.Bind. Now anchors ago() and now(); when Clock is set it
// anchors them instead, read each time they are called (a stream's now moves with its input).
type Env struct {
	Columns   map[string]kql.Type
	Constants map[string]any
	Scalars   map[string]kql.Type
	Now       time.Time
	Clock     *time.Time
}

// Program is a compiled expression.
type Program struct {
	Source string
	// Type is the KQL type of the expression's value (Dynamic when it is not known before running).
	Type kql.Type
	// Columns lists the columns the expression reads, sorted.
	Columns []string
	// Calls lists the functions the expression calls, sorted.
	Calls []string
	// Scalars lists the scalars the expression reads, sorted: it runs only once Bind has given them
	// values.
	Scalars []string
	prog    *vm.Program
	env     Env
}

// Error is a compile error at a place in the expression's source: Line counts from 1, Column
// (in runes) from 0.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column+1, e.Msg) }

// Compile compiles source against env.
func Compile(source string, env Env) (*Program, error) {
	for name := range env.Constants {
		if _, clash := env.Columns[name]; clash {
			return nil, &Error{Line: 1, Msg: fmt.Sprintf("%s is both a column and a param or lookup; rename the param", name)}
		}
	}
	for name := range env.Scalars {
		if _, clash := env.Columns[name]; clash {
			return nil, &Error{Line: 1, Msg: fmt.Sprintf("%s is both a column and a toscalar let; rename the let", name)}
		}
	}
	columns := make(types.Map, len(env.Columns))
	for name, t := range env.Columns {
		if sample := t.Sample(); sample != nil {
			columns[name] = types.TypeOf(sample)
		} else {
			columns[name] = types.Any
		}
	}
	p := &patcher{source: source, env: env, columns: map[string]bool{}, calls: map[string]bool{},
		scalars: map[string]bool{}, callees: map[*ast.IdentifierNode]bool{}}
	options := []expr.Option{expr.Env(columns), expr.Patch(p), expr.Optimize(false)}
	for _, name := range shadowedBuiltins {
		options = append(options, expr.DisableBuiltin(name))
	}
	clock := env.Clock
	if clock == nil {
		clock = &env.Now
	}
	options = append(options, functions(clock)...)
	prog, err := expr.Compile(source, options...)
	p.checkUnknownNames()
	if p.err != nil {
		return nil, p.err
	}
	if err != nil {
		if fe, ok := err.(*file.Error); ok {
			return nil, &Error{Line: fe.Line, Column: fe.Column, Msg: fe.Message}
		}
		return nil, &Error{Line: 1, Msg: err.Error()}
	}
	out := &Program{Source: source, prog: prog, Type: typeOfNode(prog.Node()), env: env,
		Columns: sortedKeys(p.columns), Calls: sortedKeys(p.calls), Scalars: sortedKeys(p.scalars)}
	return out, nil
}

// Bind gives the program's scalars their values (by name) and returns the program that reads them
// as constants, as KQL computes a toscalar() before the query that uses it. A program without
// scalars is returned as it is.
func (p *Program) Bind(values map[string]any) (*Program, error) {
	if len(p.Scalars) == 0 {
		return p, nil
	}
	env := p.env
	env.Constants = make(map[string]any, len(p.env.Constants)+len(p.Scalars))
	for name, v := range p.env.Constants {
		env.Constants[name] = v
	}
	env.Scalars = map[string]kql.Type{}
	for name, t := range p.env.Scalars {
		if v, ok := values[name]; ok {
			env.Constants[name] = v
		} else {
			env.Scalars[name] = t
		}
	}
	return Compile(p.Source, env)
}

// Run evaluates the program over one row. Give each goroutine its own VM.
func (p *Program) Run(machine *vm.VM, row map[string]any) (any, error) {
	return machine.Run(p.prog, row)
}

func typeOfNode(n ast.Node) kql.Type {
	t := n.Type()
	if t == nil {
		return kql.Dynamic
	}
	sample := map[string]any{"string": "", "bool": false, "int64": int64(0), "int": int64(0),
		"float64": 0.0, "time.Time": time.Time{}, "time.Duration": time.Duration(0)}[t.String()]
	return kql.TypeOf(sample)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// position turns a rune offset into source into a line (from 1) and a column (from 0).
func position(source string, offset int) (line, column int) {
	line = 1
	for i, r := range []rune(source) {
		if i == offset {
			break
		}
		if r == '\n' {
			line, column = line+1, 0
		} else {
			column++
		}
	}
	return line, column
}

// patcher rewrites the parsed expression before it is type-checked and compiled.
type patcher struct {
	source  string
	env     Env
	columns map[string]bool
	calls   map[string]bool
	scalars map[string]bool
	err     *Error
	// unknown holds the identifiers that name neither a column nor a constant; those that turn out
	// to be function names (callees) are not mistakes. The checker misses the rest once the
	// operators around them are rewritten, so they are reported here.
	unknown []*ast.IdentifierNode
	callees map[*ast.IdentifierNode]bool
}

func (p *patcher) checkUnknownNames() {
	for _, id := range p.unknown {
		if p.callees[id] {
			continue
		}
		for name := range p.env.Columns {
			if strings.EqualFold(name, id.Value) {
				p.fail(id, "unknown name %s (did you mean the column %s? names are case-sensitive)", id.Value, name)
			}
		}
		p.fail(id, "unknown name %s (not a column of the rows here, nor a param or lookup)", id.Value)
	}
}

// operators maps expr's binary operators to the functions with KQL semantics that replace them.
var operators = map[string]string{
	"==": "kql_eq", "!=": "kql_neq", "<": "kql_lt", "<=": "kql_le", ">": "kql_gt", ">=": "kql_ge",
	"contains": "kql_contains", "startsWith": "kql_startswith", "endsWith": "kql_endswith", "in": "kql_in",
}

func (p *patcher) fail(n ast.Node, format string, args ...any) {
	if p.err == nil {
		line, column := position(p.source, n.Location().From)
		p.err = &Error{Line: line, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
}

func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if value, ok := p.env.Constants[n.Value]; ok {
			c := &ast.ConstantNode{Value: value}
			ast.Patch(node, c)
			return
		}
		if t, ok := p.env.Scalars[n.Value]; ok {
			// Until Bind gives it its value, a scalar is a constant of its type, so that the
			// expression is checked as it will run.
			p.scalars[n.Value] = true
			ast.Patch(node, &ast.ConstantNode{Value: t.Sample()})
			return
		}
		if _, ok := p.env.Columns[n.Value]; ok {
			p.columns[n.Value] = true
		} else {
			p.unknown = append(p.unknown, n)
		}
	case *ast.BinaryNode:
		fn, ok := operators[n.Operator]
		if !ok {
			return
		}
		right := n.Right
		if n.Operator == "in" {
			right = p.setOf(right, kql.NewSet)
		}
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{n.Left, right}})
	case *ast.MemberNode:
		// Property access on dynamic values must give null, not an error, when the property is
		// missing or the value is not an object; typed values (none in rows today) keep expr's access.
		if t := n.Node.Type(); t != nil {
			switch t.Kind() {
			case reflect.Interface, reflect.Map, reflect.Slice:
			default:
				return
			}
		}
		fn := "kql_property"
		if _, isInt := n.Property.(*ast.IntegerNode); isInt {
			fn = "kql_index"
		}
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{n.Node, n.Property}})
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			p.calls[id.Value] = true
			p.callees[id] = true
			p.checkLiteralArguments(id.Value, n)
			p.foldAgo(node, id.Value, n)
			if id.Value == "in_ci" && len(n.Arguments) == 2 {
				n.Arguments[1] = p.setOf(n.Arguments[1], kql.NewFoldSet)
			}
		}
	}
}

// setOf turns the constant right-hand side of in (or in_ci) into a kql.Set made by newSet, so
// that membership is one map lookup rather than a walk of the list.
func (p *patcher) setOf(n ast.Node, newSet func([]any) *kql.Set) ast.Node {
	var items []any
	switch r := n.(type) {
	case *ast.ConstantNode:
		switch v := r.Value.(type) {
		case []any:
			items = v
		case []string:
			for _, s := range v {
				items = append(items, s)
			}
		default:
			return n
		}
	case *ast.ArrayNode:
		for _, e := range r.Nodes {
			switch lit := e.(type) {
			case *ast.StringNode:
				items = append(items, lit.Value)
			case *ast.IntegerNode:
				items = append(items, int64(lit.Value))
			case *ast.FloatNode:
				items = append(items, lit.Value)
			default:
				return n
			}
		}
	default:
		return n
	}
	return &ast.ConstantNode{Value: newSet(items)}
}

// foldAgo replaces ago("literal") by the datetime it gives: now is fixed for a program, so the
// lookback bound need not be computed, and allocated, for every row.
func (p *patcher) foldAgo(node *ast.Node, fn string, n *ast.CallNode) {
	if fn != "ago" || len(n.Arguments) != 1 || p.env.Clock != nil {
		return
	}
	if lit, ok := n.Arguments[0].(*ast.StringNode); ok {
		if d, err := kql.ParseTimespan(lit.Value); err == nil {
			ast.Patch(node, &ast.ConstantNode{Value: p.env.Now.Add(-d)})
		}
	}
}

// checkLiteralArguments reports, at compile time and at their place, the mistakes in literal
// arguments that would otherwise fail on every row.
func (p *patcher) checkLiteralArguments(fn string, n *ast.CallNode) {
	literal := func(i int) (string, bool) {
		if i >= len(n.Arguments) {
			return "", false
		}
		s, ok := n.Arguments[i].(*ast.StringNode)
		if !ok {
			return "", false
		}
		return s.Value, true
	}
	switch fn {
	case "ago", "totimespan":
		if s, ok := literal(0); ok {
			if _, err := kql.ParseTimespan(s); err != nil {
				p.fail(n.Arguments[0], "%s: %v", fn, err)
			}
		}
	case "bin":
		if s, ok := literal(1); ok {
			if _, err := kql.ParseTimespan(s); err != nil {
				p.fail(n.Arguments[1], "bin: %v", err)
			}
		}
	case "extract":
		if s, ok := literal(0); ok {
			if _, err := kql.CompileRegex(s); err != nil {
				p.fail(n.Arguments[0], "extract: bad regular expression: %v", err)
			}
		}
	case "datetime_diff":
		if s, ok := literal(0); ok {
			if _, err := kql.DatetimeDiff(s, time.Time{}, time.Time{}); err != nil {
				p.fail(n.Arguments[0], "%v", err)
			}
		}
	}
}

// Conjuncts splits a predicate at its top-level "and"s: `a and (b or c) and d` gives a, b or c,
// and d. Explaining why a row failed a predicate names the first conjunct that was false.
func Conjuncts(source string) []string {
	tree, err := parser.Parse(source)
	if err != nil {
		return []string{source}
	}
	var out []string
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "and" || b.Operator == "&&") {
			walk(b.Left)
			walk(b.Right)
			return
		}
		out = append(out, n.String())
	}
	walk(tree.Node)
	return out
}
