// Package kqlexpr compiles the expressions in rule files (expr-lang/expr syntax) so that they
// behave as their KQL originals: every callable name is a registered KQL function (registry.go,
// one record per function, in fn_*.go by family); ==, !=, <, in, contains and the arithmetic
// operators follow KQL's rules (package kql), null included; a property of a dynamic value is null
// rather than an error when it is missing; params and lookups are constants. What is not KQL
// (expr's own builtins, methods on values, unknown names) is a compile error at its place.
//
// A data-dependent failure while running (an operator or function given values it cannot take)
// never stops a rule: the value is null, as in KQL, and the program counts it (RuntimeNulls).
package kqlexpr

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
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
	// Functions are the scalar functions the rule defines, called by name like KQL's.
	Functions map[string]UserFunction
	Now       time.Time
	Clock     *time.Time
	// Serialized tells that the rows are a serialized row set (after sort, top or serialize),
	// over which window functions may run.
	Serialized bool
}

// Program is a compiled expression.
type Program struct {
	Source string
	// Type is the KQL type of the expression's value (Dynamic when it is not known before running).
	Type kql.Type
	// Columns lists the columns the expression reads, sorted.
	Columns []string
	// Calls lists the KQL functions the expression calls (by their registered names), sorted.
	Calls []string
	// ReadsClock is set when the expression calls a function whose value depends on now.
	ReadsClock bool
	// Scalars lists the scalars the expression reads, sorted: it runs only once Bind has given them
	// values.
	Scalars []string
	// Window is set when the expression calls a window function: run it with RunIn.
	Window bool
	ctx    *Context
	prog   *vm.Program
	env    Env
	nulls  *nullCounter
	// constants are the params and lookups the expression reads (by name), sorted.
	constants []string
}

// Same tells whether p and q compute the same value of every row: the same source compiled
// against the same columns, the same values of the constants it reads, the same functions, the
// same scalars read (of the same types), and the same now (or clock). Two rules' stages that are the same may run once for
// both (a rule and its variants).
func (p *Program) Same(q *Program) bool {
	if p == q {
		return true
	}
	if p.Source != q.Source || !slices.Equal(p.constants, q.constants) || !slices.Equal(p.Scalars, q.Scalars) ||
		p.env.Serialized != q.env.Serialized || !p.env.Now.Equal(q.env.Now) || p.env.Clock != q.env.Clock ||
		!maps.Equal(p.env.Columns, q.env.Columns) || !reflect.DeepEqual(p.env.Functions, q.env.Functions) {
		return false
	}
	for _, name := range p.constants {
		if !reflect.DeepEqual(p.env.Constants[name], q.env.Constants[name]) {
			return false
		}
	}
	for _, name := range p.Scalars {
		if p.env.Scalars[name] != q.env.Scalars[name] {
			return false
		}
	}
	return true
}

// Copy is p compiled again, counting its runtime nulls apart: a program run once for several
// plans (see Same) tells whether it gave any null, which each plan would count as its own.
func (p *Program) Copy() (*Program, error) {
	return compile(p.Source, p.env, &nullCounter{})
}

// nullCounter counts a program's evaluations that gave null because of a data-dependent error,
// and keeps the first such error to show.
type nullCounter struct {
	n     atomic.Int64
	first atomic.Pointer[string]
}

func (c *nullCounter) add(msg string) {
	c.n.Add(1)
	if c.first.Load() == nil {
		if line, _, cut := strings.Cut(msg, "\n"); cut {
			msg = line
		}
		c.first.CompareAndSwap(nil, &msg)
	}
}

// RuntimeNulls is how many times the program (and the programs Bind made of it) gave null
// because an operator or function could not take the values of a row, such as a string in an
// arithmetic operation. Safe to call while the program runs.
func (p *Program) RuntimeNulls() int64 { return p.nulls.n.Load() }

// FirstRuntimeNull is the error behind the first of RuntimeNulls, "" when there is none.
func (p *Program) FirstRuntimeNull() string {
	if s := p.nulls.first.Load(); s != nil {
		return *s
	}
	return ""
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
	return compile(source, env, &nullCounter{})
}

func compile(source string, env Env, nulls *nullCounter) (*Program, error) {
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
	tokens, lexed := lex(source)
	if lexed {
		if err := checkCalls(source, tokens, env.Functions); err != nil {
			return nil, err
		}
	}
	names := namesIn(tokens, env.Functions)
	// expr is told the types of the columns the expression names: it can read no other, unless a
	// function resolves to a column its name is a string of (column_ifexists("Name", ...)).
	named := !slices.ContainsFunc(registry, func(f *Function) bool { return f.Resolve != nil && f.namedIn(names) })
	columns := make(types.Map, len(env.Columns))
	for name, t := range env.Columns {
		if named && !names[name] {
			continue
		}
		if sample := t.Sample(); sample != nil {
			columns[name] = types.TypeOf(sample)
		} else {
			columns[name] = types.Any
		}
	}
	p := &patcher{source: source, env: env, columns: map[string]bool{}, constants: map[string]bool{}, calls: map[string]bool{},
		scalars: map[string]bool{}, callees: map[*ast.IdentifierNode]bool{}, types: map[ast.Node]kql.Type{}}
	expand := &expander{functions: env.Functions, source: source}
	options := []expr.Option{expr.Env(columns), expr.Patch(expand), expr.Patch(p)}
	clock := env.Clock
	if clock == nil {
		clock = &env.Now
	}
	ctx := &Context{clock: clock}
	options = append(options, functionOptions(ctx, nulls, names)...)
	prog, err := compileExpr(source, options)
	if expand.err != nil {
		return nil, expand.err
	}
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
	return &Program{Source: source, prog: prog, Type: typeOfNode(prog.Node()), env: env, nulls: nulls, ctx: ctx, Window: p.window,
		Columns: sortedKeys(p.columns), Calls: sortedKeys(p.calls), ReadsClock: p.readsClock,
		Scalars: sortedKeys(p.scalars), constants: sortedKeys(p.constants)}, nil
}

// exprBuiltins are the names of expr's builtins, none of which an expression may call (KQL's
// functions are the registry's): read only, by every compile at once.
var exprBuiltins = func() map[string]bool {
	names := make(map[string]bool, len(builtin.Builtins))
	for _, f := range builtin.Builtins {
		names[f.Name] = true
	}
	return names
}()

// compileExpr is expr.Compile with every builtin disabled and expr's optimizer off, the config
// made here rather than by options: expr.Compile fills a map of its builtins for each expression,
// to mark them all disabled and then delete them, which was a third of compiling one
// (BenchmarkCompile: 72 -> 44 µs), and a run compiles every expression of every rule before it
// reads a record (626 for the shipped rules).
func compileExpr(source string, options []expr.Option) (*vm.Program, error) {
	config := &conf.Config{
		ShortCircuit: true,
		MaxNodes:     conf.DefaultMaxNodes,
		ConstFns:     map[string]reflect.Value{},
		Functions:    make(conf.FunctionsTable, 32),
		Builtins:     conf.FunctionsTable{},
		Disabled:     exprBuiltins,
	}
	for _, option := range options {
		option(config)
	}
	config.Check()
	tree, err := checker.ParseCheck(source, config)
	if err != nil {
		return nil, err
	}
	return compiler.Compile(tree, config)
}

// Bind gives the program's scalars their values (by name) and returns the program that reads them
// as constants, as KQL computes a toscalar() before the query that uses it. A program without
// scalars is returned as it is. The bound program counts its runtime nulls with p's.
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
	return compile(p.Source, env, p.nulls)
}

// Run evaluates the program over one row. Give each goroutine its own VM. A data-dependent error
// makes the value null (counted in RuntimeNulls), never an error: KQL goes on with the next row.
// The error result is kept for callers that predate this and is always nil.
func (p *Program) Run(machine *vm.VM, row map[string]any) (any, error) {
	v, err := machine.Run(p.prog, row)
	if err != nil {
		p.nulls.add(err.Error())
		return nil, nil
	}
	return v, nil
}

// RunIn is Run for a program that calls window functions, over the row of w it is at. Calls of one
// program never overlap: the stage that runs it runs its rows one after another.
func (p *Program) RunIn(machine *vm.VM, row map[string]any, w Window) (any, error) {
	p.ctx.window = w
	defer func() { p.ctx.window = nil }()
	return p.Run(machine, row)
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

// goTypes are the Go types the expression checker sees for KQL's types.
var goTypes = map[kql.Type]reflect.Type{
	kql.String: reflect.TypeOf(""), kql.Guid: reflect.TypeOf(""), kql.Long: reflect.TypeOf(int64(0)),
	kql.Int: reflect.TypeOf(int64(0)), kql.Real: reflect.TypeOf(0.0), kql.Bool: reflect.TypeOf(false),
	kql.Datetime: reflect.TypeOf(time.Time{}), kql.Timespan: reflect.TypeOf(time.Duration(0)),
}

// typedResults are the result types a function whose type depends on its arguments is registered
// under, each as name__type; the patcher picks the one its arguments give.
var typedResults = []kql.Type{kql.String, kql.Long, kql.Real, kql.Bool, kql.Datetime, kql.Timespan}

func typedName(name string, t kql.Type) string { return name + "__" + TypeName(t) }

// funcTypes are the call shapes of a function taking least to most arguments of any type (most -1:
// any number) and returning result, as expr checks calls against them. Every compile registers
// every function, so the shapes (reflect.FuncOf, slow) are made once per arity and result type
// and shared, read-only.
func funcTypes(least, most int, result kql.Type) []any {
	key := shapeKey{least, most, result}
	if shapes, ok := callShapes.Load(key); ok {
		return shapes.([]any)
	}
	shapes, _ := callShapes.LoadOrStore(key, makeFuncTypes(least, most, result))
	return shapes.([]any)
}

type shapeKey struct {
	least, most int
	result      kql.Type
}

// callShapes holds funcTypes' shapes by shapeKey.
var callShapes sync.Map

func makeFuncTypes(least, most int, result kql.Type) []any {
	out := reflect.TypeOf((*any)(nil)).Elem()
	if t, ok := goTypes[result]; ok {
		out = t
	}
	anyType := reflect.TypeOf((*any)(nil)).Elem()
	var shapes []any
	if most < 0 {
		in := make([]reflect.Type, least+1)
		for i := range in {
			in[i] = anyType
		}
		in[least] = reflect.SliceOf(anyType)
		return append(shapes, reflect.Zero(reflect.FuncOf(in, []reflect.Type{out}, true)).Interface())
	}
	for n := least; n <= most; n++ {
		in := make([]reflect.Type, n)
		for i := range in {
			in[i] = anyType
		}
		shapes = append(shapes, reflect.Zero(reflect.FuncOf(in, []reflect.Type{out}, false)).Interface())
	}
	return shapes
}

// namedIn tells whether names holds f's name or one of its aliases.
func (f *Function) namedIn(names map[string]bool) bool {
	return names[f.Name] || slices.ContainsFunc(f.Aliases, func(alias string) bool { return names[alias] })
}

// functionOptions registers with expr the KQL functions (and their typed variants) that names
// holds by their name or an alias, and the functions the patcher rewrites operators into. An
// error from a function makes its value null and is counted in nulls.
func functionOptions(ctx *Context, nulls *nullCounter, names map[string]bool) []expr.Option {
	var options []expr.Option
	for _, f := range registry {
		if !f.namedIn(names) {
			continue
		}
		f := f
		call := func(args ...any) (any, error) {
			v, err := f.Eval(ctx, args)
			if err != nil {
				nulls.add(err.Error())
				return nil, nil
			}
			return v, nil
		}
		least, most := f.arity()
		for _, name := range append([]string{f.Name}, f.Aliases...) {
			options = append(options, expr.Function(name, call, funcTypes(least, most, f.Result)...))
		}
		if f.ResultOf != nil {
			for _, t := range typedResults {
				options = append(options, expr.Function(typedName(f.Name, t), call, funcTypes(least, most, t)...))
			}
		}
	}
	return append(options, operatorOptions(nulls)...)
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
