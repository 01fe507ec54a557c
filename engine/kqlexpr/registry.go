package kqlexpr

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

// Any is the type of a parameter that takes a value of any type, or of a result whose type
// depends on the arguments (see Function.ResultOf).
const Any kql.Type = -1

// TypeName is how documentation writes a parameter or result type.
func TypeName(t kql.Type) string {
	if t == Any {
		return "any"
	}
	return t.String()
}

// Param is one parameter of a function.
type Param struct {
	Name string
	Type kql.Type
	// Optional parameters come last; a call may leave them out.
	Optional bool
	// Variadic marks the last parameter as repeatable (strcat(a, b, ...)); unless Optional, a call
	// gives it at least once.
	Variadic bool
}

// Function is one KQL scalar function as rule expressions call it: everything the compiler, the
// documentation and the tests know about it. Each family of functions registers its records in
// its own file (strings.go, datetime.go, ...) with register.
type Function struct {
	Name    string
	Aliases []string // other KQL names of the same function (toreal for todouble)
	Params  []Param
	// Result is the type of the value; Any when ResultOf tells it from the arguments' types.
	Result kql.Type
	// ResultOf, when set, gives the result type from the argument types (Any when unknown), so
	// that iff(c, 1, 2) is known to be a long before the rule runs.
	ResultOf func(args []kql.Type) kql.Type
	// ReadsClock is set for functions whose value depends on now (ago, now): a predicate that
	// calls one gives different answers at different times.
	ReadsClock bool
	// Check reports, at compile time, a mistake in the literal arguments that would otherwise give
	// null on every row (a timespan literal that is not one, a bad regex): it returns the index of
	// the argument at fault and the error, or -1 and nil.
	Check func(lit Literals) (arg int, err error)
	// Prepare, when set, rewrites the call's arguments once at compile time (in_ci makes a constant
	// list a hashed set).
	Prepare func(args []ast.Node)
	// Resolve, when set, replaces the call at compile time by the node it returns, made from the
	// columns the expression can read: column_ifexists("C", d) becomes the column C when the rows
	// have it and d otherwise; typeof(string) becomes the literal "string". Identifiers among the
	// call's arguments are then not unknown names.
	Resolve func(columns map[string]kql.Type, args []ast.Node) (ast.Node, error)
	// Fold, when set, gives the value of a call whose arguments are literals when now is fixed, so
	// that it is computed once rather than for every row (ago("6h")). ok is false when it cannot.
	Fold func(now time.Time, lit Literals) (v any, ok bool)
	// Window is set for the window functions, which read the rows around the current one
	// (Context.Window): a program calling one compiles only over a serialized row set
	// (Env.Serialized), and its first argument, for prev and next, is a column name.
	Window bool
	// Columns, for a function that gives several columns (series_fit_line), are their names and
	// types in order: Eval then gives an array of one value per column, which an extend assigns
	// with a tuple, (A, B, ...) = f(...).
	Columns []Param
	// Eval computes the function's value. args are its argument values (nil is null). An error is
	// a data-dependent failure: the value is then null, and the program counts it (RuntimeNulls).
	Eval func(ctx *Context, args []any) (any, error)
	// Learn is the function's Microsoft Learn page, Doc one line of what it does.
	Learn, Doc string
}

// Context is what Eval may read besides its arguments.
type Context struct {
	clock  *time.Time
	window Window
}

// Window is the serialized row set a window function (prev, next, row_number) reads, as the
// program runs over one of its rows.
// https://learn.microsoft.com/kusto/query/window-functions
type Window interface {
	// At is column's value in the row offset rows after the current one (before it when
	// negative); ok is false when there is no such row.
	At(offset int, column string) (v any, ok bool)
	// Carry is a value a window function keeps from one row to the next (row_number's last
	// number), by name, for the run of one stage over its rows.
	Carry(name string) *any
}

// Window is the serialized row set around the current row; nil outside a window program's run.
func (c *Context) Window() Window { return c.window }

// Now is the run's now.
func (c *Context) Now() time.Time { return *c.clock }

// Literals gives access to a call's literal arguments for Function.Check.
type Literals struct {
	args []ast.Node
}

// String is argument i when it is a string literal.
func (l Literals) String(i int) (string, bool) {
	if i >= len(l.args) {
		return "", false
	}
	s, ok := l.args[i].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// Column is argument i when it is a bare name (a column).
func (l Literals) Column(i int) (string, bool) {
	if i >= len(l.args) {
		return "", false
	}
	id, ok := l.args[i].(*ast.IdentifierNode)
	if !ok {
		return "", false
	}
	return id.Value, true
}

// Int is argument i when it is a whole-number literal.
func (l Literals) Int(i int) (int, bool) {
	if i >= len(l.args) {
		return 0, false
	}
	n, ok := l.args[i].(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return n.Value, true
}

// Signature is how the documentation writes a call: split(source: string, delimiter: string
// [, requestedIndex: long]) dynamic.
func (f *Function) Signature() string {
	var b strings.Builder
	b.WriteString(f.Name + "(")
	for i, p := range f.Params {
		sep := ", "
		if i == 0 {
			sep = ""
		}
		if p.Optional {
			b.WriteString("[" + sep)
		} else {
			b.WriteString(sep)
		}
		b.WriteString(p.Name + ": " + TypeName(p.Type))
		if p.Variadic {
			b.WriteString(", ...")
		}
		if p.Optional {
			b.WriteString("]")
		}
	}
	b.WriteString(") " + TypeName(f.Result))
	return b.String()
}

// arity is the least and the most arguments a call takes (most is -1 for a variadic function).
func (f *Function) arity() (least, most int) {
	for _, p := range f.Params {
		if !p.Optional {
			least++
		}
		if p.Variadic {
			return least, -1
		}
	}
	return least, len(f.Params)
}

var (
	registry []*Function
	byName   = map[string]*Function{}
)

// register adds functions to the registry; a name or alias taken twice is a programming error.
func register(fns ...*Function) {
	for _, f := range fns {
		if f.Eval == nil || f.Learn == "" || f.Doc == "" {
			panic(fmt.Sprintf("kqlexpr: function %s needs Eval, Learn and Doc", f.Name))
		}
		for _, name := range append([]string{f.Name}, f.Aliases...) {
			if _, taken := byName[name]; taken {
				panic("kqlexpr: function " + name + " registered twice")
			}
			byName[name] = f
		}
		registry = append(registry, f)
	}
}

// Functions lists the registered KQL functions, by name.
func Functions() []*Function {
	out := append([]*Function(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a function by its name or an alias.
func Lookup(name string) (*Function, bool) {
	f, ok := byName[name]
	return f, ok
}

// MarkdownTable is the README's table of functions, one row per registered function: its call,
// what it does and its Learn page. A test keeps the README's copy equal to it.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| function | semantics (Microsoft Learn) |\n| --- | --- |\n")
	for _, f := range Functions() {
		call := "`" + f.Signature() + "`"
		for _, a := range f.Aliases {
			call += ", `" + a + "`"
		}
		doc := strings.ReplaceAll(f.Doc, "|", `\|`)
		fmt.Fprintf(&b, "| %s | %s. [%s](%s) |\n", call, doc, f.Name, f.Learn)
	}
	return b.String()
}
